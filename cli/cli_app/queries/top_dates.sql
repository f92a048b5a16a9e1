-- Delivery dates with the most open orders.
-- param limit=10: how many dates to show
select delivery_date, open_orders
from analytics.top_dates
order by open_orders desc, delivery_date
limit %(limit)s
