-- analytics.pending_orders
-- Pending (open: status <> 'COMPLETED') orders per customer: the aggregate under top_customers.
-- Union of the historic snapshot and the changes since its watermark; equals a full recompute
-- (analytics.pending_orders_recompute) at every moment.

create or replace view analytics.pending_orders as
with parts as (
    select h.customer_id, h.pending_orders from analytics.pending_orders_hist as h
    union all
    select d.customer_id, d.pending_orders from analytics.pending_orders_delta as d
)
select parts.customer_id, sum(parts.pending_orders)::bigint as pending_orders
from parts
group by parts.customer_id
having sum(parts.pending_orders) > 0;

comment on view analytics.pending_orders is
    'Number of pending (not COMPLETED) orders per customer, customers with at least one. Always current: the historic part (rebuilt by elt.refresh) plus every change replicated since; see analytics.freshness. Quarantined orders are left out.';
comment on column analytics.pending_orders.customer_id is 'Customer who placed the orders.';
comment on column analytics.pending_orders.pending_orders is 'Number of the customer''s clean orders not COMPLETED.';
