-- analytics.pending_items_hist
-- The historic part of analytics.pending_items: analytics.pending_items_recompute as of the
-- watermark in elt.watermark (aggregate 'pending_items'), rebuilt by elt.refresh.
-- Created once with its first watermark, the replicated tables locked meanwhile; the unique
-- index is for the MVCC-safe REFRESH ... CONCURRENTLY (see analytics.open_orders_hist).

do $$
begin
    if to_regclass('analytics.pending_items_hist') is null then
        lock table operations.customers, operations.products, operations.orders, operations.order_items
            in share mode;
        create materialized view analytics.pending_items_hist as
            select product_id, pending_items from analytics.pending_items_recompute;
        insert into elt.watermark (aggregate, snapshot, refreshed_at)
        values ('pending_items', pg_current_snapshot(), now())
        on conflict (aggregate) do update set snapshot = excluded.snapshot, refreshed_at = excluded.refreshed_at;
    end if;
end
$$;

create unique index if not exists pending_items_hist_key on analytics.pending_items_hist (product_id);

comment on materialized view analytics.pending_items_hist is
    'Historic part of analytics.pending_items: the answer as of elt.watermark (''pending_items''). Rebuilt by call elt.refresh(''pending_items'').';
comment on column analytics.pending_items_hist.product_id is 'Product ordered.';
comment on column analytics.pending_items_hist.pending_items is 'Units of the product on open orders as of the watermark.';
