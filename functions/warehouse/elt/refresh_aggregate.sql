-- elt.refresh_aggregate
-- The work of a refresh, inside the caller's transaction: rebuild analytics.<aggregate>_hist and
-- move its watermark to the transaction's snapshot, then log the run. Needs a REPEATABLE READ
-- (or SERIALIZABLE) transaction: there REFRESH reads the transaction's snapshot, the very one
-- pg_current_snapshot() records, so the historic part and its watermark cannot disagree.
-- REFRESH ... CONCURRENTLY changes the matview with ordinary MVCC writes: a reader sees the old
-- part with the old watermark or the new with the new, never a mix, and never waits.
-- Called by elt.refresh and elt.refresh_all, which set up the transaction.

create or replace function elt.refresh_aggregate(aggregate_name text)
returns bigint
language plpgsql as $$
declare
    started timestamptz := clock_timestamp();
    -- The top-3 answers are views over the per-key aggregates, which hold their history.
    base text := case aggregate_name
                     when 'top_dates' then 'open_orders'
                     when 'top_customers' then 'pending_orders'
                     else aggregate_name
                 end;
    hist_rows bigint;
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        raise exception 'elt.refresh_aggregate needs a repeatable read transaction'
            using hint = 'Use call elt.refresh(''...'') outside a transaction block, which sets it up.';
    end if;
    if not exists (select from elt.watermark as w where w.aggregate = base) then
        raise exception 'unknown aggregate "%"', aggregate_name
            using hint = 'Known: ' || (select string_agg(w.aggregate, ', ' order by w.aggregate) from elt.watermark as w)
                         || ', top_dates, top_customers.',
                  errcode = 'invalid_parameter_value';
    end if;
    execute format('refresh materialized view concurrently analytics.%I', base || '_hist');
    execute format('select count(*) from analytics.%I', base || '_hist') into hist_rows;
    update elt.watermark as w
    set snapshot = pg_current_snapshot(), refreshed_at = now()
    where w.aggregate = base;
    insert into elt.refresh_log (aggregate, started_at, finished_at, hist_rows, watermark)
    values (base, started, clock_timestamp(), hist_rows, pg_current_snapshot());
    return hist_rows;
end
$$;

comment on function elt.refresh_aggregate(text) is
    'Rebuild analytics.<aggregate>_hist and move its watermark in the current repeatable read transaction; logs to elt.refresh_log. Use elt.refresh.';
