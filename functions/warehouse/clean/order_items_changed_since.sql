-- clean.order_items_changed_since
-- The clean order items whose contribution may have changed since a watermark, with their
-- order's status, twice: now (side +1) and as they were at the watermark (side -1).
-- Affected: items changed since, the current items of affected orders (clean.affected_orders),
-- and the current items of products that appeared or disappeared. An item that left such an
-- order or product changed itself, so it is in the first set already.

create or replace function clean.order_items_changed_since(since pg_snapshot)
returns table (side integer, order_item_id bigint, product_id bigint, quantity integer, order_status text)
language plpgsql stable as $$
declare
    customers_then jsonb := clean.changed_keys(since, 'customers', 'customer_id');
    products_then jsonb := clean.changed_keys(since, 'products', 'product_id');
    orders_then jsonb := clean.changed_keys(since, 'orders', 'order_id');
    items_then jsonb := clean.changed_keys(since, 'order_items', 'order_item_id');
    affected_orders bigint[] := clean.affected_orders(customers_then, orders_then);
    affected bigint[];
begin
    affected := array(
        select jsonb_object_keys(items_then)::bigint
        union
        select i.order_item_id from operations.order_items as i where i.order_id = any(affected_orders)
        union
        select i.order_item_id
        from operations.order_items as i
        where i.product_id = any(clean.appeared_or_disappeared(products_then, 'products', 'product_id'))
    );

    return query
        select 1, n.order_item_id, n.product_id, n.quantity, n.order_status
        from clean.order_items_as_of('{}', '{}', '{}', '{}', affected) as n
        where n.quarantine_rule is null
        union all
        select -1, w.order_item_id, w.product_id, w.quantity, w.order_status
        from clean.order_items_as_of(customers_then, products_then, orders_then, items_then, affected) as w
        where w.quarantine_rule is null;
end
$$;

comment on function clean.order_items_changed_since(pg_snapshot) is
    'Clean order items affected since a watermark, with their order''s status: now (side +1) and as of the watermark (side -1).';
