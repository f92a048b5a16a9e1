-- staging.last_applied_at
-- When the newest change was applied, for readers that ask every second (analytics.freshness):
-- from the end of each log's xact_id index, never by reading the logs.

create or replace function staging.last_applied_at() returns timestamptz
language sql stable as $$
    -- The newest transaction of each log, from the end of its xact_id index. Entries of one
    -- transaction share applied_at (its start), and the apply worker's transactions follow one
    -- another, so the newest transaction holds the newest change.
    select greatest(
        (select c.applied_at from staging.customers_changes as c order by c.xact_id desc limit 1),
        (select c.applied_at from staging.products_changes as c order by c.xact_id desc limit 1),
        (select c.applied_at from staging.orders_changes as c order by c.xact_id desc limit 1),
        (select c.applied_at from staging.order_items_changes as c order by c.xact_id desc limit 1))
$$;
comment on function staging.last_applied_at() is
    'When the newest logged change was applied (start of its warehouse transaction; null when the logs are empty), by four index lookups.';
