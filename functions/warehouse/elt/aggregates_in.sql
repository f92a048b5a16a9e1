-- elt.aggregates_in
-- The aggregates a layer of the maintenance keeps: 'answers', those over the clean rows (the four
-- answers), or 'metrics', those over the star tables' facts (schema analytics); null, all of them.
-- An aggregate's layer follows from its declared source, so declaring a metric puts it there.

create or replace function elt.aggregates_in(layer text)
returns text[]
language plpgsql stable as $$
begin
    if layer is not null and layer not in ('answers', 'metrics') then
        raise exception 'unknown layer "%"', layer
            using hint = 'The layers are answers and metrics; null means every aggregate.',
                  errcode = 'invalid_parameter_value';
    end if;
    return array(
        select g.name
        from elt.aggregate as g
        where layer is null
           or layer = case split_part(g.source, '.', 1) when 'analytics' then 'metrics' else 'answers' end
        order by g.name);
end
$$;

comment on function elt.aggregates_in(text) is
    'Names of the aggregates a layer of the maintenance keeps: answers (over the clean rows), metrics (over the star tables'' facts), or all for null.';
