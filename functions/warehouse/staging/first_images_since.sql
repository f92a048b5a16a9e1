-- staging.first_images_since
-- For one table, every key a log entry after the watermark touches, with the key's row as of the
-- watermark: the old image of the first such entry, or null when the key had no row then.
-- "After the watermark" means written by a transaction not visible in the watermark's snapshot;
-- the table-sync workers of an initial copy commit out of change_id order, so ids alone cannot
-- say it. The xact_id index finds those entries from the snapshot's xmin on.
-- An UPDATE that changes the key counts as a DELETE of the old key and an INSERT of the new one.
-- Dynamic SQL with the bound written in: a plan made for an unknown xmin expects a third of the
-- log and scans all of it (measured: 1.6 s at 6M entries, against milliseconds).
-- Only the returned images become jsonb, the callers' currency; the log keeps row types.

create or replace function staging.first_images_since(since pg_snapshot, changed_table text, key_column text)
returns table (key bigint, image jsonb)
language plpgsql stable as $$
begin
    return query execute format($q$
        with changes as materialized (
            select change_id, operation, old_row, new_row
            from staging.%1$I
            where xact_id >= %2$L::xid8
              and not pg_visible_in_snapshot(xact_id, %3$L::pg_snapshot)
        ),
        touches as (
            -- operation, not "old_row is null": a row value is null when all its fields are.
            select change_id, (old_row).%4$I as key, old_row as image
            from changes
            where operation <> 'INSERT'
            union all
            select change_id, (new_row).%4$I as key, null as image
            from changes
            where operation = 'INSERT'
               or (operation = 'UPDATE' and (old_row).%4$I is distinct from (new_row).%4$I)
        ),
        first_touches as (
            select distinct on (touches.key) touches.key, touches.image
            from touches
            order by touches.key, touches.change_id
        )
        select first_touches.key::bigint, to_jsonb(first_touches.image)
        from first_touches
        $q$, changed_table || '_changes', pg_snapshot_xmin(since), since, key_column);
end
$$;

comment on function staging.first_images_since(pg_snapshot, text, text) is
    'Keys of a table changed after a watermark snapshot, each with its row as of the watermark (null: no row then).';
