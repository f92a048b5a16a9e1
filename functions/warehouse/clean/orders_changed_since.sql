-- clean.orders_changed_since
-- The clean orders whose contribution may have changed since a watermark, twice: as they are
-- now (side +1) and as they were at the watermark (side -1), both judged by clean.orders_as_of.
-- Summing side over any grouping of them gives the net change of a count of clean orders since
-- the watermark: the delta.
-- Reads only the changelog entries after the watermark and the rows of the affected keys
-- (keys-driven index lookups), so it costs in proportion to the changes, not the tables.
-- Stable: it sees the snapshot of the query calling it, the one that reads the historic part.

create or replace function clean.orders_changed_since(since pg_snapshot)
returns table (side integer, order_id bigint, delivery_date date, customer_id bigint, status text)
language plpgsql stable
-- Keyed lookups, where parallel workers only cost: each would be sent the plan with the maps of
-- old images folded in as constants (measured at 1M orders, 50k changes: 12.8 s against 3.8 s).
-- JIT compiles for longer than such lookups run.
set max_parallel_workers_per_gather = 0
set jit = off
as $$
declare
    customers_then jsonb := clean.changed_keys(since, 'customers', 'customer_id');
    orders_then jsonb := clean.changed_keys(since, 'orders', 'order_id');
    affected bigint[] := clean.affected_orders(customers_then, orders_then);
begin
    return query
        select 1, n.order_id, n.delivery_date, n.customer_id, n.status
        from clean.orders_as_of('{}', '{}', affected) as n
        where n.quarantine_rule is null
        union all
        select -1, w.order_id, w.delivery_date, w.customer_id, w.status
        from clean.orders_as_of(customers_then, orders_then, affected) as w
        where w.quarantine_rule is null;
end
$$;

comment on function clean.orders_changed_since(pg_snapshot) is
    'Clean orders affected since a watermark: now (side +1) and as of the watermark (side -1). sum(side) per group is the delta of an order count.';
