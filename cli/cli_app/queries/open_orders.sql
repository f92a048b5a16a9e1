-- Open orders (status other than COMPLETED) per delivery date and status.
-- Reads analytics.open_orders, the union of its historic part and the changes since.
-- param status=null: only this status (PENDING, PROCESSING or REPROCESSING); all when not given
-- param delivery_from=null: only delivery dates from this day on (YYYY-MM-DD); orders without a date are then left out
-- param delivery_to=null: only delivery dates up to this day (YYYY-MM-DD); orders without a date are then left out
select delivery_date, status, open_orders
from analytics.open_orders
where (%(status)s::text is null or status = %(status)s::text)
  and (%(delivery_from)s::date is null or delivery_date >= %(delivery_from)s::date)
  and (%(delivery_to)s::date is null or delivery_date <= %(delivery_to)s::date)
order by delivery_date, status
