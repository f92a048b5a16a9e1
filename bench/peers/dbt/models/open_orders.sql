-- Open orders (status <> 'COMPLETED') per delivery date and status: analytics.open_orders.
select o.delivery_date, o.status, count(*) as open_orders
from {{ ref('clean_orders') }} as o
where o.status <> 'COMPLETED'
group by o.delivery_date, o.status
