-- staging.first_touches_sql
-- The query, as text, of every key of one table that a log entry after the watermark touches,
-- with the key's row as of the watermark and as it is now:
--   (key bigint, existed boolean, image, exists_now boolean, image_now)
-- image is the old row of the key's first such entry, image_now the new row of its last one,
-- both of the table's row type and null when the key had no row then, or has none now.
-- The log and the table are written in one transaction, so the last entry a snapshot sees is the
-- row that snapshot sees: the deltas read a changed key's current row from the log's recent,
-- cached pages rather than the table's random ones (at 1M orders, most of a fold's cost).
-- "After the watermark" means written by a transaction not visible in the watermark's snapshot;
-- the table-sync workers of an initial copy commit out of change_id order, so ids alone cannot
-- say it. The xact_id index finds those entries from the snapshot's xmin on. Entries of one key
-- are in change_id order: its writes are serialized at the source and applied in commit order.
-- An UPDATE that changes the key counts as a DELETE of the old key and an INSERT of the new one.
-- Text, with the bound written in, for the deltas to embed in one statement of their own: a plan
-- made for an unknown xmin expects a third of the log and scans all of it (measured: 1.6 s at 6M
-- entries, against milliseconds), and typed rows, not jsonb, cost the deltas nothing to read.

create or replace function staging.first_touches_sql(since pg_snapshot, changed_table text, key_column text)
returns text
language sql immutable as $$
    select format($q$
        select distinct on (t.key) t.key,
               last_value(t.existed) over newest_first as existed,
               last_value(t.image) over newest_first as image,
               t.exists_now, t.image_now
        from (
            -- operation, not "old_row is null": a row value is null when all its fields are.
            -- The old key's touch: its row then, and whether the entry leaves one under that key.
            select c.change_id, (c.old_row).%4$I::bigint as key, true as existed, c.old_row as image,
                   kept.exists_now, case when kept.exists_now then c.new_row end as image_now
            from staging.%1$I as c
            cross join lateral (select c.operation = 'UPDATE'
                                       and (c.old_row).%4$I is not distinct from (c.new_row).%4$I) as kept (exists_now)
            where c.xact_id >= %2$L::xid8 and not pg_visible_in_snapshot(c.xact_id, %3$L::pg_snapshot)
              and c.operation <> 'INSERT'
            union all
            -- The new key's touch, for an insert or a key change: no row under it before.
            select c.change_id, (c.new_row).%4$I::bigint, false, null, true, c.new_row
            from staging.%1$I as c
            where c.xact_id >= %2$L::xid8 and not pg_visible_in_snapshot(c.xact_id, %3$L::pg_snapshot)
              and (c.operation = 'INSERT'
                   or (c.operation = 'UPDATE' and (c.old_row).%4$I is distinct from (c.new_row).%4$I))
        ) as t
        window newest_first as (partition by t.key order by t.change_id desc
                                rows between unbounded preceding and unbounded following)
        order by t.key, t.change_id desc
        $q$, changed_table || '_changes', pg_snapshot_xmin(since), since, key_column)
$$;

comment on function staging.first_touches_sql(pg_snapshot, text, text) is
    'SQL text of the keys of a table changed after a watermark snapshot: (key, existed, image, exists_now, image_now), the rows as of the watermark and now. Used by staging.first_images_since and the deltas.';
