-- elt.rebuild_aggregate
-- The work of a full rebuild, inside the caller's REPEATABLE READ transaction: recompute the
-- aggregate into analytics.<name>_hist (REFRESH reads the transaction's snapshot, the very one
-- pg_current_snapshot() records), re-anchor the maintained part to it, and move the watermark.
-- The cost of a recompute whatever changed: for the nightly re-anchoring and for bulk loads,
-- where folding millions of changes would cost more. Logs to elt.rebuild_log; returns the rows
-- of the maintained part written.

create or replace function elt.rebuild_aggregate(aggregate_name text)
returns bigint
language plpgsql as $$
declare
    started timestamptz := clock_timestamp();
    a elt.aggregate;
    hist_rows bigint;
    written bigint;
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        raise exception 'elt.rebuild_aggregate needs a repeatable read transaction'
            using hint = 'Use call elt.rebuild(''...''), which sets it up.';
    end if;
    select * into a from elt.aggregate as g where g.name = aggregate_name;
    if a.name is null then
        raise exception 'unknown aggregate "%"', aggregate_name
            using hint = 'Known: ' || coalesce((select string_agg(g.name, ', ' order by g.name) from elt.aggregate as g), 'none') || '.',
                  errcode = 'invalid_parameter_value';
    end if;
    -- Nobody reads _hist but the rebuild, so the plain REFRESH (no diff, exclusive lock) will do.
    execute format('refresh materialized view analytics.%I', a.name || '_hist');
    execute format('select count(*) from analytics.%I', a.name || '_hist') into hist_rows;
    written := elt.reanchor(a);
    update elt.watermark as w
    set snapshot = pg_current_snapshot(), as_of = now(), changes_through = elt.last_change_id(elt.layer_of(a.source)),
        rebuilt_at = now()
    where w.aggregate = a.name;
    insert into elt.rebuild_log (aggregate, started_at, finished_at, hist_rows, watermark, rows_written)
    values (a.name, started, clock_timestamp(), hist_rows, pg_current_snapshot(), written);
    return written;
end
$$;

comment on function elt.rebuild_aggregate(text) is
    'Recompute analytics.<aggregate>_hist, re-anchor the maintained part to it and move the watermark, in the current repeatable read transaction; logs to elt.rebuild_log. Use elt.rebuild.';
