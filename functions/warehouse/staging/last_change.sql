-- staging.last_change_id and staging.last_applied_at
-- The head of the changelog, read every second by the maintenance and by analytics.freshness:
-- index lookups, never a scan.

create or replace function staging.last_change_id()
returns bigint
language sql stable as $$
    select coalesce(max(c.change_id), 0) from staging.changelog as c
$$;
comment on function staging.last_change_id() is 'Id of the newest changelog entry (0 when empty).';

create or replace function staging.last_applied_at()
returns timestamptz
language sql stable as $$
    select c.applied_at from staging.changelog as c order by c.change_id desc limit 1
$$;
comment on function staging.last_applied_at() is 'When the newest changelog entry was applied (null when empty).';
