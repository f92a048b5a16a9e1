-- elt.declare_as_of
-- Give a declared aggregate its answer as of a past moment: analytics.<name>_as_of(at), the
-- aggregate's own recompute (elt.aggregate_sql, so the keys, sums and filter are the
-- declaration's) over its source as of the moment, a function of `at` (e.g.
-- 'clean.orders_as_of(at)'). The moment is checked first against the logs' retention
-- (elt.check_history; logs 'changes' for the replicated tables, 'facts' for the facts).
-- A ranked aggregate also gets analytics.<name>_top_as_of(at, k), the twin of <name>_top(k).
-- As exact as the recompute: it is the recompute, over the rows of that moment. It costs a
-- recompute plus reading the log since the moment, so it is for questions, not dashboards.
-- Fails with undefined_object while the aggregate is not declared yet, so a deploy applies
-- this file again after the aggregate's.

create or replace procedure elt.declare_as_of(name text, source_as_of text, logs text default 'changes')
language plpgsql as $$
declare
    a elt.aggregate;
begin
    select * into a from elt.aggregate as g where g.name = declare_as_of.name;
    if a.name is null then
        raise exception 'aggregate % is not declared', name using errcode = 'undefined_object';
    end if;
    a.source := source_as_of;
    execute format($f$
        create or replace function analytics.%1$I(at timestamptz)
        returns setof analytics.%2$I
        language plpgsql stable
        set max_parallel_workers_per_gather = 0
        as %3$L$f$,
        name || '_as_of', name || '_recompute',
        format(E'begin\nperform elt.check_history(at, %L);\nreturn query %s;\nend', logs, elt.aggregate_sql(a, 'recompute')));
    execute format('comment on function analytics.%I(timestamptz) is %L', name || '_as_of',
                   format('analytics.%s as it was at a moment inside the change logs'' retention (elt.changelog_retention): its recompute over %s. Exact; costs a recompute.',
                          name, source_as_of));
    if a.ranked then
        -- The twin of <name>_top(k), ranked as it ranks: largest first measure, ties to the
        -- smaller first key, a null key after every key with as much.
        execute format($f$
            create or replace function analytics.%1$I(at timestamptz, how_many integer)
            returns setof analytics.%2$I
            language sql stable as
            'select * from analytics.%3$I(at) as r order by r.%4$I desc, r.%5$I asc nulls last limit how_many'$f$,
            name || '_top_as_of', name || '_recompute', name || '_as_of', a.measures[1], a.keys[1]);
        execute format('comment on function analytics.%I(timestamptz, integer) is %L', name || '_top_as_of',
                       format('analytics.%s_top(k) as it was at a moment inside the change logs'' retention: the k first of analytics.%s_as_of. Exact.',
                              name, name));
    end if;
end
$$;

comment on procedure elt.declare_as_of(text, text, text) is
    'Create analytics.<name>_as_of(at timestamptz) for a declared aggregate: its recompute over its source as of a moment (a function of at), after checking the moment against the logs'' retention.';
