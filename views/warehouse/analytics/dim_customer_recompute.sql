-- analytics.dim_customer_recompute
-- The specification of analytics.dim_customer: every version, derived from the whole customers
-- log by the rule in elt.dimension_sql. Equal to the table while the log reaches back to the
-- first change; once elt.purge has dropped old entries, the table alone remembers them.
-- Generated from the declaration, so the rule is written once.

do $$
begin
    execute format('create or replace view analytics.dim_customer_recompute as %s',
                   elt.dimension_sql('customer', 'recompute'));
end
$$;

comment on view analytics.dim_customer_recompute is
    'Versions of analytics.dim_customer recomputed from the whole customers log (slow; the specification of the table, equal to it while the log is complete).';
comment on column analytics.dim_customer_recompute.customer_key is 'Pseudonym of the customer (elt.customer_key).';
comment on column analytics.dim_customer_recompute.area is 'Coarse area of the address (clean.address_area).';
comment on column analytics.dim_customer_recompute.is_active is 'Whether the customer was active during this version.';
comment on column analytics.dim_customer_recompute.valid_from is 'When this version started.';
comment on column analytics.dim_customer_recompute.valid_to is 'When it ended; null while current.';
comment on column analytics.dim_customer_recompute.is_current is 'valid_to is null.';
