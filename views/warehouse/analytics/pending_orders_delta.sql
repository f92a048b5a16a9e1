-- analytics.pending_orders_delta
-- The net change of analytics.pending_orders since its watermark, from the orders changed since
-- (clean.orders_changed_since). Costs in proportion to the changes since the last refresh.

create or replace view analytics.pending_orders_delta as
select c.customer_id, sum(c.side)::bigint as pending_orders
from clean.orders_changed_since(
         (select w.snapshot from elt.watermark as w where w.aggregate = 'pending_orders')) as c
where c.status <> 'COMPLETED'
group by c.customer_id
having sum(c.side) <> 0;

comment on view analytics.pending_orders_delta is
    'Net change of pending orders per customer since the watermark of analytics.pending_orders_hist (may be negative).';
comment on column analytics.pending_orders_delta.customer_id is 'Customer who placed the orders.';
comment on column analytics.pending_orders_delta.pending_orders is 'Pending orders gained (positive) or lost (negative) since the watermark.';
