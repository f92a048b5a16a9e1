-- clean.order_milestones_sql
-- When each order was placed and first reached each status, from the orders log, as text:
--   part 'recompute': from every entry of the log (the specification, clean.order_milestones_recompute);
--   part 'advance':   one statement bringing clean.order_milestones from the watermark `since`
--                     to the caller's snapshot, returning the rows it wrote.
-- An order's life is its log entries since the last one that created its id (an insert, or an
-- update that gave a row this id); an entry that removes the id (a delete, or an update that
-- moves the row to another id) ends it. The advance needs only the entries after the watermark:
-- if one of them creates the order, the life starts there; otherwise the stored first times
-- stand and only the statuses not reached before can get one.

create or replace function clean.order_milestones_sql(since pg_snapshot, part text)
returns text
language plpgsql immutable as $$
declare
    after_watermark text := case when since is null then 'true' else
        format('c.xact_id >= %L::xid8 and not pg_visible_in_snapshot(c.xact_id, %L::pg_snapshot)',
               pg_snapshot_xmin(since), since) end;
    lives text;
begin
    lives := format($q$
        entries as materialized (
            select (c.old_row).order_id as order_id, c.change_id, c.applied_at, 'leaves'::text as kind,
                   null::text as status
            from staging.orders_changes as c
            where %1$s
              and (c.operation = 'DELETE'
                   or (c.operation = 'UPDATE' and (c.old_row).order_id is distinct from (c.new_row).order_id))
            union all
            select (c.new_row).order_id, c.change_id, c.applied_at,
                   case when c.operation = 'INSERT' or (c.old_row).order_id is distinct from (c.new_row).order_id
                        then 'creates' else 'updates' end,
                   (c.new_row).status::text
            from staging.orders_changes as c
            where %1$s and c.operation <> 'DELETE'
        ),
        lives as (
            select e.order_id, (array_agg(e.kind order by e.change_id desc))[1] = 'leaves' as gone,
                   max(e.change_id) filter (where e.kind = 'creates') as created_by
            from entries as e
            group by e.order_id
        ),
        -- Entries before the last creation belong to an earlier life of the id: left out.
        news as materialized (
            select l.order_id, l.gone, l.created_by is not null as created,
                   min(e.applied_at) filter (where e.change_id = l.created_by) as placed_at,
                   min(e.applied_at) filter (where e.status = 'PENDING') as pending_at,
                   min(e.applied_at) filter (where e.status = 'PROCESSING') as processing_at,
                   min(e.applied_at) filter (where e.status = 'REPROCESSING') as reprocessing_at,
                   min(e.applied_at) filter (where e.status = 'COMPLETED') as completed_at
            from lives as l
            join entries as e on e.order_id = l.order_id and e.change_id >= coalesce(l.created_by, 0)
            group by l.order_id, l.gone, l.created_by
        )
        $q$, after_watermark);

    if part = 'recompute' then
        return format($q$
            with %s
            select n.order_id, n.placed_at, n.pending_at, n.processing_at, n.reprocessing_at, n.completed_at
            from news as n
            where not n.gone
            $q$, lives);
    elsif part = 'advance' then
        return format($q$
            with %s,
            removed as (
                delete from clean.order_milestones as m
                where m.order_id = any(array(select n.order_id from news as n where n.gone))
                returning 1
            ),
            merged as (
                select n.order_id,
                       case when n.created then n.placed_at else m.placed_at end as placed_at,
                       case when n.created then n.pending_at else coalesce(m.pending_at, n.pending_at) end as pending_at,
                       case when n.created then n.processing_at else coalesce(m.processing_at, n.processing_at) end
                           as processing_at,
                       case when n.created then n.reprocessing_at else coalesce(m.reprocessing_at, n.reprocessing_at) end
                           as reprocessing_at,
                       case when n.created then n.completed_at else coalesce(m.completed_at, n.completed_at) end
                           as completed_at
                from news as n
                -- By key, whatever the planner guesses of news.
                left join lateral (select * from clean.order_milestones as m where m.order_id = n.order_id) as m on true
                where not n.gone
            ),
            upserted as (
                insert into clean.order_milestones as t (order_id, placed_at, pending_at, processing_at,
                                                         reprocessing_at, completed_at)
                -- No placed_at: an order whose creation the log no longer holds (purged before
                -- the star was first built); it gets one when its id is created again.
                select * from merged where merged.placed_at is not null
                on conflict (order_id) do update
                set placed_at = excluded.placed_at, pending_at = excluded.pending_at,
                    processing_at = excluded.processing_at, reprocessing_at = excluded.reprocessing_at,
                    completed_at = excluded.completed_at
                where row(t.*) is distinct from row(excluded.*)
                returning 1
            )
            select (select count(*) from removed) + (select count(*) from upserted)
            $q$, lives);
    end if;
    raise exception 'unknown part "%" of the order milestones', part
        using hint = 'Known: recompute, advance.', errcode = 'invalid_parameter_value';
end
$$;

comment on function clean.order_milestones_sql(pg_snapshot, text) is
    'SQL of the order milestones from the orders log: recompute (every order, from the whole log) or advance (bring clean.order_milestones from a watermark to now; returns rows written).';
