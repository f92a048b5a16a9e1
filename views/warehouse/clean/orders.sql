-- clean.orders
-- Clean orders: the replicated orders that pass every rule of clean.order_rule. The others are
-- in clean.quarantine and are left out of every analytics answer.

create or replace view clean.orders as
select order_id, order_date, delivery_date, customer_id, status, updated_at, updated_by, created_at, created_by
from clean.orders_checked
where quarantine_rule is null;

comment on view clean.orders is
    'Orders that pass every quality rule (clean.order_rule); rows that fail one are in clean.quarantine and left out of the analytics.';
comment on column clean.orders.order_id is 'Order id from the source.';
comment on column clean.orders.order_date is 'Day the order was placed.';
comment on column clean.orders.delivery_date is 'Promised delivery day; null when unknown.';
comment on column clean.orders.customer_id is 'Customer who placed the order; always an existing customer.';
comment on column clean.orders.status is 'PENDING, PROCESSING, REPROCESSING or COMPLETED; open means not COMPLETED.';
comment on column clean.orders.updated_at is 'Source audit column.';
comment on column clean.orders.updated_by is 'Source audit column.';
comment on column clean.orders.created_at is 'Source audit column.';
comment on column clean.orders.created_by is 'Source audit column.';
