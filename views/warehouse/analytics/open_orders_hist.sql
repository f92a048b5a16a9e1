-- analytics.open_orders_hist
-- The historic part of analytics.open_orders: analytics.open_orders_recompute as of the
-- watermark in elt.watermark (aggregate 'open_orders'), rebuilt by elt.refresh.
-- Created once, here, together with its first watermark: the replicated tables are locked
-- against the subscription meanwhile, so the snapshot recorded matches the rows computed.
-- Its definition is the recompute view, so it never needs dropping when that view changes.
-- The unique index lets elt.refresh use REFRESH ... CONCURRENTLY, which is MVCC-safe: a plain
-- REFRESH writes frozen rows that readers holding an older snapshot would see before the
-- matching watermark.

do $$
begin
    if to_regclass('analytics.open_orders_hist') is null then
        lock table operations.customers, operations.orders in share mode;
        create materialized view analytics.open_orders_hist as
            select delivery_date, status, open_orders from analytics.open_orders_recompute;
        insert into elt.watermark (aggregate, snapshot, refreshed_at)
        values ('open_orders', pg_current_snapshot(), now())
        on conflict (aggregate) do update set snapshot = excluded.snapshot, refreshed_at = excluded.refreshed_at;
    end if;
end
$$;

create unique index if not exists open_orders_hist_key
    on analytics.open_orders_hist (delivery_date, status) nulls not distinct;

comment on materialized view analytics.open_orders_hist is
    'Historic part of analytics.open_orders: the answer as of elt.watermark (''open_orders''). Rebuilt by call elt.refresh(''open_orders'').';
comment on column analytics.open_orders_hist.delivery_date is 'Promised delivery day; null for orders without one.';
comment on column analytics.open_orders_hist.status is 'PENDING, PROCESSING or REPROCESSING.';
comment on column analytics.open_orders_hist.open_orders is 'Open orders with this delivery date and status, as of the watermark.';
