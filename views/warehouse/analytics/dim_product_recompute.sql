-- analytics.dim_product_recompute
-- The specification of analytics.dim_product: every version, derived from the whole products
-- log by the rule in elt.dimension_sql. Equal to the table while the log reaches back to the
-- first change; once elt.purge has dropped old entries, the table alone remembers them.

do $$
begin
    execute format('create or replace view analytics.dim_product_recompute as %s',
                   elt.dimension_sql('product', 'recompute'));
end
$$;

comment on view analytics.dim_product_recompute is
    'Versions of analytics.dim_product recomputed from the whole products log (slow; the specification of the table, equal to it while the log is complete).';
comment on column analytics.dim_product_recompute.product_id is 'Product id from the source.';
comment on column analytics.dim_product_recompute.product_name is 'Name during this version.';
comment on column analytics.dim_product_recompute.barcode is 'Barcode during this version.';
comment on column analytics.dim_product_recompute.unit_price is 'Unit price during this version.';
comment on column analytics.dim_product_recompute.is_active is 'Whether the product was sold during this version.';
comment on column analytics.dim_product_recompute.valid_from is 'When this version started.';
comment on column analytics.dim_product_recompute.valid_to is 'When it ended; null while current.';
comment on column analytics.dim_product_recompute.is_current is 'valid_to is null.';
