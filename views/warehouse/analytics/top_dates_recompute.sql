-- analytics.top_dates_recompute
-- The specification of analytics.top_dates, from scratch over clean.orders.

create or replace view analytics.top_dates_recompute as
with per_date as (
    select o.delivery_date, count(*) as open_orders
    from clean.orders as o
    where o.status <> 'COMPLETED'
    group by o.delivery_date
)
select per_date.delivery_date, per_date.open_orders
from per_date
order by per_date.open_orders desc, per_date.delivery_date asc nulls last
limit 3;

comment on view analytics.top_dates_recompute is
    'Top 3 delivery dates by open orders, recomputed from scratch over clean.orders (slow; the specification of analytics.top_dates).';
comment on column analytics.top_dates_recompute.delivery_date is 'Promised delivery day; null stands for open orders without one.';
comment on column analytics.top_dates_recompute.open_orders is 'Number of clean open orders with this delivery date.';
