-- elt.maintain
-- call elt.maintain(): keep every aggregate's maintained part within a fraction of a second of
-- the changes, folding about every fold_every (0.1 s): what a reader adds to the maintained
-- part is about that much of the traffic, and a reader's cost follows it. Measured at 1M orders
-- under 500 tx/s: folding every 1 s, 0.25 s and 0.1 s put pending_items' p99 at about 60, 40
-- and 19 ms, for about 15% of a core at 0.1 s (bench/README.md). A round in which no change
-- arrived does nothing, so an idle warehouse costs next to nothing.
-- It runs for run_for, by default until half a second before the next minute: the pg_cron job
-- maintain-aggregates starts it every minute (pg_cron 1.4 schedules by the minute), so one run
-- follows the other with a gap of half a second (a gap of a few seconds let the delta grow to
-- thousands of changes, and the answers' p99 with it) and no overlap. Not up to the minute
-- itself: a run still going when the next is due was started again only 59 s later, once
-- pg_cron had a second job every minute (advance-star-tables), and the answers went unfolded.
-- Each round is one REPEATABLE READ transaction (elt.begin_maintenance), committed before the
-- next: an aggregate whose pending changes would cost more to fold than its last rebuild took
-- (a bulk load) is rebuilt, the others are folded (elt.maintain_round).
-- A round that fails is logged in elt.fold_log with its error and changes nothing; the next
-- round tries again. A session advisory lock keeps a second run from starting beside the first
-- (it returns at once); it is released at the end, or with the session if the run is killed.

create or replace procedure elt.maintain(run_for interval default null,
                                         fold_every interval default '0.1 seconds')
language plpgsql as $$
declare
    -- Half a second before the minute: pg_cron 1.4 starts a job still running at its due time
    -- only about a minute later (measured: a run that ended 29 ms past the minute left the
    -- answers unfolded for 59 s), so a run must end before the next one is due.
    stop_at timestamptz := coalesce(clock_timestamp() + run_for,
                                    date_trunc('minute', clock_timestamp()) + interval '59.5 seconds');
    next_at timestamptz;
    started timestamptz;
    failure text;
begin
    if not pg_try_advisory_lock(hashtext('elt.maintain')) then
        raise notice 'elt.maintain is already running in another session';
        return;
    end if;
    loop
        next_at := clock_timestamp() + fold_every;
        started := clock_timestamp();
        call elt.begin_maintenance();
        begin
            perform elt.maintain_round();
        exception when others then
            get stacked diagnostics failure = message_text;
            insert into elt.fold_log (started_at, finished_at, aggregates, changes, rows_written, error)
            values (started, clock_timestamp(), array(select g.name from elt.aggregate as g order by g.name), 0, 0,
                    failure);
        end;
        commit;
        exit when next_at >= stop_at;
        perform pg_sleep(greatest(0, extract(epoch from next_at - clock_timestamp())));
    end loop;
    perform pg_advisory_unlock(hashtext('elt.maintain'));
end
$$;

comment on procedure elt.maintain(interval, interval) is
    'Fold (or, where folding would cost more, rebuild) every aggregate every fold_every (0.1 s) for run_for (default: until half a second before the next minute), each round in its own repeatable read transaction; one run at a time. The pg_cron job maintain-aggregates calls it every minute.';

create or replace function elt.maintain_round()
returns void
language plpgsql as $$
declare
    through bigint := staging.last_change_id();
    -- What a change has cost recent folds of at least 100 changes: in smaller ones the fixed
    -- cost dominates (10 ms for 1 change made 2000 pending changes look like 20 s of folding,
    -- and the first round after a quiet spell rebuilt everything).
    per_change float8 := (
        select sum(extract(epoch from l.finished_at - l.started_at)) / nullif(sum(l.changes), 0)
        from (select f.started_at, f.finished_at, f.changes from elt.fold_log as f
              where f.error is null and f.changes >= 100 order by f.fold_id desc limit 60) as l);
    rebuilt text[] := '{}';
    agg_name text;
begin
    -- Nothing drawn since the last fold: nothing to fold. (An id drawn before it and committed
    -- after waits for the next change; the answers include it meanwhile, through the delta.)
    if through <= (select min(w.changes_through) from elt.watermark as w) then
        -- Still current: say so about once a second, so that the first change after a quiet
        -- spell does not read as a fold lag as long as the spell.
        update elt.watermark as w set as_of = now() where w.as_of < now() - interval '1 second';
        return;
    end if;
    -- Rebuild like a planner would: when folding the pending changes is expected to take longer
    -- than the aggregate's last rebuild took, or past rebuild_above whatever the estimate.
    for agg_name in
        select g.name
        from elt.aggregate as g
        join elt.watermark as w on w.aggregate = g.name
        cross join lateral (select through - coalesce(w.changes_through, 0) as pending) as p
        where p.pending > g.rebuild_above
           or p.pending * per_change > (
                  select extract(epoch from r.finished_at - r.started_at)
                  from elt.rebuild_log as r
                  where r.aggregate = g.name
                  order by r.rebuild_id desc
                  limit 1)
        order by g.name
    loop
        perform elt.rebuild_aggregate(agg_name);
        rebuilt := rebuilt || agg_name;
    end loop;
    perform elt.fold_aggregates(array(select g.name from elt.aggregate as g where g.name <> all(rebuilt)));
end
$$;

comment on function elt.maintain_round() is
    'One round of elt.maintain in the current repeatable read transaction: nothing when no change arrived since the last; else rebuild the aggregates whose pending changes would take longer to fold (at the recent folds'' cost per change) than their last rebuild took, or exceed rebuild_above; fold the others.';
