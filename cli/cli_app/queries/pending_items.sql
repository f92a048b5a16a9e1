-- Items still to deliver per product, largest first.
select product_id, pending_items
from analytics.pending_items
order by pending_items desc, product_id
