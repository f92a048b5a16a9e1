-- clean.orders_checked
-- Every replicated order with the verdict of clean.order_rule: the one place clean.orders and
-- clean.quarantine take their orders from, so together they hold every row exactly once.
-- operations.orders has a primary key, so rows are already unique per order_id.

create or replace view clean.orders_checked as
select
    o.order_id,
    o.order_date,
    o.delivery_date,
    o.customer_id,
    o.status::text as status,
    o.updated_at,
    o.updated_by,
    o.created_at,
    o.created_by,
    clean.order_rule(c.customer_id is not null, o.status, o.order_date, o.delivery_date, o.created_at)
        as quarantine_rule
from operations.orders as o
left join operations.customers as c on c.customer_id = o.customer_id;

comment on view clean.orders_checked is
    'Every replicated order with quarantine_rule: null when clean (clean.orders), else the first rule it fails (clean.quarantine).';
comment on column clean.orders_checked.order_id is 'Order id from the source.';
comment on column clean.orders_checked.order_date is 'Day the order was placed.';
comment on column clean.orders_checked.delivery_date is 'Promised delivery day; null when unknown.';
comment on column clean.orders_checked.customer_id is 'Customer who placed the order.';
comment on column clean.orders_checked.status is 'PENDING, PROCESSING, REPROCESSING or COMPLETED.';
comment on column clean.orders_checked.updated_at is 'Source audit column.';
comment on column clean.orders_checked.updated_by is 'Source audit column.';
comment on column clean.orders_checked.created_at is 'Source audit column; the far-future rule measures from it.';
comment on column clean.orders_checked.created_by is 'Source audit column.';
comment on column clean.orders_checked.quarantine_rule is 'First rule of clean.order_rule the order fails; null when clean.';
