-- elt.maintain_star
-- call elt.maintain_star(): advance the star tables (elt.advance_star_tables) once a second until
-- two seconds before the next minute (or for run_for), each advance in a REPEATABLE READ transaction of its
-- own, committed before the next. The pg_cron job advance-star-tables calls it every minute, as
-- maintain-aggregates calls elt.maintain.
-- A job of its own, not a step of elt.maintain's rounds: an advance costs several times a fold
-- per change (about 0.12 ms at 1M orders), and the first one reads the whole log (183 s at 1M
-- orders), which inside the folds' loop would hold every answer's fold for as long.
-- Advances lock elt.star_watermark, not elt.watermark, so they wait for each other and never for
-- a fold. A failed advance is logged in elt.star_log and changes nothing; the next one retries.
-- A session advisory lock keeps a second run from starting beside the first.

create or replace procedure elt.maintain_star(run_for interval default null, advance_every interval default '1 second')
language plpgsql as $$
declare
    -- Ends well before the minute, like elt.maintain: a run still going when the next is due is
    -- started again only about a minute later by pg_cron 1.4; an advance takes up to a second.
    stop_at timestamptz := coalesce(clock_timestamp() + run_for,
                                    date_trunc('minute', clock_timestamp()) + interval '58 seconds');
    next_at timestamptz;
    started timestamptz;
    failure text;
begin
    if not pg_try_advisory_lock(hashtext('elt.maintain_star')) then
        raise notice 'elt.maintain_star is already running in another session';
        return;
    end if;
    loop
        next_at := clock_timestamp() + advance_every;
        commit;
        set transaction isolation level repeatable read;
        lock table elt.star_watermark in share row exclusive mode;
        started := clock_timestamp();
        begin
            perform elt.advance_star_tables();
        exception when others then
            get stacked diagnostics failure = message_text;
            insert into elt.star_log (started_at, finished_at, changes, rows_written, error)
            values (started, clock_timestamp(), 0, 0, failure);
        end;
        commit;
        exit when next_at >= stop_at;
        perform pg_sleep(greatest(0, extract(epoch from next_at - clock_timestamp())));
    end loop;
    perform pg_advisory_unlock(hashtext('elt.maintain_star'));
end
$$;

comment on procedure elt.maintain_star(interval, interval) is
    'Advance the star tables every advance_every (1 s) for run_for (default: until two seconds before the next minute), each advance in its own repeatable read transaction; one run at a time. The pg_cron job advance-star-tables calls it every minute.';
