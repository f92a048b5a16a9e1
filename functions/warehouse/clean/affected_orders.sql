-- clean.affected_orders
-- Orders whose contribution to an aggregate may differ between the watermark and now: those
-- changed since, and the current orders of customers that appeared or disappeared since (their
-- validity follows the customer). An order that left such a customer changed itself, so it is
-- in the first set already.

create or replace function clean.affected_orders(customers_then jsonb, orders_then jsonb)
returns bigint[]
language sql stable as $$
    select array(
        select jsonb_object_keys(orders_then)::bigint
        union
        select o.order_id
        from operations.orders as o
        where o.customer_id = any(clean.appeared_or_disappeared(customers_then, 'customers', 'customer_id'))
    )
$$;

comment on function clean.affected_orders(jsonb, jsonb) is
    'Order ids whose validity or values may have changed since a watermark: changed orders, and orders of customers that appeared or disappeared.';
