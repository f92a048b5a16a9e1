-- elt.purge
-- Keeps the logs bounded: pg_cron's run details and elt.rebuild_log older than `keep`, a day of
-- elt.fold_log and of elt.star_log (a few rows a second: what status and the benchmarks look at
-- is recent), and the
-- change log entries (staging.<table>_changes, the facts' staging.fct_*_changes too) older than
-- `keep` that no watermark needs any more. An entry is needed while some watermark might count
-- it as "after": entries of transactions before the oldest watermark's xmin are visible to every
-- watermark, so no delta reads them again.
-- The changelog is also the audit trail and the history the answers as of a past moment are
-- rebuilt from: `keep` defaults to elt.changelog_retention.keep (7 days), and the purge moves
-- that table's changes_from / facts_from past the newest entry it deletes, so an answer as of an
-- earlier moment says it is outside the retention instead of being wrong.

create or replace procedure elt.purge(keep interval default null)
language plpgsql as $$
declare
    -- The star tables' watermark too: entries they have not read yet are history they need.
    oldest_needed xid8 := least((select min(pg_snapshot_xmin(w.snapshot)) from elt.watermark as w),
                                (select pg_snapshot_xmin(s.snapshot) from elt.star_watermark as s));
    t text;
    newest_purged timestamptz;
begin
    keep := coalesce(keep, (select r.keep from elt.changelog_retention as r), interval '7 days');
    if to_regclass('cron.job_run_details') is not null then
        execute 'delete from cron.job_run_details where end_time < now() - $1' using keep;
    end if;
    delete from elt.rebuild_log as l where l.finished_at < now() - keep;
    delete from elt.fold_log as l where l.finished_at < now() - least(keep, interval '1 day');
    delete from elt.star_log as l where l.finished_at < now() - least(keep, interval '1 day');
    if oldest_needed is not null then
        foreach t in array array['customers', 'products', 'orders', 'order_items', 'fct_order', 'fct_order_item'] loop
            execute format('with purged as (delete from staging.%I as c where c.xact_id < $1 and c.applied_at < now() - $2'
                           ' returning c.applied_at) select max(p.applied_at) from purged as p',
                           t || '_changes')
                into newest_purged
                using oldest_needed, keep;
            if newest_purged is not null then
                -- An entry applied at the moment itself is still needed to rebuild the moment
                -- just before it; from that moment on, nothing purged is missing.
                if t like 'fct%' then
                    update elt.changelog_retention set facts_from = greatest(facts_from, newest_purged);
                else
                    update elt.changelog_retention set changes_from = greatest(changes_from, newest_purged);
                end if;
            end if;
        end loop;
    end if;
end
$$;

comment on procedure elt.purge(interval) is
    'Delete pg_cron run details, rebuild log rows, fold log rows older than a day and change log entries older than keep (default elt.changelog_retention.keep, 7 days); entries a watermark still needs are kept. Moves the history''s start (elt.changelog_retention) past what it deletes.';
