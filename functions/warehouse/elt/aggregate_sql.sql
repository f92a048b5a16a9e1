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
    keys text := array_to_string(array(select format('%I', k) from unnest(a.keys) as k), ', ');
    measures text := array_to_string(array(select format('%I', m) from unnest(a.measures) as m), ', ');
    maintained text := format('analytics.%I', a.name || '_maintained');
    -- sum(expr) per measure over a source (side = null) or over changes (side * expr).
    sums text;
    present text;
    casts text;
    all_zero text := (select string_agg(format('%I = 0', m), ' and ') from unnest(a.measures) as m);
begin
    if part in ('recompute', 'delta', 'fold') then
        select string_agg(format('sum(%s(%s)) as %I',
                                 case when part = 'recompute' then '' else 'side * ' end, s.expr, s.name), ', '),
               string_agg(format('sum(%s(%s)) <> 0',
                                 case when part = 'recompute' then '' else 'side * ' end, s.expr), ' or ')
        into sums, present
        from (select * from unnest(a.sums, a.measures) with ordinality as u (expr, name, n) order by n) as s;
    end if;

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
        return format('insert into %1$s as t (%2$s, %3$s) select %2$s, %4$s from changes where %5$s'
                      ' group by %2$s having %6$s on conflict (%2$s) do update set %7$s returning 1',
                      maintained, keys, measures, sums, a.filter, present,
                      (select string_agg(format('%1$I = t.%1$I + excluded.%1$I', m), ', ') from unnest(a.measures) as m));
    elsif part = 'drop_zeros' then
        return format('delete from %s where %s', maintained, all_zero);
    elsif part = 'reanchor' then
        -- Make the maintained part equal analytics.<name>_hist, writing only the rows that
        -- differ: first those hist has otherwise (this part), then zeros for the keys hist lacks
        -- (reanchor_gone), which drop_zeros removes. Each returns the rows it wrote.
        return format('with differing as (select %2$s, %3$s from analytics.%4$I except select %2$s, %3$s from %1$s),'
                      ' upserted as (insert into %1$s as t (%2$s, %3$s) select %2$s, %3$s from differing'
                      ' on conflict (%2$s) do update set %5$s returning 1)'
                      ' select count(*) from upserted',
                      maintained, keys, measures, a.name || '_hist',
                      (select string_agg(format('%1$I = excluded.%1$I', m), ', ') from unnest(a.measures) as m));
    elsif part = 'reanchor_gone' then
        return format('with gone as (select %2$s from %1$s except select %2$s from analytics.%3$I),'
                      ' zeroed as (insert into %1$s as t (%2$s, %4$s) select %2$s, %5$s from gone'
                      ' on conflict (%2$s) do update set %6$s returning 1)'
                      ' select count(*) from zeroed',
                      maintained, keys, a.name || '_hist', measures,
                      (select string_agg('0', ', ') from unnest(a.measures)),
                      (select string_agg(format('%I = 0', m), ', ') from unnest(a.measures) as m));
    end if;

    -- The answer and the top-k cast sums back to the recompute's column types.
    select string_agg(format('sum(parts.%1$I)::%2$s as %1$I', c.attname, format_type(c.atttypid, c.atttypmod)), ', '
                      order by c.attnum)
    into casts
    from pg_attribute as c
    where c.attrelid = format('analytics.%I', a.name || '_recompute')::regclass
      and c.attname = any(a.measures)
      and not c.attisdropped;

    if part = 'answer' then
        return format('with parts as (select %2$s, %3$s from %1$s union all select %2$s, %3$s from analytics.%4$I)'
                      ' select %5$s, %6$s from parts group by %5$s having %7$s',
                      maintained, keys, measures, a.name || '_delta',
                      (select string_agg(format('parts.%I', k), ', ') from unnest(a.keys) as k),
                      casts,
                      (select string_agg(format('sum(parts.%I) <> 0', m), ' or ') from unnest(a.measures) as m));
    elsif part = 'top' then
        -- The k largest first measures: keys whose total did not change since the watermark are
        -- read in index order from the maintained part, and among the first k + (changed keys)
        -- of them lie all that can make the top k; the changed keys are added with their deltas,
        -- summed by key (group by: null keys are one group, and the sum is a hash, not a loop).
        return format($sql$
            with delta as materialized (select %3$s, %4$s from analytics.%5$I),
            candidates as (
                (select m.%6$I from %1$s as m order by m.%7$I desc, m.%6$I asc nulls last
                 limit how_many + (select count(*) from delta))
                union
                select delta.%6$I from delta
            ),
            parts as (
                select m.%6$I, %2$s
                from candidates as c
                cross join lateral (select %8$s from %1$s as m
                                    where m.%6$I = c.%6$I or (m.%6$I is null and c.%6$I is null)) as m
                union all
                select %3$s, %4$s from delta
            )
            select parts.%6$I, %9$s
            from parts
            group by parts.%6$I
            having %10$s
            order by %7$I desc, %6$I asc nulls last
            limit how_many$sql$,
            maintained,
            (select string_agg(format('m.%I', m), ', ') from unnest(a.measures) as m),
            keys, measures, a.name || '_delta', a.keys[1], a.measures[1],
            keys || ', ' || measures,
            casts,
            (select string_agg(format('sum(parts.%I) <> 0', m), ' or ') from unnest(a.measures) as m));
    end if;
    raise exception 'unknown part "%" of an aggregate', part using errcode = 'invalid_parameter_value';
end
$$;

comment on function elt.aggregate_sql(elt.aggregate, text) is
    'SQL of a derived part of a declared aggregate: recompute, delta, answer, top, fold, drop_zeros, reanchor or reanchor_gone. Used by elt.declare_aggregate, elt.fold_aggregates and elt.rebuild_aggregate.';
