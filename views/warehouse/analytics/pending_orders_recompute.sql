-- analytics.pending_orders_recompute
-- The specification of analytics.pending_orders: pending (open) orders per customer, from
-- scratch over the current clean orders.

create or replace view analytics.pending_orders_recompute as
select o.customer_id, count(*) as pending_orders
from clean.orders as o
where o.status <> 'COMPLETED'
group by o.customer_id;

comment on view analytics.pending_orders_recompute is
    'Pending (not COMPLETED) orders per customer, recomputed from scratch over clean.orders (slow; the specification analytics.pending_orders always equals).';
comment on column analytics.pending_orders_recompute.customer_id is 'Customer who placed the orders.';
comment on column analytics.pending_orders_recompute.pending_orders is 'Number of the customer''s clean orders not COMPLETED.';
