-- clean.order_items_checked
-- Every replicated order item with the verdict of clean.order_item_rule. The item's order is
-- judged through clean.orders_checked, so an item of a quarantined order is quarantined too.
-- Renames the source's `quanity` to quantity: the rename happens here, once.

create or replace view clean.order_items_checked as
select
    i.order_item_id,
    i.order_id,
    i.product_id,
    i.quanity as quantity,
    i.updated_at,
    i.updated_by,
    i.created_at,
    i.created_by,
    clean.order_item_rule(i.quanity, p.product_id is not null, o.order_id is not null,
                          o.quarantine_rule is null) as quarantine_rule
from operations.order_items as i
left join operations.products as p on p.product_id = i.product_id
left join clean.orders_checked as o on o.order_id = i.order_id;

comment on view clean.order_items_checked is
    'Every replicated order item with quarantine_rule: null when clean (clean.order_items), else the first rule it fails (clean.quarantine).';
comment on column clean.order_items_checked.order_item_id is 'Order item id from the source.';
comment on column clean.order_items_checked.order_id is 'Order the item belongs to.';
comment on column clean.order_items_checked.product_id is 'Product ordered.';
comment on column clean.order_items_checked.quantity is 'Units ordered (the source column operations.order_items.quanity).';
comment on column clean.order_items_checked.updated_at is 'Source audit column.';
comment on column clean.order_items_checked.updated_by is 'Source audit column.';
comment on column clean.order_items_checked.created_at is 'Source audit column.';
comment on column clean.order_items_checked.created_by is 'Source audit column.';
comment on column clean.order_items_checked.quarantine_rule is 'First rule of clean.order_item_rule the item fails; null when clean.';
