-- analytics.pending_orders_hist
-- The historic part of analytics.pending_orders: analytics.pending_orders_recompute as of the
-- watermark in elt.watermark (aggregate 'pending_orders'), rebuilt by elt.refresh.
-- Created once with its first watermark, the replicated tables locked meanwhile; the unique
-- index is for the MVCC-safe REFRESH ... CONCURRENTLY (see analytics.open_orders_hist).

do $$
begin
    if to_regclass('analytics.pending_orders_hist') is null then
        lock table operations.customers, operations.orders in share mode;
        create materialized view analytics.pending_orders_hist as
            select customer_id, pending_orders from analytics.pending_orders_recompute;
        insert into elt.watermark (aggregate, snapshot, refreshed_at)
        values ('pending_orders', pg_current_snapshot(), now())
        on conflict (aggregate) do update set snapshot = excluded.snapshot, refreshed_at = excluded.refreshed_at;
    end if;
end
$$;

create unique index if not exists pending_orders_hist_key on analytics.pending_orders_hist (customer_id);

comment on materialized view analytics.pending_orders_hist is
    'Historic part of analytics.pending_orders: the answer as of elt.watermark (''pending_orders''). Rebuilt by call elt.refresh(''pending_orders'').';
comment on column analytics.pending_orders_hist.customer_id is 'Customer who placed the orders.';
comment on column analytics.pending_orders_hist.pending_orders is 'Pending orders of the customer as of the watermark.';
