-- analytics.order_item_sales
-- Every order item fact with what its order says of it (day, week, status): the rows the
-- intake and revenue metrics sum (analytics.revenue_daily, revenue_weekly, revenue_by_product).
-- Their deltas read the same rows changed since a watermark (elt.order_item_sales_changed_since).

create or replace view analytics.order_item_sales as
select i.order_item_id, i.order_id, i.product_id, o.order_date, elt.week_of(o.order_date) as order_week,
       o.status, i.quantity, i.amount
from analytics.fct_order_item as i
join analytics.fct_order as o on o.order_id = i.order_id;

comment on view analytics.order_item_sales is
    'One row per order item fact with its order''s day, ISO week and status: what the intake and revenue metrics sum.';
comment on column analytics.order_item_sales.order_item_id is 'Order item id (analytics.fct_order_item).';
comment on column analytics.order_item_sales.order_id is 'Order it belongs to (analytics.fct_order).';
comment on column analytics.order_item_sales.product_id is 'Product ordered (analytics.dim_product.product_id).';
comment on column analytics.order_item_sales.order_date is 'Day the order was placed.';
comment on column analytics.order_item_sales.order_week is 'Monday of the ISO week the order was placed in (analytics.dim_date.week_start).';
comment on column analytics.order_item_sales.status is 'The order''s current status; revenue counts COMPLETED orders.';
comment on column analytics.order_item_sales.quantity is 'Units ordered.';
comment on column analytics.order_item_sales.amount is 'quantity * the unit price valid when the order was placed.';
