-- clean.customers
-- Customers as the analytics see them. No rule quarantines a customer: a customer matters only
-- by existing (orders of unknown customers are quarantined) and by its name. The address is
-- personal data no answer needs, so it stops here.

create or replace view clean.customers as
select customer_id, customer_name::text as customer_name, is_active, updated_at, created_at
from operations.customers;

comment on view clean.customers is
    'Every replicated customer, without the address (personal data no answer needs). No rule quarantines customers.';
comment on column clean.customers.customer_id is 'Customer id from the source.';
comment on column clean.customers.customer_name is 'Current name; answers join it after summing, so a new name shows at once.';
comment on column clean.customers.is_active is 'Whether the shop considers the customer active.';
comment on column clean.customers.updated_at is 'Source audit column.';
comment on column clean.customers.created_at is 'Source audit column.';
