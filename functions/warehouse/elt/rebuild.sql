-- elt.rebuild and elt.rebuild_all
-- call elt.rebuild('pending_items'): recompute one answer's aggregates from scratch and
-- re-anchor their maintained parts; call elt.rebuild_all(): every aggregate, one watermark.
-- The answers are exact before, during and after; a rebuild only re-anchors (nightly) or
-- catches up faster than a fold would after a bulk load. Same transaction and lock as elt.fold
-- (elt.begin_maintenance).

create or replace procedure elt.rebuild(answer text)
language plpgsql as $$
declare
    names text[] := elt.aggregates_of(answer);
    name text;
begin
    if cardinality(names) = 0 then
        raise exception 'unknown aggregate "%"', answer
            using hint = 'Known: ' || coalesce((select string_agg(g.name, ', ' order by g.name) from elt.aggregate as g), 'none')
                         || ', and the answers built on them (top_dates, top_customers).',
                  errcode = 'invalid_parameter_value';
    end if;
    call elt.begin_maintenance();
    foreach name in array names loop
        perform elt.rebuild_aggregate(name);
    end loop;
end
$$;

comment on procedure elt.rebuild(text) is
    'Recompute an answer''s aggregates (e.g. open_orders, or top_dates for open_orders_by_date) and re-anchor their maintained parts, in a repeatable read transaction of its own.';

create or replace procedure elt.rebuild_all()
language plpgsql as $$
declare
    name text;
begin
    call elt.begin_maintenance();
    for name in select g.name from elt.aggregate as g order by g.name loop
        perform elt.rebuild_aggregate(name);
    end loop;
end
$$;

comment on procedure elt.rebuild_all() is
    'Recompute every aggregate and re-anchor its maintained part, in one repeatable read transaction (one watermark for all); the nightly pg_cron job rebuild-aggregates.';
