-- clean.products
-- Products as the analytics see them. No rule quarantines a product: a product matters only by
-- existing (items of unknown products are quarantined).

create or replace view clean.products as
select product_id, product_name::text as product_name, barcode::text as barcode, unity_price, is_active,
       updated_at, created_at
from operations.products;

comment on view clean.products is 'Every replicated product. No rule quarantines products.';
comment on column clean.products.product_id is 'Product id from the source.';
comment on column clean.products.product_name is 'Current name.';
comment on column clean.products.barcode is 'Barcode (EAN or similar).';
comment on column clean.products.unity_price is 'Current unit price (the source''s unity_price).';
comment on column clean.products.is_active is 'Whether the product is still sold.';
comment on column clean.products.updated_at is 'Source audit column.';
comment on column clean.products.created_at is 'Source audit column.';
