-- Open orders (status other than COMPLETED) per delivery date and status.
-- Reads analytics.open_orders, the union of its historic part and the changes since.
select delivery_date, status, open_orders
from analytics.open_orders
order by delivery_date, status
