-- elt.schedule_refreshes
-- The pg_cron jobs of the analytics: one refresh job per aggregate (refresh-open-orders, ...)
-- every interval_minutes, and purge-elt-logs once a day. Re-running it changes the interval.
-- pg_cron lives only in the database named by cron.database_name; elsewhere this says so and
-- does nothing. The deploy calls it there when no refresh job exists yet.

create or replace procedure elt.schedule_refreshes(interval_minutes integer default 5)
language plpgsql as $$
declare
    schedule text;
    name text;
begin
    if to_regnamespace('cron') is null then
        raise notice 'pg_cron is not installed in database %: no jobs scheduled', current_database()
            using hint = 'pg_cron runs in the database named by cron.database_name.';
        return;
    end if;
    schedule := case
        when interval_minutes between 1 and 59 then format('*/%s * * * *', interval_minutes)
        when interval_minutes between 60 and 1439 and interval_minutes % 60 = 0
            then format('0 */%s * * *', interval_minutes / 60)
        when interval_minutes = 1440 then '0 0 * * *'
    end;
    if schedule is null then
        raise exception 'cannot schedule every % minutes', interval_minutes
            using hint = 'Use 1 to 59 minutes, whole hours, or 1440 (daily).',
                  errcode = 'invalid_parameter_value';
    end if;
    for name in select w.aggregate from elt.watermark as w order by w.aggregate loop
        perform cron.schedule('refresh-' || replace(name, '_', '-'), schedule,
                              format('call elt.refresh(%L)', name));
    end loop;
    perform cron.schedule('purge-elt-logs', '17 3 * * *', 'call elt.purge()');
end
$$;

comment on procedure elt.schedule_refreshes(integer) is
    'Schedule the pg_cron jobs refresh-<aggregate> every interval_minutes (default 5) and purge-elt-logs daily; needs pg_cron in this database.';
