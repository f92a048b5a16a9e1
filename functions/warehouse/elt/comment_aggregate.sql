-- elt.comment_aggregate
-- COMMENT ON every part of a declared aggregate and its columns, from the declaration: psql's
-- \d+ is the user manual, and a generated object is no exception.

create or replace procedure elt.comment_aggregate(a elt.aggregate)
language plpgsql as $$
declare
    part record;
    col record;
begin
    for part in
        select p.suffix, p.kind, p.text
        from (values
            ('', 'view', a.comment || ' Always current: the maintained part plus every change replicated since its watermark (see analytics.freshness).'),
            ('_recompute', 'view', format('Specification of analytics.%s, recomputed from scratch over %s (slow; for checks and rebuilds).', a.name, a.source)),
            ('_hist', 'materialized view', format('Full rebuild of analytics.%s (analytics.%s_recompute as of the last elt.rebuild); the rebuild re-anchors the maintained part from it.', a.name, a.name)),
            ('_maintained', 'table', format('Maintained part of analytics.%s: the answer as of elt.watermark (''%s''), advanced by elt.fold about every second and re-anchored by elt.rebuild.', a.name, a.name)),
            ('_delta', 'view', format('Net change of analytics.%s since its watermark, from %s (may be negative; costs in proportion to the changes).', a.name, a.changes))
        ) as p (suffix, kind, text)
    loop
        execute format('comment on %s analytics.%I is %L', part.kind, a.name || part.suffix, part.text);
        for col in
            select k.name, k.comment from unnest(a.keys, a.key_comments) as k (name, comment)
            union all
            select m.name, m.comment || case part.suffix when '_delta' then ' Change since the watermark.' else '' end
            from unnest(a.measures, a.measure_comments) as m (name, comment)
        loop
            execute format('comment on column analytics.%I.%I is %L', a.name || part.suffix, col.name, col.comment);
        end loop;
    end loop;
    if a.ranked then
        execute format('comment on function analytics.%I(integer) is %L', a.name || '_top',
                       format('The how_many keys of analytics.%s with the largest %s (ties to the smaller %s, null last), from the maintained part''s index plus the keys changed since the watermark.',
                              a.name, a.measures[1], a.keys[1]));
    end if;
end
$$;

comment on procedure elt.comment_aggregate(elt.aggregate) is
    'Comment every part of a declared aggregate and its columns from its declaration (called by elt.declare_aggregate).';
