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
        where i.product_id = any(array(
            select changed.key::bigint
            from jsonb_each(products_then) as changed (key, row_then)
            where (changed.row_then <> 'null'::jsonb)
                  <> exists (select from operations.products as p where p.product_id = changed.key::bigint)
        ))
    );

    return query
        with items_at_watermark as materialized (
            select r.order_item_id, r.order_id, r.product_id, r.quanity
            from unnest(affected) as k (id)
            cross join lateral jsonb_populate_record(null::operations.order_items, items_then -> k.id::text) as r
            where items_then ? k.id::text and items_then -> k.id::text <> 'null'::jsonb
            union all
            select i.order_item_id, i.order_id, i.product_id, i.quanity
            from operations.order_items as i
            where i.order_item_id = any(affected)
              and not items_then ? i.order_item_id::text
        ),
        orders_at_watermark as materialized (
            select o.order_id, o.status, o.quarantine_rule
            from clean.orders_as_of(customers_then, orders_then,
                                    array(select distinct t.order_id from items_at_watermark as t where t.order_id is not null)) as o
        )
        select 1, i.order_item_id, i.product_id, i.quantity, o.status
        from clean.order_items as i
        join clean.orders as o on o.order_id = i.order_id
        where i.order_item_id = any(affected)
        union all
        select -1, t.order_item_id, t.product_id, t.quanity, o.status
        from items_at_watermark as t
        left join operations.products as p on p.product_id = t.product_id
        left join orders_at_watermark as o on o.order_id = t.order_id
        where clean.order_item_rule(t.quanity,
                                    clean.existed(products_then, t.product_id, p.product_id is not null),
                                    o.order_id is not null, o.quarantine_rule is null) is null;
end
$$;

comment on function clean.order_items_changed_since(pg_snapshot) is
    'Clean order items affected since a watermark, with their order''s status: now (side +1) and as of the watermark (side -1).';
