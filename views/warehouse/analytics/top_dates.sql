-- analytics.top_dates
-- The 3 delivery dates with the most open orders: analytics.open_orders summed per date first,
-- then ranked (a top 3 of partial tops would be wrong). Ties go to the earlier date; the null
-- date (orders without one) ranks after every date with as many orders.

create or replace view analytics.top_dates as
with per_date as (
    select o.delivery_date, sum(o.open_orders)::bigint as open_orders
    from analytics.open_orders as o
    group by o.delivery_date
)
select per_date.delivery_date, per_date.open_orders
from per_date
order by per_date.open_orders desc, per_date.delivery_date asc nulls last
limit 3;

comment on view analytics.top_dates is
    'Top 3 delivery dates by open orders (ties to the earlier date, null date last). Always current, from analytics.open_orders; quarantined orders are left out.';
comment on column analytics.top_dates.delivery_date is 'Promised delivery day; null stands for open orders without one.';
comment on column analytics.top_dates.open_orders is 'Number of clean open orders with this delivery date, all statuses.';
