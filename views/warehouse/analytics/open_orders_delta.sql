-- analytics.open_orders_delta
-- The net change of analytics.open_orders since its watermark: what each order changed since
-- contributes now, minus what it contributed at the watermark (clean.orders_changed_since).
-- Costs in proportion to the changes since the last refresh.

create or replace view analytics.open_orders_delta as
select c.delivery_date, c.status, sum(c.side)::bigint as open_orders
from clean.orders_changed_since(
         (select w.snapshot from elt.watermark as w where w.aggregate = 'open_orders')) as c
where c.status <> 'COMPLETED'
group by c.delivery_date, c.status
having sum(c.side) <> 0;

comment on view analytics.open_orders_delta is
    'Net change of open orders per delivery date and status since the watermark of analytics.open_orders_hist (may be negative).';
comment on column analytics.open_orders_delta.delivery_date is 'Promised delivery day; null for orders without one.';
comment on column analytics.open_orders_delta.status is 'PENDING, PROCESSING or REPROCESSING.';
comment on column analytics.open_orders_delta.open_orders is 'Open orders gained (positive) or lost (negative) since the watermark.';
