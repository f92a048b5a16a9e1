-- staging.last_change_id
-- The newest change id, for readers that ask every second (analytics.freshness): from the
-- sequence, never by reading the logs.

create or replace function staging.last_change_id() returns bigint
language sql stable as $$
    -- 0 before the first change. Drawn, not necessarily committed: a transaction still
    -- applying, or rolled back, may own it.
    select coalesce(pg_sequence_last_value('staging.change_id_seq'), 0)
$$;
comment on function staging.last_change_id() is
    'The newest change id drawn from staging.change_id_seq (0 before the first change), read without touching the logs.';
