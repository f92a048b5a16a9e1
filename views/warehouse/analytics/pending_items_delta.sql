-- analytics.pending_items_delta
-- The net change of analytics.pending_items since its watermark, from the items affected since
-- (clean.order_items_changed_since). Costs in proportion to the changes since the last refresh.

create or replace view analytics.pending_items_delta as
select c.product_id, sum(c.side * c.quantity)::bigint as pending_items
from clean.order_items_changed_since(
         (select w.snapshot from elt.watermark as w where w.aggregate = 'pending_items')) as c
where c.order_status <> 'COMPLETED'
group by c.product_id
having sum(c.side * c.quantity) <> 0;

comment on view analytics.pending_items_delta is
    'Net change of units on open orders per product since the watermark of analytics.pending_items_hist (may be negative).';
comment on column analytics.pending_items_delta.product_id is 'Product ordered.';
comment on column analytics.pending_items_delta.pending_items is 'Units gained (positive) or lost (negative) since the watermark.';
