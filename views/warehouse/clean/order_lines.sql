-- clean.order_lines
-- Clean order items with their order's status: the rows the item aggregates sum over, named
-- as clean.order_items_changed_since names them, so one declaration reads both.

create or replace view clean.order_lines as
select i.order_item_id, i.order_id, i.product_id, i.quantity, o.status as order_status
from clean.order_items as i
join clean.orders as o on o.order_id = i.order_id;

comment on view clean.order_lines is
    'Clean order items with the status of their (clean) order: the source of the per-product aggregates.';
comment on column clean.order_lines.order_item_id is 'Order item id from the source.';
comment on column clean.order_lines.order_id is 'Order the item belongs to.';
comment on column clean.order_lines.product_id is 'Product ordered.';
comment on column clean.order_lines.quantity is 'Units ordered (the source column quanity).';
comment on column clean.order_lines.order_status is 'Status of the item''s order: open unless COMPLETED.';
