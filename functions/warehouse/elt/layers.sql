-- elt.layer_of, elt.aggregates_in, elt.last_change_id: the layers of the maintenance
-- Two layers: 'answers', the aggregates over the clean rows (the four
-- answers), which read the replicated tables' logs; and 'metrics', those over the star tables'
-- facts (schema analytics), which read the facts' logs. An aggregate's layer follows from its
-- declared source, so declaring a metric puts it there. Each layer counts its pending changes in
-- the ids of the logs it reads: in one shared count, each layer took the other's traffic for its
-- own and rebuilt (migrations/warehouse/0014).

create or replace function elt.layer_of(source text)
returns text
language sql immutable as $$
    select case split_part(source, '.', 1) when 'analytics' then 'metrics' else 'answers' end
$$;

comment on function elt.layer_of(text) is
    'The maintenance layer of an aggregate over this source: metrics over the star tables (schema analytics), else answers.';

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
        where layer is null or layer = elt.layer_of(g.source)
        order by g.name);
end
$$;

comment on function elt.aggregates_in(text) is
    'Names of the aggregates a layer of the maintenance keeps: answers (over the clean rows), metrics (over the star tables'' facts), or all for null.';

create or replace function elt.last_change_id(layer text)
returns bigint
language sql stable as $$
    select case layer when 'metrics' then staging.last_fact_change_id() else staging.last_change_id() end
$$;

comment on function elt.last_change_id(text) is
    'The newest id of the logs a layer reads: the facts'' logs for metrics, the replicated tables'' for answers.';
