-- elt.fold_aggregates
-- The work of a fold, inside the caller's REPEATABLE READ transaction: for each aggregate, the
-- net change between its watermark W and this transaction's snapshot S is A(S) - A(W) (see
-- docs/design.md#why-the-answer-is-exact-historic-part-plus-delta), so adding it into the maintained part and storing S as the watermark in the same
-- transaction advances the answer at the cost of the changes alone. Readers see the old part
-- with the old watermark or the new with the new (MVCC), so the answer stays exact throughout.
-- Aggregates of one layer with the same watermark are folded in one statement, which reads
-- each changes function once (elt.changes_ctes). Logs the fold in elt.fold_log; returns the rows written.

create or replace function elt.fold_aggregates(names text[] default null)
returns bigint
language plpgsql
-- Keyed lookups, where parallel workers and JIT only cost (as in the changes functions, whose
-- statements the fold embeds).
set max_parallel_workers_per_gather = 0
set jit = off
as $$
declare
    started timestamptz := clock_timestamp();
    -- Each layer's pending changes are counted in the ids of the logs it reads (elt.layers).
    through_answers bigint := elt.last_change_id('answers');
    through_metrics bigint := elt.last_change_id('metrics');
    folded text[] := '{}';
    changes bigint := 0;
    written bigint := 0;
    grp record;
    folded_rows record;
    statement text;
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        raise exception 'elt.fold_aggregates needs a repeatable read transaction'
            using hint = 'Use call elt.fold(), which sets it up.';
    end if;
    for grp in
        select (array_agg(w.snapshot))[1] as since, array_agg(g.name order by g.name) as names,
               array_agg(distinct g.changes) as functions,
               min(w.changes_through) as since_id,
               max(case elt.layer_of(g.source) when 'metrics' then through_metrics else through_answers end) as through
        from elt.aggregate as g
        join elt.watermark as w on w.aggregate = g.name
        where fold_aggregates.names is null or g.name = any(fold_aggregates.names)
        -- Per layer too: a layer's pending changes are counted in its own logs' ids.
        group by elt.layer_of(g.source), w.snapshot::text
    loop
        -- One statement reads each changes function once (elt.changes_ctes) and folds them into
        -- every aggregate of the group; it returns, per aggregate, the rows written and those
        -- that reached zero. An aggregate's fold reads "changes" (elt.aggregate_sql): its own
        -- changes_<n>, named so by a WITH of its own, which the planner inlines.
        select format('with %s, %s %s',
                      elt.changes_ctes(grp.functions, grp.since),
                      string_agg(format('folded_%s as (with changes as (select * from changes_%s) %s)',
                                        u.n, array_position(grp.functions, g.changes), elt.aggregate_sql(g, 'fold')),
                                 ', ' order by u.n),
                      string_agg(format('select %L as name, (select count(*) from folded_%s) as rows,'
                                        ' array(select f.ctid from folded_%s as f where f.zero) as zeros',
                                        g.name, u.n, u.n), ' union all ' order by u.n))
        into statement
        from elt.aggregate as g
        join unnest(grp.names) with ordinality as u (name, n) on u.name = g.name;
        for folded_rows in execute statement using grp.since loop
            execute format('delete from analytics.%I where ctid = any($1)', folded_rows.name || '_maintained')
                using folded_rows.zeros;
            written := written + folded_rows.rows + cardinality(folded_rows.zeros);
        end loop;
        folded := folded || grp.names;
        changes := greatest(changes, coalesce(grp.through - grp.since_id, 0));
    end loop;
    update elt.watermark as w
    set snapshot = pg_current_snapshot(), as_of = now(),
        changes_through = case elt.layer_of(g.source) when 'metrics' then through_metrics else through_answers end
    from elt.aggregate as g
    where g.name = w.aggregate and w.aggregate = any(folded);
    insert into elt.fold_log (started_at, finished_at, aggregates, changes, rows_written)
    values (started, clock_timestamp(), folded, changes, written);
    return written;
end
$$;

comment on function elt.fold_aggregates(text[]) is
    'Fold the changes since their watermarks into the maintained parts of the aggregates (all, or those named) and move the watermarks, in the current repeatable read transaction; logs to elt.fold_log. Use elt.fold or elt.maintain.';
