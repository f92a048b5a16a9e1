-- clean.order_items
-- Clean order items: quantity known and not negative, product known, order known and clean.
-- The others are in clean.quarantine and are left out of every analytics answer.

create or replace view clean.order_items as
select order_item_id, order_id, product_id, quantity, updated_at, updated_by, created_at, created_by
from clean.order_items_checked
where quarantine_rule is null;

comment on view clean.order_items is
    'Order items that pass every quality rule (clean.order_item_rule); rows that fail one are in clean.quarantine and left out of the analytics.';
comment on column clean.order_items.order_item_id is 'Order item id from the source.';
comment on column clean.order_items.order_id is 'Order the item belongs to; always a clean order.';
comment on column clean.order_items.product_id is 'Product ordered; always an existing product.';
comment on column clean.order_items.quantity is 'Units ordered, zero or more (the source column quanity).';
comment on column clean.order_items.updated_at is 'Source audit column.';
comment on column clean.order_items.updated_by is 'Source audit column.';
comment on column clean.order_items.created_at is 'Source audit column.';
comment on column clean.order_items.created_by is 'Source audit column.';
