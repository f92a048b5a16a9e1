-- Delivery dates with the most open orders, ties to the earlier date (the null date last).
-- Ranked from the per-date totals (analytics.open_orders_by_date_top), so every limit up to the maximum is exact.
-- param limit=3 max=1000: how many dates to show
select t.delivery_date, t.open_orders
from analytics.open_orders_by_date_top(%(limit)s) as t
order by t.open_orders desc, t.delivery_date asc nulls last
