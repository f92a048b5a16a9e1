-- staging.changelog
-- Every change the subscription applied, from all four per-table logs, in the shape of the one
-- jsonb changelog it replaced (migrations/warehouse/0005): readers that want one list of changes
-- with self-describing images keep working. The images are converted to jsonb on read, so
-- readers that care for speed read staging.<table>_changes instead.

create or replace view staging.changelog as
select change_id, 'customers'::text as table_name, operation,
       to_jsonb(old_row) as old_row, to_jsonb(new_row) as new_row, applied_at, xact_id, initial_copy
from staging.customers_changes
union all
select change_id, 'products'::text, operation,
       to_jsonb(old_row), to_jsonb(new_row), applied_at, xact_id, initial_copy
from staging.products_changes
union all
select change_id, 'orders'::text, operation,
       to_jsonb(old_row), to_jsonb(new_row), applied_at, xact_id, initial_copy
from staging.orders_changes
union all
select change_id, 'order_items'::text, operation,
       to_jsonb(old_row), to_jsonb(new_row), applied_at, xact_id, initial_copy
from staging.order_items_changes;

comment on view staging.changelog is
    'Every row change applied by the subscription to operations.*, with old and new images as jsonb: the union of staging.<table>_changes.';
comment on column staging.changelog.change_id is 'Increasing id, drawn in the order changes were applied (staging.change_id_seq).';
comment on column staging.changelog.table_name is 'Table in schema operations the change applies to.';
comment on column staging.changelog.operation is 'INSERT, UPDATE or DELETE.';
comment on column staging.changelog.old_row is 'The row before the change (null for INSERT); exact, as the source has REPLICA IDENTITY FULL.';
comment on column staging.changelog.new_row is 'The row after the change (null for DELETE).';
comment on column staging.changelog.applied_at is 'Start time of the warehouse transaction that applied the change.';
comment on column staging.changelog.xact_id is 'Warehouse transaction that applied the change.';
comment on column staging.changelog.initial_copy is 'The row came with the subscription''s initial table copy.';

revoke all on staging.changelog from public;
