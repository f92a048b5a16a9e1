-- analytics.top_dates
-- The 3 delivery dates with the most open orders: the top of analytics.open_orders_by_date,
-- ranked after summing (a top 3 of partial tops would be wrong), from its index plus the dates
-- changed since its watermark. Ties go to the earlier date; the null date (orders without one)
-- ranks after every date with as many orders.

create or replace view analytics.top_dates as
select t.delivery_date, t.open_orders
from analytics.open_orders_by_date_top(3) as t
order by t.open_orders desc, t.delivery_date asc nulls last;

comment on view analytics.top_dates is
    'Top 3 delivery dates by open orders (ties to the earlier date, null date last). Always current, from analytics.open_orders_by_date; quarantined orders are left out.';
comment on column analytics.top_dates.delivery_date is 'Promised delivery day; null stands for open orders without one.';
comment on column analytics.top_dates.open_orders is 'Number of clean open orders with this delivery date, all statuses.';
