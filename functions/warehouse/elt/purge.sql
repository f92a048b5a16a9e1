-- elt.purge
-- Keeps the logs bounded: pg_cron's run details and elt.rebuild_log older than `keep`, a day of
-- elt.fold_log and of elt.star_log (a few rows a second: what status and the benchmarks look at
-- is recent), and the
-- change log entries (staging.<table>_changes) older than `keep` that no watermark needs any
-- more. An entry is needed while some watermark might count it as "after": entries of
-- transactions before the oldest watermark's xmin are visible to every watermark, so no delta
-- reads them again.
-- The changelog is also the audit trail, hence `keep` for it too.

create or replace procedure elt.purge(keep interval default interval '7 days')
language plpgsql as $$
declare
    -- The star tables' watermark too: entries they have not read yet are history they need.
    oldest_needed xid8 := least((select min(pg_snapshot_xmin(w.snapshot)) from elt.watermark as w),
                                (select pg_snapshot_xmin(s.snapshot) from elt.star_watermark as s));
    t text;
begin
    if to_regclass('cron.job_run_details') is not null then
        execute 'delete from cron.job_run_details where end_time < now() - $1' using keep;
    end if;
    delete from elt.rebuild_log as l where l.finished_at < now() - keep;
    delete from elt.fold_log as l where l.finished_at < now() - least(keep, interval '1 day');
    delete from elt.star_log as l where l.finished_at < now() - least(keep, interval '1 day');
    if oldest_needed is not null then
        foreach t in array array['customers', 'products', 'orders', 'order_items'] loop
            execute format('delete from staging.%I as c where c.xact_id < $1 and c.applied_at < now() - $2',
                           t || '_changes')
                using oldest_needed, keep;
        end loop;
    end if;
end
$$;

comment on procedure elt.purge(interval) is
    'Delete pg_cron run details, rebuild log rows, fold log rows older than a day and changelog entries older than keep (default 7 days); changelog entries a watermark still needs are kept.';
