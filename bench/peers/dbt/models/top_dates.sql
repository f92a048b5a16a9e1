-- Top 3 delivery dates by open orders: analytics.top_dates (ties: the earlier date first).
select o.delivery_date, count(*) as open_orders
from {{ ref('clean_orders') }} as o
where o.status <> 'COMPLETED'
group by o.delivery_date
order by open_orders desc, o.delivery_date asc nulls last
limit 3
