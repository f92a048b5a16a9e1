-- clean.changed_keys
-- The map key -> row as of the watermark, for every key of a table changed since: the form in
-- which the delta functions carry staging.first_images_since around.

create or replace function clean.changed_keys(since pg_snapshot, changed_table text, key_column text)
returns jsonb
language sql stable as $$
    select coalesce(jsonb_object_agg(f.key::text, f.image), '{}'::jsonb)
    from staging.first_images_since(since, changed_table, key_column) as f
$$;

comment on function clean.changed_keys(pg_snapshot, text, text) is
    'Map of the keys of a table changed after a watermark snapshot to their rows as of it (JSON null: no row then).';
