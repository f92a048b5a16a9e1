-- staging.first_touches_sql
-- The query, as text, of every key of one table that a log entry after the watermark touches,
-- with the key's row as of the watermark: (key bigint, existed boolean, image <the table's row
-- type>), image being the old row of the key's first such entry, null when existed is false.
-- "After the watermark" means written by a transaction not visible in the watermark's snapshot;
-- the table-sync workers of an initial copy commit out of change_id order, so ids alone cannot
-- say it. The xact_id index finds those entries from the snapshot's xmin on.
-- An UPDATE that changes the key counts as a DELETE of the old key and an INSERT of the new one.
-- Text, with the bound written in, for the deltas to embed in one statement of their own: a plan
-- made for an unknown xmin expects a third of the log and scans all of it (measured: 1.6 s at 6M
-- entries, against milliseconds), and typed rows, not jsonb, cost the deltas nothing to read.

create or replace function staging.first_touches_sql(since pg_snapshot, changed_table text, key_column text)
returns text
language sql immutable as $$
    select format($q$
        select distinct on (t.key) t.key, t.existed, t.image
        from (
            -- operation, not "old_row is null": a row value is null when all its fields are.
            select c.change_id, (c.old_row).%4$I::bigint as key, true as existed, c.old_row as image
            from staging.%1$I as c
            where c.xact_id >= %2$L::xid8 and not pg_visible_in_snapshot(c.xact_id, %3$L::pg_snapshot)
              and c.operation <> 'INSERT'
            union all
            select c.change_id, (c.new_row).%4$I::bigint, false, null
            from staging.%1$I as c
            where c.xact_id >= %2$L::xid8 and not pg_visible_in_snapshot(c.xact_id, %3$L::pg_snapshot)
              and (c.operation = 'INSERT'
                   or (c.operation = 'UPDATE' and (c.old_row).%4$I is distinct from (c.new_row).%4$I))
        ) as t
        order by t.key, t.change_id
        $q$, changed_table || '_changes', pg_snapshot_xmin(since), since, key_column)
$$;

comment on function staging.first_touches_sql(pg_snapshot, text, text) is
    'SQL text of the keys of a table changed after a watermark snapshot: (key, existed, image), the row as of the watermark when existed. Used by staging.first_images_since and the deltas.';
