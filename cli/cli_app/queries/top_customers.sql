-- Customers with the most pending orders, ties to the smaller customer_id.
-- Ranked from the per-customer totals (analytics.pending_orders_top), so every limit up to the maximum is exact.
-- Names are personal data: only the top 3 have theirs (from analytics.top_customers, which reveals those three and nothing else); below them customer_name is empty.
-- param limit=3 max=1000: how many customers to show
select t.customer_id, n.customer_name, t.pending_orders
from analytics.pending_orders_top(%(limit)s) as t
left join analytics.top_customers as n on n.customer_id = t.customer_id
order by t.pending_orders desc, t.customer_id asc
