-- analytics.open_orders_recompute
-- The specification of analytics.open_orders: open orders per delivery date and status,
-- computed from scratch over the current clean orders. Reads every order: for checks and for
-- building analytics.open_orders_hist, not for everyday queries.

create or replace view analytics.open_orders_recompute as
select o.delivery_date, o.status, count(*) as open_orders
from clean.orders as o
where o.status <> 'COMPLETED'
group by o.delivery_date, o.status;

comment on view analytics.open_orders_recompute is
    'Open orders per delivery date and status, recomputed from scratch over clean.orders (slow; the specification analytics.open_orders always equals).';
comment on column analytics.open_orders_recompute.delivery_date is 'Promised delivery day; null for orders without one.';
comment on column analytics.open_orders_recompute.status is 'PENDING, PROCESSING or REPROCESSING.';
comment on column analytics.open_orders_recompute.open_orders is 'Number of clean orders not COMPLETED with this delivery date and status.';
