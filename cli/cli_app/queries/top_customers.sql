-- Customers with the most pending orders.
-- param limit=10: how many customers to show
select customer_id, customer_name, pending_orders
from analytics.top_customers
order by pending_orders desc, customer_id
limit %(limit)s
