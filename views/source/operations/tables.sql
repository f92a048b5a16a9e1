-- operations (embedded demo source only): what the schema and its four tables are.
-- Applied only where deploy owns the source schema (--source-schema, the default for the
-- embedded source); a user's own source keeps its own comments. Their columns are commented in
-- columns.sql beside this file.

comment on schema operations is
    'The shop''s operational tables (the demo source): published to the warehouse by elt_operations.';
comment on table operations.customers is 'Customers of the shop, one row each; deletes happen.';
comment on table operations.products is 'Products on sale, one row each, with their current price.';
comment on table operations.orders is 'Orders, one row each, moving PENDING -> PROCESSING -> COMPLETED (sometimes through REPROCESSING).';
comment on table operations.order_items is 'Lines of an order: a product and how many units.';
