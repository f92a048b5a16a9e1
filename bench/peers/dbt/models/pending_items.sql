-- Units on open orders per product, products with a non-zero total: analytics.pending_items.
-- The item's order must be clean, so the join to clean_orders is also the clean rule.
select i.product_id, sum(i.quantity) as pending_items
from {{ ref('clean_order_items') }} as i
join {{ ref('clean_orders') }} as o on o.order_id = i.order_id
where o.status <> 'COMPLETED'
group by i.product_id
having sum(i.quantity) <> 0
