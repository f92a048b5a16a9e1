-- Top 3 customers by orders not COMPLETED, with their name: analytics.top_customers.
with top as (
    select o.customer_id, count(*) as pending_orders
    from {{ ref('clean_orders') }} as o
    where o.status <> 'COMPLETED'
    group by o.customer_id
    order by pending_orders desc, o.customer_id asc
    limit 3
)
select top.customer_id, c.customer_name::text as customer_name, top.pending_orders
from top
left join {{ source('operations', 'customers') }} as c on c.customer_id = top.customer_id
order by top.pending_orders desc, top.customer_id asc
