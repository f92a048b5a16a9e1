-- elt.aggregate_sql
-- The SQL of one derived part of a declared aggregate (a row of elt.aggregate): the one place
-- where a declaration becomes queries, so the recompute, the delta, the answer, the fold and the
-- rebuild cannot disagree on a key, a measure or the filter.
-- A group is present when any of its measures is not zero: rows that reach zero disappear.
-- Declarations come from the project's own object files; names are quoted with %I, while
-- source, changes, sums and filter are SQL by design (like a dbt model's body).

create or replace function elt.aggregate_sql(a elt.aggregate, part text)
returns text
language plpgsql stable as $$
declare
    keys text := elt.format_each(a.keys, '%I');
    measures text := elt.format_each(a.measures, '%I');
    maintained text := format('analytics.%I', a.name || '_maintained');
    hist text := format('analytics.%I', a.name || '_hist');
    -- Each measure's sum over source rows (the recompute) or over changes, signed by side.
    signed text := case when part = 'recompute' then '' else 'side * ' end;
    sums text := (select string_agg(format('sum(%s(%s)) as %I', signed, s.expr, s.name), ', ' order by s.n)
                  from unnest(a.sums, a.measures) with ordinality as s (expr, name, n));
    present text := (select string_agg(format('sum(%s(%s)) <> 0', signed, s.expr), ' or ' order by s.n)
                     from unnest(a.sums) with ordinality as s (expr, n));
    parts_present text := elt.format_each(a.measures, 'sum(parts.%I) <> 0', ' or ');
    -- The answer and the top-k cast their sums back to the recompute's column types.
    casts text;
begin
    if part = 'recompute' then
        return format('select %s, %s from %s where %s group by %s having %s',
                      keys, sums, a.source, a.filter, keys, present);
    elsif part = 'delta' then
        return format('select %s, %s from %s((select w.snapshot from elt.watermark as w where w.aggregate = %L))'
                      ' where %s group by %s having %s',
                      keys, sums, a.changes, a.name, a.filter, keys, present);
    elsif part = 'fold' then
        -- Over the relation "changes" (the rows of a.changes since the watermark): add the net
        -- change into the maintained part, key by key; the unique index treats null keys as equal.
        -- Returns where each written row is and whether it reached zero, for elt.fold_aggregates
        -- to delete those by ctid (an index on the measures would make every update non-HOT).
        return format('insert into %s as t (%s, %s) select %s, %s from changes where %s'
                      ' group by %s having %s on conflict (%s) do update set %s returning t.ctid, %s as zero',
                      maintained, keys, measures, keys, sums, a.filter, keys, present, keys,
                      elt.format_each(a.measures, '%1$I = t.%1$I + excluded.%1$I'),
                      elt.format_each(a.measures, 't.%I = 0', ' and '));
    elsif part = 'drop_zeros' then
        return format('delete from %s where %s', maintained, elt.format_each(a.measures, '%I = 0', ' and '));
    elsif part = 'reanchor' then
        -- Make the maintained part equal analytics.<name>_hist, writing only the rows that
        -- differ: first those hist has otherwise (this part), then zeros for the keys hist lacks
        -- (reanchor_gone), which drop_zeros removes. Each returns the rows it wrote.
        return format('with differing as (select %2$s, %3$s from %4$s except select %2$s, %3$s from %1$s),'
                      ' upserted as (insert into %1$s as t (%2$s, %3$s) select %2$s, %3$s from differing'
                      ' on conflict (%2$s) do update set %5$s returning 1)'
                      ' select count(*) from upserted',
                      maintained, keys, measures, hist, elt.format_each(a.measures, '%1$I = excluded.%1$I'));
    elsif part = 'reanchor_gone' then
        return format('with gone as (select %2$s from %1$s except select %2$s from %3$s),'
                      ' zeroed as (insert into %1$s as t (%2$s, %4$s) select %2$s, %5$s from gone'
                      ' on conflict (%2$s) do update set %6$s returning 1)'
                      ' select count(*) from zeroed',
                      maintained, keys, hist, measures, elt.format_each(a.measures, '0'),
                      elt.format_each(a.measures, '%I = 0'));
    end if;

    select string_agg(format('sum(parts.%1$I)::%2$s as %1$I', c.attname, format_type(c.atttypid, c.atttypmod)), ', '
                      order by c.attnum)
    into casts
    from pg_attribute as c
    where c.attrelid = format('analytics.%I', a.name || '_recompute')::regclass
      and c.attname = any(a.measures)
      and not c.attisdropped;

    if part = 'answer' then
        -- The maintained rows whose key has no change since the watermark, as they are; and the
        -- keys that changed, each with its maintained row plus its delta. Grouping every
        -- maintained row with the delta instead hashed them all (50k products at 10M orders,
        -- spilling to disk at the default work_mem) to add a handful of changes.
        -- Keys compare null-safely (a null key is a group); the hashed IN covers the keys with no
        -- null, and only the rows with a null key look for their match one by one. Two branches,
        -- not one case: the planner prices a case at all its arms, so the one-by-one lookup was
        -- charged to every row (50k products at 10M orders: a cost of 225k, over jit_above_cost,
        -- and a JIT compilation of 11-30 ms for a read of 7 ms).
        return format($sql$
            with delta as materialized (select %2$s, %3$s from analytics.%4$I)
            select %5$s from %1$s as m
            where (%6$s) and %7$s
              and not ((%8$s) in (select %9$s from delta as d where %10$s))
            union all
            select %5$s from %1$s as m
            where (%6$s) and not (%7$s)
              and not exists (select from delta as d where %11$s)
            union all
            select %12$s, %13$s
            from (select %2$s, %3$s from delta
                  union all
                  select m.* from delta as d
                  cross join lateral (select %2$s, %3$s from %1$s as m where %14$s) as m) as parts
            group by %12$s
            having %15$s$sql$,
            maintained, keys, measures, a.name || '_delta',
            (select string_agg(format('m.%1$I::%2$s as %1$I', c.attname, format_type(c.atttypid, c.atttypmod)), ', '
                               order by c.attnum)
             from pg_attribute as c
             where c.attrelid = format('analytics.%I', a.name || '_recompute')::regclass
               and c.attnum > 0 and not c.attisdropped),
            elt.format_each(a.measures, 'm.%I <> 0', ' or '),
            elt.format_each(a.keys, 'm.%I is not null', ' and '),
            elt.format_each(a.keys, 'm.%I'),
            elt.format_each(a.keys, 'd.%I'),
            elt.format_each(a.keys, 'd.%I is not null', ' and '),
            elt.format_each(a.keys, 'd.%1$I is not distinct from m.%1$I', ' and '),
            elt.format_each(a.keys, 'parts.%I'),
            casts,
            elt.format_each(a.keys, '(m.%1$I = d.%1$I or (m.%1$I is null and d.%1$I is null))', ' and '),
            parts_present);
    elsif part = 'top' then
        -- The k largest first measures: keys whose total did not change since the watermark are
        -- read in index order from the maintained part, and among the first k + (changed keys)
        -- of them lie all that can make the top k; the changed keys are added with their deltas,
        -- summed by key (group by: null keys are one group, and the sum is a hash, not a loop).
        return format($sql$
            with delta as materialized (select %2$s, %3$s from analytics.%4$I),
            candidates as (
                (select m.%5$I from %1$s as m order by m.%6$I desc, m.%5$I asc nulls last
                 limit how_many + (select count(*) from delta))
                union
                select delta.%5$I from delta
            ),
            parts as (
                select m.%5$I, %7$s
                from candidates as c
                cross join lateral (select %2$s, %3$s from %1$s as m
                                    where m.%5$I = c.%5$I or (m.%5$I is null and c.%5$I is null)) as m
                union all
                select %2$s, %3$s from delta
            )
            select parts.%5$I, %8$s
            from parts
            group by parts.%5$I
            having %9$s
            order by %6$I desc, %5$I asc nulls last
            limit how_many$sql$,
            maintained, keys, measures, a.name || '_delta', a.keys[1], a.measures[1],
            elt.format_each(a.measures, 'm.%I'), casts, parts_present);
    end if;
    raise exception 'unknown part "%" of an aggregate', part using errcode = 'invalid_parameter_value';
end
$$;

comment on function elt.aggregate_sql(elt.aggregate, text) is
    'SQL of a derived part of a declared aggregate: recompute, delta, answer, top, fold, drop_zeros, reanchor or reanchor_gone. Used by elt.declare_aggregate, elt.fold_aggregates and elt.rebuild_aggregate.';
