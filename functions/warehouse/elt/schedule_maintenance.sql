-- elt.schedule_maintenance
-- The pg_cron jobs of the analytics, each named for what it does:
--   maintain-answers     every minute: call elt.maintain(layer => 'answers') (folds every 0.1 s)
--   maintain-metrics     every minute: call elt.maintain(layer => 'metrics') (advances the star
--                        tables and folds the metrics every second)
--   rebuild-aggregates   nightly: call elt.rebuild_all() (re-anchors every maintained part)
--   purge-elt-logs       daily: call elt.purge()
--   count-quarantine     hourly: call elt.count_quarantine() (what status reads)
--   prewarm-lookups      hourly: elt.prewarm() (what the deltas look up by key, in shared buffers)
-- A job that exists keeps its schedule (someone may have chosen it), unless replace is true, or
-- unless it still has the default an older version gave it (old_default): count-quarantine ran
-- every 15 minutes until a count, which evaluates the rules over every order and item, was seen
-- to take over two minutes of a core at 10M orders under 500 tx/s (bench/README.md), slowing
-- every answer while it ran: over two minutes in every fifteen, for a number status shows.
-- Jobs of older versions are unscheduled: refresh-<aggregate>, and maintain-aggregates and
-- advance-star-tables, which the two layers' jobs replace (migrations/warehouse/0013). pg_cron
-- lives only in the database named by cron.database_name; elsewhere this says so, does nothing.

create or replace procedure elt.schedule_maintenance(replace boolean default false)
language plpgsql as $$
declare
    job record;
begin
    if to_regnamespace('cron') is null then
        raise notice 'pg_cron is not installed in database %: no jobs scheduled', current_database()
            using hint = 'pg_cron runs in the database named by cron.database_name.';
        return;
    end if;
    perform cron.unschedule(j.jobname) from cron.job as j
    where j.jobname like 'refresh-%' or j.jobname in ('maintain-aggregates', 'advance-star-tables');
    for job in
        select * from (values
            ('maintain-answers', '* * * * *', $c$call elt.maintain(layer => 'answers')$c$, null),
            ('maintain-metrics', '* * * * *', $c$call elt.maintain(layer => 'metrics')$c$, null),
            ('rebuild-aggregates', '17 2 * * *', 'call elt.rebuild_all()', null),
            ('purge-elt-logs', '17 3 * * *', 'call elt.purge()', null),
            ('count-quarantine', '7 * * * *', 'call elt.count_quarantine()', '*/15 * * * *'),
            ('prewarm-lookups', '37 * * * *', 'select count(*) from elt.prewarm()', null)
        ) as j (name, schedule, command, old_default)
    loop
        -- cron.schedule under a job's name reschedules that job.
        if replace or not exists (select from cron.job as j
                                  where j.jobname = job.name and j.schedule is distinct from job.old_default) then
            perform cron.schedule(job.name, job.schedule, job.command);
        end if;
    end loop;
end
$$;

comment on procedure elt.schedule_maintenance(boolean) is
    'Schedule the pg_cron jobs maintain-answers and maintain-metrics (every minute), rebuild-aggregates (nightly), purge-elt-logs (daily), count-quarantine and prewarm-lookups (hourly), keeping existing schedules unless replace (an older version''s default moves to today''s); needs pg_cron in this database.';
