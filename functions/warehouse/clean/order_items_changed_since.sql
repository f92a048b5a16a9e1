-- clean.order_items_changed_since
-- The clean order items whose contribution may have changed since a watermark, with their
-- order's status, twice: now (side +1) and as they were at the watermark (side -1).
-- Two kinds, so that the common case stays cheap:
-- - touched items (changed themselves, or their product appeared or disappeared): judged one
--   by one on both sides by clean.order_items_as_of;
-- - the other items of affected orders (clean.affected_orders) whose state changed: the item
--   row is the same then and now, only its order differs, so it is read once, by order_id, and
--   paired with the order as of each side. Orders whose status and verdict did not change are
--   skipped: their items' contributions cancel.
-- An item that left an affected order or a product changed itself, so it is touched.

create or replace function clean.order_items_changed_since(since pg_snapshot)
returns table (side integer, order_item_id bigint, product_id bigint, quantity integer, order_status text)
language plpgsql stable
-- Keyed lookups, where parallel workers only cost: each would be sent the plan with the maps of
-- old images folded in as constants (measured at 1M orders, 50k changes: 12.8 s against 3.8 s).
-- JIT compiles for longer than such lookups run.
set max_parallel_workers_per_gather = 0
set jit = off
as $$
declare
    customers_then jsonb := clean.changed_keys(since, 'customers', 'customer_id');
    products_then jsonb := clean.changed_keys(since, 'products', 'product_id');
    orders_then jsonb := clean.changed_keys(since, 'orders', 'order_id');
    items_then jsonb := clean.changed_keys(since, 'order_items', 'order_item_id');
    affected_orders bigint[] := clean.affected_orders(customers_then, orders_then);
    touched bigint[];
begin
    touched := array(
        select jsonb_object_keys(items_then)::bigint
        union
        select i.order_item_id
        from operations.order_items as i
        where i.product_id = any(clean.appeared_or_disappeared(products_then, 'products', 'product_id'))
    );

    return query
        with orders_both_sides as materialized (
            select a.id as order_id,
                   n.order_id is not null as known_now, n.quarantine_rule is null as clean_now, n.status as status_now,
                   t.order_id is not null as known_then, t.quarantine_rule is null as clean_then, t.status as status_then
            from unnest(affected_orders) as a (id)
            left join clean.orders_as_of('{}', '{}', affected_orders) as n on n.order_id = a.id
            left join clean.orders_as_of(customers_then, orders_then, affected_orders) as t on t.order_id = a.id
            where (n.order_id, n.quarantine_rule, n.status) is distinct from (t.order_id, t.quarantine_rule, t.status)
        ),
        untouched_items as materialized (
            select i.order_item_id, i.order_id, i.product_id, i.quanity,
                   exists (select from operations.products as p where p.product_id = i.product_id) as product_known
            from operations.order_items as i
            where i.order_id = any(array(select o.order_id from orders_both_sides as o))
              -- An anti-join: "<> all(touched)" compares every item with every touched key.
              and not exists (select from unnest(touched) as t (id) where t.id = i.order_item_id)
        )
        select 1, n.order_item_id, n.product_id, n.quantity, n.order_status
        from clean.order_items_as_of('{}', '{}', '{}', '{}', touched) as n
        where n.quarantine_rule is null
        union all
        select -1, w.order_item_id, w.product_id, w.quantity, w.order_status
        from clean.order_items_as_of(customers_then, products_then, orders_then, items_then, touched) as w
        where w.quarantine_rule is null
        union all
        select s.side, u.order_item_id, u.product_id, u.quanity, s.status
        from untouched_items as u
        join orders_both_sides as o on o.order_id = u.order_id
        cross join lateral (values (1, o.known_now, o.clean_now, o.status_now),
                                   (-1, o.known_then, o.clean_then, o.status_then)) as s (side, known, clean, status)
        where clean.order_item_rule(u.quanity, u.product_known, s.known, s.clean) is null;
end
$$;

comment on function clean.order_items_changed_since(pg_snapshot) is
    'Clean order items affected since a watermark, with their order''s status: now (side +1) and as of the watermark (side -1).';
