-- elt.personal_columns
-- Every warehouse column that holds personal data, or that leads to it, in one machine-readable
-- place: grants (issue 9) and the README's list are derived from it, and a test fails when a
-- column named like personal data appears anywhere without being listed here.
--   kind 'direct':   the data itself (a name, an address), or rows that contain it;
--   kind 'linkable': a customer id, which names a person to whoever can read operations.customers;
--   kind 'secret':   what turns the star schema's pseudonyms back into customer ids.
-- The customer ids of the aggregates (pending_orders and its parts) are listed from the catalog,
-- so a part declare_aggregate adds is never missed.

create or replace view elt.personal_columns as
with listed (schema_name, table_name, column_name, kind, holds) as (
    values
        ('operations', 'customers', 'customer_name', 'direct', 'The customer''s full name, as replicated.'),
        ('operations', 'customers', 'customer_address', 'direct', 'The customer''s full address, as replicated.'),
        ('staging', 'customers_changes', 'old_row', 'direct', 'Customer rows before each change: name and address included.'),
        ('staging', 'customers_changes', 'new_row', 'direct', 'Customer rows after each change: name and address included.'),
        ('staging', 'changelog', 'old_row', 'direct', 'The same customer rows as jsonb (table_name = ''customers'').'),
        ('staging', 'changelog', 'new_row', 'direct', 'The same customer rows as jsonb (table_name = ''customers'').'),
        ('staging', 'orders_changes', 'old_row', 'linkable', 'Order rows before each change: their customer_id included.'),
        ('staging', 'orders_changes', 'new_row', 'linkable', 'Order rows after each change: their customer_id included.'),
        ('clean', 'customers', 'customer_name', 'direct', 'The customer''s current name.'),
        ('analytics', 'top_customers', 'customer_name', 'direct', 'The names of the three customers with the most pending orders.'),
        ('analytics', 'top_customers_recompute', 'customer_name', 'direct', 'The same three names, recomputed.'),
        ('elt', 'pseudonym_key', 'key', 'secret', 'The key of the customer pseudonyms (elt.customer_key).')
)
select l.schema_name, l.table_name, l.column_name, l.kind, l.holds
from listed as l
union all
select n.nspname::text, c.relname::text, a.attname::text, 'linkable',
       'A customer id: it names the customer to whoever reads operations.customers.'
from pg_attribute as a
join pg_class as c on c.oid = a.attrelid
join pg_namespace as n on n.oid = c.relnamespace
where n.nspname in ('operations', 'clean', 'analytics') and c.relkind in ('r', 'v', 'm', 'p')
  and a.attname = 'customer_id' and a.attnum > 0 and not a.attisdropped;

comment on view elt.personal_columns is
    'Every warehouse column holding personal data (direct), a customer id (linkable) or the pseudonyms'' key (secret): where grants for analysts are to be derived from.';
comment on column elt.personal_columns.schema_name is 'Schema of the table or view.';
comment on column elt.personal_columns.table_name is 'Table or view.';
comment on column elt.personal_columns.column_name is 'The column.';
comment on column elt.personal_columns.kind is 'direct (the data itself), linkable (a customer id) or secret (re-identifies pseudonyms).';
comment on column elt.personal_columns.holds is 'What the column holds.';
