-- analytics.order_lead_times
-- Every order fact with its week and lead time (promised delivery day - order day): the rows the
-- delivery lag metric counts (analytics.delivery_lag_histogram, delivery_lag_weekly).

create or replace view analytics.order_lead_times as
select o.order_id, elt.week_of(o.order_date) as order_week, o.lead_time_days
from analytics.fct_order as o;

comment on view analytics.order_lead_times is
    'One row per order fact with the ISO week it was placed in and its lead time in days (null when a date is unknown).';
comment on column analytics.order_lead_times.order_id is 'Order id (analytics.fct_order).';
comment on column analytics.order_lead_times.order_week is 'Monday of the ISO week the order was placed in.';
comment on column analytics.order_lead_times.lead_time_days is 'delivery_date - order_date in days; null when either is unknown.';
