-- analytics.open_orders
-- Open orders (status <> 'COMPLETED') per delivery date and status.
-- Union of the historic snapshot and the changes since its watermark; equals a full recompute
-- (analytics.open_orders_recompute) at every moment, whether or not a refresh ran.

create or replace view analytics.open_orders as
with parts as (
    select h.delivery_date, h.status, h.open_orders from analytics.open_orders_hist as h
    union all
    select d.delivery_date, d.status, d.open_orders from analytics.open_orders_delta as d
)
select parts.delivery_date, parts.status, sum(parts.open_orders)::bigint as open_orders
from parts
group by parts.delivery_date, parts.status
having sum(parts.open_orders) > 0;

comment on view analytics.open_orders is
    'Number of open orders (status not COMPLETED) by delivery date and status, one row per pair with at least one. Always current: the historic part (rebuilt by elt.refresh) plus every change replicated since; see analytics.freshness. Quarantined orders (clean.quarantine) are left out.';
comment on column analytics.open_orders.delivery_date is 'Promised delivery day; null for open orders without one.';
comment on column analytics.open_orders.status is 'PENDING, PROCESSING or REPROCESSING.';
comment on column analytics.open_orders.open_orders is 'Number of clean open orders with this delivery date and status.';
