-- Items still to deliver per product, largest first.
-- param product_id=null: only this product; all when not given
select product_id, pending_items
from analytics.pending_items
where (%(product_id)s::bigint is null or product_id = %(product_id)s::bigint)
order by pending_items desc, product_id
