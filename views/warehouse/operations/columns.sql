-- operations.* columns: what each column of the four shop tables holds.
-- The warehouse copies are created by migration 0002 with their table comments; their columns
-- are commented here, re-applied on every deploy, so `\d+ operations.orders` explains itself like
-- every other table (tests/test_comments.py holds every column to it). The embedded demo source
-- applies this same file (views/source/operations/columns.sql links here): the columns mean the
-- same on both sides. The spelling `quanity` is the source's own, kept on purpose.

comment on column operations.customers.customer_id is 'Customer id, from the source''s sequence.';
comment on column operations.customers.customer_name is 'The customer''s name. Personal data.';
comment on column operations.customers.is_active is 'Whether the customer account is active.';
comment on column operations.customers.customer_address is 'Postal address, free text. Personal data.';
comment on column operations.customers.updated_at is 'When the row last changed, as the shop wrote it (no time zone).';
comment on column operations.customers.updated_by is 'Id of the shop user who last changed the row.';
comment on column operations.customers.created_at is 'When the row was created, as the shop wrote it (no time zone).';
comment on column operations.customers.created_by is 'Id of the shop user who created the row.';

comment on column operations.products.product_id is 'Product id, from the source''s sequence.';
comment on column operations.products.product_name is 'The product''s name.';
comment on column operations.products.barcode is 'Barcode (EAN or similar), up to 26 characters.';
comment on column operations.products.unity_price is 'Current unit price (the name is the source''s); on the warehouse, its history is analytics.dim_product.';
comment on column operations.products.is_active is 'Whether the product is on sale; null when the shop never said.';
comment on column operations.products.updated_at is 'When the row last changed, as the shop wrote it (no time zone).';
comment on column operations.products.updated_by is 'Id of the shop user who last changed the row.';
comment on column operations.products.created_at is 'When the row was created, as the shop wrote it (no time zone).';
comment on column operations.products.created_by is 'Id of the shop user who created the row.';

comment on column operations.orders.order_id is 'Order id, from the source''s sequence.';
comment on column operations.orders.order_date is 'Day the order was placed.';
comment on column operations.orders.delivery_date is 'Promised delivery day; null while not promised.';
comment on column operations.orders.customer_id is 'Customer who placed the order (operations.customers; no foreign key at the source).';
comment on column operations.orders.status is 'PENDING, PROCESSING, REPROCESSING or COMPLETED; anything else is quarantined on the warehouse (clean.order_rule).';
comment on column operations.orders.updated_at is 'When the row last changed, as the shop wrote it (no time zone).';
comment on column operations.orders.updated_by is 'Id of the shop user who last changed the row.';
comment on column operations.orders.created_at is 'When the row was created, as the shop wrote it (no time zone).';
comment on column operations.orders.created_by is 'Id of the shop user who created the row.';

comment on column operations.order_items.order_item_id is 'Order item id, from the source''s sequence.';
comment on column operations.order_items.order_id is 'Order the item belongs to (operations.orders; no foreign key at the source).';
comment on column operations.order_items.product_id is 'Product ordered (operations.products; no foreign key at the source).';
comment on column operations.order_items.quanity is 'Units ordered (sic: the source spells it quanity). clean.order_items calls it quantity.';
comment on column operations.order_items.updated_at is 'When the row last changed, as the shop wrote it (no time zone).';
comment on column operations.order_items.updated_by is 'Id of the shop user who last changed the row.';
comment on column operations.order_items.created_at is 'When the row was created, as the shop wrote it (no time zone).';
comment on column operations.order_items.created_by is 'Id of the shop user who created the row.';
