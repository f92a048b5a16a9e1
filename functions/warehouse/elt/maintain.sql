-- elt.maintain
-- call elt.maintain(layer => 'answers'): keep a layer's aggregates within a fraction of a second
-- of the changes, one round every fold_every. The pg_cron jobs run one loop per layer, each
-- started every minute (pg_cron 1.4 schedules by the minute):
--   maintain-answers  call elt.maintain(layer => 'answers'): the four answers' aggregates, every
--                     0.1 s. What a reader adds to the maintained part is about that much of the
--                     traffic, and a reader's cost follows it. Measured at 1M orders under 500
--                     tx/s: folding every 1 s, 0.25 s and 0.1 s put pending_items' p99 at about 60,
--                     40 and 19 ms, for about 15% of a core at 0.1 s (bench/README.md).
--   maintain-metrics  call elt.maintain(layer => 'metrics'): every second, the star tables advance
--                     (elt.advance_star_tables, its own transaction), then the metrics fold what
--                     the advance changed, so a metric's delta is nearly always empty. An advance
--                     costs several times a fold per change, and the first reads the whole log
--                     (about 3 minutes at 1M orders); a metric's rebuild takes seconds. In their
--                     own loop, neither holds an answer's fold.
-- Without a layer, every aggregate is folded in each round and the star tables do not advance
-- (what the tests and a hand-run catch-up want); it excludes both layers' loops.
-- A run lasts run_for, by default until half a second before the next minute, so one run follows
-- the other with a gap of half a second (a gap of a few seconds let the delta grow to thousands
-- of changes, and the answers' p99 with it) and no overlap: a run still going when the next is
-- due is started again only 59 s later by pg_cron 1.4.
-- Each round is one REPEATABLE READ transaction (elt.begin_maintenance), committed before the
-- next: an aggregate whose pending changes would cost more to fold than its last rebuild took
-- (a bulk load) is rebuilt, the others are folded (elt.maintain_round). A round that fails is
-- logged in elt.fold_log (elt.star_log for an advance) with its error and changes nothing; the
-- next round tries again. A session advisory lock per layer keeps a second run of a layer from
-- starting beside the first (it returns at once); it is released at the end, or with the
-- session if the run is killed. An idle warehouse costs next to nothing: a round in which no
-- change arrived does nothing.

create or replace procedure elt.maintain(run_for interval default null,
                                         fold_every interval default null,
                                         layer text default null)
language plpgsql as $$
declare
    -- Half a second before the minute: pg_cron 1.4 starts a job still running at its due time
    -- only about a minute later (measured: a run that ended 29 ms past the minute left the
    -- answers unfolded for 59 s), so a run must end before the next one is due. A metrics round
    -- (an advance, then a fold) can take a second: it stops two seconds before.
    stop_at timestamptz := coalesce(clock_timestamp() + run_for,
                                    date_trunc('minute', clock_timestamp())
                                    + case when layer = 'metrics' then interval '58 seconds'
                                           else interval '59.5 seconds' end);
    every interval := coalesce(fold_every, case when layer = 'metrics' then interval '1 second'
                                                else interval '0.1 seconds' end);
    names text[] := elt.aggregates_in(layer);
    -- One key per layer; a run of every layer holds both.
    keys bigint[] := array(select hashtext('elt.maintain ' || l)
                           from unnest(case when layer is null then array['answers', 'metrics']
                                            else array[layer] end) as l);
    held bigint[] := '{}';
    key bigint;
    next_at timestamptz;
    started timestamptz;
    failure text;
begin
    foreach key in array keys loop
        if not pg_try_advisory_lock(key) then
            perform pg_advisory_unlock(k) from unnest(held) as k;
            raise notice 'elt.maintain% is already running in another session',
                case when layer is null then '' else format(' (layer %s)', layer) end;
            return;
        end if;
        held := held || key;
    end loop;
    loop
        next_at := clock_timestamp() + every;
        if layer = 'metrics' then
            commit;
            set transaction isolation level repeatable read;
            -- Advances wait for each other (elt.advance_star, by hand), never for a fold.
            lock table elt.star_watermark in share row exclusive mode;
            started := clock_timestamp();
            begin
                perform elt.advance_star_tables();
            exception when others then
                get stacked diagnostics failure = message_text;
                insert into elt.star_log (started_at, finished_at, changes, rows_written, error)
                values (started, clock_timestamp(), 0, 0, failure);
            end;
        end if;
        call elt.begin_maintenance(layer);
        started := clock_timestamp();
        begin
            perform elt.maintain_round(layer);
        exception when others then
            get stacked diagnostics failure = message_text;
            insert into elt.fold_log (started_at, finished_at, aggregates, changes, rows_written, error)
            values (started, clock_timestamp(), names, 0, 0, failure);
        end;
        commit;
        exit when next_at >= stop_at;
        perform pg_sleep(greatest(0, extract(epoch from next_at - clock_timestamp())));
    end loop;
    perform pg_advisory_unlock(k) from unnest(held) as k;
end
$$;

comment on procedure elt.maintain(interval, interval, text) is
    'Keep a layer''s aggregates current: answers (fold every 0.1 s) or metrics (advance the star tables, then fold, every second); every aggregate when layer is null. Each round in its own repeatable read transaction, rebuilding where folding would cost more; runs for run_for (default: until just before the next minute), one run per layer at a time. The pg_cron jobs maintain-answers and maintain-metrics call it every minute.';

create or replace function elt.maintain_round(layer text default null)
returns void
language plpgsql as $$
declare
    names text[] := elt.aggregates_in(layer);
    -- Pending changes are counted in the ids of the logs each layer reads (elt.layers).
    through_answers bigint := elt.last_change_id('answers');
    through_metrics bigint := elt.last_change_id('metrics');
    -- What a fold of n changes costs this layer, from its recent folds: n times their time per
    -- change (over folds of at least 100 changes: in smaller ones the fixed cost dominates, and 10
    -- ms for 1 change made 2000 pending changes look like 20 s), or fixed + per_change * n fitted
    -- by least squares, whichever is lower. The ratio alone counted each fold's fixed cost
    -- (planning, the logs' probes: about 5 ms) as if it grew with the changes: with folds of about
    -- 100 changes every 0.1 s, the 2000 changes pending after the half-second gap between two
    -- runs looked like 0.6 s of folding, so the answers' loop rebuilt open_orders and
    -- open_orders_by_date once a minute where a fold took 0.05 s. The fit counts only where the
    -- folds vary enough to give it a positive slope. Per layer: a metric's fold and an answer's
    -- cost differently per change.
    fit record;
    rebuilt text[] := '{}';
    agg_name text;
begin
    -- Nothing drawn since the last fold: nothing to fold. (An id drawn before it and committed
    -- after waits for the next change; the answers include it meanwhile, through the delta.)
    if not exists (select from elt.aggregate as g
                   join elt.watermark as w on w.aggregate = g.name
                   where g.name = any(names)
                     and coalesce(w.changes_through, 0)
                         < case elt.layer_of(g.source) when 'metrics' then through_metrics else through_answers end)
    then
        -- Still current: say so about once a second, so that the first change after a quiet
        -- spell does not read as a fold lag as long as the spell.
        update elt.watermark as w set as_of = now()
        where w.aggregate = any(names) and w.as_of < now() - interval '1 second';
        return;
    end if;
    select sum(l.seconds) filter (where l.changes >= 100)
               / nullif(sum(l.changes) filter (where l.changes >= 100), 0) as ratio,
           case when count(*) >= 20 and regr_slope(l.seconds, l.changes) > 0
                then greatest(regr_intercept(l.seconds, l.changes), 0) end as fixed,
           case when count(*) >= 20 and regr_slope(l.seconds, l.changes) > 0
                then regr_slope(l.seconds, l.changes) end as per_change
    into fit
    from (select extract(epoch from f.finished_at - f.started_at) as seconds, f.changes
          from elt.fold_log as f
          where f.error is null and f.changes > 0 and f.aggregates <@ names
          order by f.fold_id desc
          limit 200) as l;
    -- Rebuild like a planner would: when folding the pending changes is expected to take longer
    -- than the aggregate's last rebuild took, or past rebuild_above whatever the estimate. The
    -- fit only ever lowers the estimate (of two lines through recent folds, the lower), and an
    -- aggregate rebuilt on the estimate is folded once before the estimate can rebuild it again:
    -- its estimate comes from folds, and without them a stale one rebuilt the metrics round after
    -- round (a rebuild of 20 s left 40k changes pending, which the estimate of four early folds
    -- priced above the rebuild, and so on for ten minutes).
    for agg_name in
        select g.name
        from elt.aggregate as g
        join elt.watermark as w on w.aggregate = g.name
        cross join lateral (select case elt.layer_of(g.source) when 'metrics' then through_metrics
                                                               else through_answers end
                                   - coalesce(w.changes_through, 0) as pending) as p
        where g.name = any(names)
          and (p.pending > g.rebuild_above
               or (w.as_of > coalesce(w.rebuilt_at, '-infinity')
                   and least(p.pending * fit.ratio, fit.fixed + p.pending * fit.per_change) > (
                          select extract(epoch from r.finished_at - r.started_at)
                          from elt.rebuild_log as r
                          where r.aggregate = g.name
                          order by r.rebuild_id desc
                          limit 1)))
        order by g.name
    loop
        perform elt.rebuild_aggregate(agg_name);
        rebuilt := rebuilt || agg_name;
    end loop;
    perform elt.fold_aggregates(array(select n from unnest(names) as n where n <> all(rebuilt)));
end
$$;

comment on function elt.maintain_round(text) is
    'One round of elt.maintain for a layer (answers, metrics; null: all) in the current repeatable read transaction: nothing when no change arrived since the last; else rebuild the aggregates whose pending changes would take longer to fold (at the lower of the layer''s recent cost per change and a fixed + per change fit) than their last rebuild took, unless a rebuild on that estimate came last, or that exceed rebuild_above; fold the others.';
