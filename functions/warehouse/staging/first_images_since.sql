-- staging.first_images_since
-- For one table, every key a changelog entry after the watermark touches, with the key's row as
-- of the watermark: the old image of the first such entry, or null when the key had no row then.
-- "After the watermark" means written by a transaction not visible in the watermark's snapshot;
-- the table-sync workers of an initial copy commit out of change_id order, so ids alone cannot
-- say it. The xact_id index finds those entries from the snapshot's xmin on.
-- An UPDATE that changes the key counts as a DELETE of the old key and an INSERT of the new one.

create or replace function staging.first_images_since(since pg_snapshot, changed_table text, key_column text)
returns table (key bigint, image jsonb)
language sql stable as $$
    with changes as materialized (
        select change_id, old_row, new_row
        from staging.changelog
        where xact_id >= pg_snapshot_xmin(since)
          and not pg_visible_in_snapshot(xact_id, since)
          and table_name = changed_table
    ),
    touches as (
        select change_id, (old_row ->> key_column)::bigint as key, old_row as image
        from changes
        where old_row is not null
        union all
        select change_id, (new_row ->> key_column)::bigint as key, null::jsonb as image
        from changes
        where new_row is not null
          and (old_row is null or (old_row ->> key_column) is distinct from (new_row ->> key_column))
    )
    select distinct on (touches.key) touches.key, touches.image
    from touches
    order by touches.key, touches.change_id
$$;

comment on function staging.first_images_since(pg_snapshot, text, text) is
    'Keys of a table changed after a watermark snapshot, each with its row as of the watermark (null: no row then).';
