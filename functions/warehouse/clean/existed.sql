-- clean.existed
-- Whether a key had a row as of a watermark, given the keys changed since (a map key -> row as of
-- the watermark, from staging.first_images_since) and whether it has a row now: an unchanged key
-- existed then exactly when it exists now.

create or replace function clean.existed(rows_then jsonb, key bigint, exists_now boolean)
returns boolean
language sql immutable parallel safe as $$
    -- A null reference never existed; an unknown answer counts as no.
    select case when key is null then false
                when rows_then ? key::text then rows_then -> key::text <> 'null'::jsonb
                else coalesce(exists_now, false) end
$$;

comment on function clean.existed(jsonb, bigint, boolean) is
    'Whether a key had a row as of a watermark: from the map of changed keys, else as it is now.';
