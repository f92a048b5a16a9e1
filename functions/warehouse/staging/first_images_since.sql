-- staging.first_images_since
-- For one table, every key a changelog entry after the watermark touches, with the key's row as
-- of the watermark: the old image of the first such entry, or null when the key had no row then.
-- "After the watermark" means written by a transaction not visible in the watermark's snapshot;
-- the table-sync workers of an initial copy commit out of change_id order, so ids alone cannot
-- say it. The xact_id index finds those entries from the snapshot's xmin on.
-- An UPDATE that changes the key counts as a DELETE of the old key and an INSERT of the new one.
-- Dynamic SQL with the bound written in: a plan made for an unknown xmin expects a third of the
-- changelog and scans all of it (measured: 1.6 s at 6M entries, against milliseconds).

create or replace function staging.first_images_since(since pg_snapshot, changed_table text, key_column text)
returns table (key bigint, image jsonb)
language plpgsql stable as $$
begin
    return query execute format($q$
        with changes as materialized (
            select change_id, old_row, new_row
            from staging.changelog
            where xact_id >= %1$L::xid8
              and not pg_visible_in_snapshot(xact_id, %2$L::pg_snapshot)
              and table_name = %3$L
        ),
        touches as (
            select change_id, (old_row ->> %4$L)::bigint as key, old_row as image
            from changes
            where old_row is not null
            union all
            select change_id, (new_row ->> %4$L)::bigint as key, null::jsonb as image
            from changes
            where new_row is not null
              and (old_row is null or (old_row ->> %4$L) is distinct from (new_row ->> %4$L))
        )
        select distinct on (touches.key) touches.key, touches.image
        from touches
        order by touches.key, touches.change_id
        $q$, pg_snapshot_xmin(since), since, changed_table, key_column);
end
$$;

comment on function staging.first_images_since(pg_snapshot, text, text) is
    'Keys of a table changed after a watermark snapshot, each with its row as of the watermark (null: no row then).';
