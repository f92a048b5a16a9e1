-- analytics.pending_items_recompute
-- The specification of analytics.pending_items: units on open orders per product, from scratch
-- over the current clean items and orders.

create or replace view analytics.pending_items_recompute as
select i.product_id, sum(i.quantity)::bigint as pending_items
from clean.order_items as i
join clean.orders as o on o.order_id = i.order_id
where o.status <> 'COMPLETED'
group by i.product_id
having sum(i.quantity) > 0;

comment on view analytics.pending_items_recompute is
    'Units on open orders per product, recomputed from scratch over clean.order_items and clean.orders (slow; the specification analytics.pending_items always equals).';
comment on column analytics.pending_items_recompute.product_id is 'Product ordered.';
comment on column analytics.pending_items_recompute.pending_items is 'Sum of the quantity of clean items whose order is not COMPLETED.';
