-- elt.declare_aggregate
-- Say an aggregate once; its parts follow. From a declaration (what it sums, by which keys, over
-- which clean rows, with which filter) this creates or updates, in schema analytics:
--   <name>_recompute   the specification: the question computed from scratch (a view)
--   <name>_hist        the full rebuild's result (a materialized view, refreshed by elt.rebuild)
--   <name>_maintained  the maintained part: the answer as of the watermark (a table, folded)
--   <name>_delta       the net change since the watermark (a view)
--   <name>             maintained part + delta: the answer, exact at every moment (a view)
--   <name>_top(k)      with ranked: the k keys with the largest first measure, from an index
-- and records it in elt.aggregate, which elt.fold and elt.rebuild read. Each part is commented.
-- Re-running it with the same declaration changes nothing; a changed filter, source or sum
-- rebuilds the maintained part; changed keys or measures recreate every part (and drop views
-- built on them, which their own files recreate later in the same deploy).

create or replace procedure elt.declare_aggregate(
    name text,
    comment text,
    source text,
    changes text,
    keys text[],
    measures text[],
    filter text,
    ranked boolean default false,
    rebuild_above bigint default 50000)
language plpgsql as $$
declare
    a elt.aggregate;
    before elt.aggregate;
    key_list text;
    build boolean;
begin
    if array_ndims(keys) <> 2 or array_length(keys, 2) <> 2
       or array_ndims(measures) <> 2 or array_length(measures, 2) <> 3 then
        raise exception 'aggregate %: keys are [name, comment] pairs and measures [name, sum, comment] triples', name
            using errcode = 'invalid_parameter_value';
    end if;
    -- Both fail with undefined_table / undefined_function, so the deploy retries this file after
    -- the files that define them.
    perform source::regclass;
    perform (changes || '(pg_snapshot)')::regprocedure;

    a := row(name, comment, source, changes,
             array(select keys[i][1] from generate_subscripts(keys, 1) as i),
             array(select keys[i][2] from generate_subscripts(keys, 1) as i),
             array(select measures[i][1] from generate_subscripts(measures, 1) as i),
             array(select measures[i][2] from generate_subscripts(measures, 1) as i),
             array(select measures[i][3] from generate_subscripts(measures, 1) as i),
             filter, ranked, rebuild_above)::elt.aggregate;
    key_list := elt.format_each(a.keys, '%I');
    select * into before from elt.aggregate as g where g.name = a.name;

    if before.name is not null and (before.keys, before.measures) is distinct from (a.keys, a.measures) then
        execute format('drop view if exists analytics.%I cascade', a.name);
        execute format('drop function if exists analytics.%I(integer)', a.name || '_top');
        execute format('drop view if exists analytics.%I cascade', a.name || '_delta');
        execute format('drop table if exists analytics.%I', a.name || '_maintained');
        execute format('drop view if exists analytics.%I cascade', a.name || '_recompute');
    end if;
    build := before.name is null
             or (before.source, before.changes, before.sums, before.filter, before.keys, before.measures)
                is distinct from (a.source, a.changes, a.sums, a.filter, a.keys, a.measures)
             or to_regclass(format('analytics.%I', a.name || '_maintained')) is null;
    insert into elt.aggregate values (a.*)
    on conflict on constraint aggregate_pkey do update
    set comment = excluded.comment, source = excluded.source, changes = excluded.changes, keys = excluded.keys,
        key_comments = excluded.key_comments, measures = excluded.measures, sums = excluded.sums,
        measure_comments = excluded.measure_comments, filter = excluded.filter, ranked = excluded.ranked,
        rebuild_above = excluded.rebuild_above;

    execute format('create or replace view analytics.%I as %s', a.name || '_recompute',
                   elt.aggregate_sql(a, 'recompute'));
    execute format('create materialized view if not exists analytics.%I as select %s from analytics.%I with no data',
                   a.name || '_hist', key_list || ', ' || elt.format_each(a.measures, '%I'),
                   a.name || '_recompute');
    execute format('create unique index if not exists %I on analytics.%I (%s) nulls not distinct',
                   a.name || '_hist_key', a.name || '_hist', key_list);
    -- Folds update the same rows many times a second: room in every page keeps those updates
    -- HOT (no index names a measure, unless ranked), so old versions are pruned in place; with
    -- an index on the measures, 10 minutes at 500 tx/s left pending_items 8 times its size.
    execute format('create table if not exists analytics.%I with (fillfactor = 50) as'
                   ' select * from analytics.%I with no data', a.name || '_maintained', a.name || '_hist');
    execute format('alter table analytics.%I set (fillfactor = 50)', a.name || '_maintained');
    execute format('drop index if exists analytics.%I', a.name || '_maintained_zero');
    -- The fold upserts by key: null keys (orders without a delivery date) are one group.
    execute format('create unique index if not exists %I on analytics.%I (%s) nulls not distinct',
                   a.name || '_maintained_key', a.name || '_maintained', key_list);
    if a.ranked then
        execute format('create index if not exists %I on analytics.%I (%I desc, %I asc nulls last)',
                       a.name || '_maintained_rank', a.name || '_maintained', a.measures[1], a.keys[1]);
    end if;
    execute format('create or replace view analytics.%I as %s', a.name || '_delta', elt.aggregate_sql(a, 'delta'));
    execute format('create or replace view analytics.%I as %s', a.name, elt.aggregate_sql(a, 'answer'));
    if a.ranked then
        -- PL/pgSQL, so its plan is cached: a SQL function is planned at every call (~2 ms).
        -- jit off: a few hundred keyed lookups, which the planner overestimates into compiling.
        -- rows 10: a top k is short, so a caller joins it by index, not by hashing a whole table
        -- (top_customers hashed all 50k customers to name 3 of them).
        execute format('create or replace function analytics.%I(how_many integer) returns table (%s)'
                       ' language plpgsql stable set jit = off rows 10 as %L',
                       a.name || '_top',
                       (select string_agg(format('%I %s', c.attname, format_type(c.atttypid, c.atttypmod)), ', '
                                          order by c.attnum)
                        from pg_attribute as c
                        where c.attrelid = format('analytics.%I', a.name || '_recompute')::regclass
                          and c.attnum > 0 and not c.attisdropped),
                       format(E'#variable_conflict use_column\nbegin\nreturn query %s;\nend', elt.aggregate_sql(a, 'top')));
    end if;
    call elt.comment_aggregate(a);

    if build then
        -- The first maintained part and its watermark, consistent without a repeatable read
        -- transaction (a deploy runs in read committed): the replicated tables are locked against
        -- the subscription meanwhile, so no change commits between the rebuild and the snapshot.
        lock table operations.customers, operations.products, operations.orders, operations.order_items
            in share mode;
        execute format('refresh materialized view analytics.%I', a.name || '_hist');
        perform elt.reanchor(a);
        insert into elt.watermark as w (aggregate, snapshot, as_of, changes_through, rebuilt_at)
        values (a.name, pg_current_snapshot(), now(), elt.last_change_id(elt.layer_of(a.source)), now())
        on conflict (aggregate) do update
        set snapshot = excluded.snapshot, as_of = excluded.as_of, changes_through = excluded.changes_through,
            rebuilt_at = excluded.rebuilt_at;
    end if;
end
$$;

comment on procedure elt.declare_aggregate(text, text, text, text, text[], text[], text, boolean, bigint) is
    'Declare an aggregate once (keys [name, comment], measures [name, summed expression, comment], clean source, changes function, filter) and create or update its parts in schema analytics: _recompute, _hist, _maintained, _delta, the answer and, when ranked, _top(k).';
