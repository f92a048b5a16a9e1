-- analytics.pending_items
-- Units on open orders per product: the sum of order_items.quanity over the clean items whose
-- order is not COMPLETED. Union of the historic snapshot and the changes since its watermark;
-- equals a full recompute (analytics.pending_items_recompute) at every moment.

create or replace view analytics.pending_items as
with parts as (
    select h.product_id, h.pending_items from analytics.pending_items_hist as h
    union all
    select d.product_id, d.pending_items from analytics.pending_items_delta as d
)
select parts.product_id, sum(parts.pending_items)::bigint as pending_items
from parts
group by parts.product_id
having sum(parts.pending_items) > 0;

comment on view analytics.pending_items is
    'Number of open pending items per product: units ordered on orders not COMPLETED, products with a positive total. Always current: the historic part (rebuilt by elt.refresh) plus every change replicated since; see analytics.freshness. Quarantined items and orders are left out.';
comment on column analytics.pending_items.product_id is 'Product ordered.';
comment on column analytics.pending_items.pending_items is 'Sum of the quantity of clean items whose order is not COMPLETED.';
