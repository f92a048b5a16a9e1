-- staging.first_images_since
-- For one table, every key a log entry after the watermark touches, with the key's row as of the
-- watermark as jsonb (null when the key had no row then): staging.first_touches_sql, run, in a
-- form to read in psql. The deltas embed the typed query itself.

create or replace function staging.first_images_since(since pg_snapshot, changed_table text, key_column text)
returns table (key bigint, image jsonb)
language plpgsql stable as $$
begin
    return query execute format('select f.key, case when f.existed then to_jsonb(f.image) end from (%s) as f',
                                staging.first_touches_sql(since, changed_table, key_column));
end
$$;

comment on function staging.first_images_since(pg_snapshot, text, text) is
    'Keys of a table changed after a watermark snapshot, each with its row as of the watermark (null: no row then).';
