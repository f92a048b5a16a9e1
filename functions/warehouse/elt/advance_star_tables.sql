-- elt.advance_star_tables
-- The work of an advance of the star schema, inside the caller's REPEATABLE READ transaction:
-- bring the dimensions, the order milestones, the calendar and the facts from the watermark in
-- elt.star_watermark to this transaction's snapshot, and move the watermark, all at once, so a
-- reader sees the tables and the watermark of one advance. It reads the log entries after the
-- watermark and, by key, the rows they may have changed, so it costs what changed (about 0.12
-- ms per change at 1M orders): run once a second by elt.maintain(layer => 'metrics'), the star
-- tables follow the replicated data within about a second. The first advance reads the whole
-- log: that is the initial build (183 s for the 6M entries of 1M orders).
-- Which facts a change may affect:
--   * an order or item whose log has an entry (under its old or its new id);
--   * the items of an affected order that turned clean or quarantined, or whose id was created
--     anew (their order's validity and time decide theirs; a new status alone does not: at 1M
--     orders, recomputing the five items of every order that moved on was most of the cost);
--   * the orders of a customer, and the items of a product, that appeared or disappeared (the
--     clean rules need them to exist). A customer's or product's new version does not touch
--     them: facts point at the version valid when the order was placed, which a version
--     appended now cannot change... unless the entry is older than what the tables already
--     hold (the initial copy's table-sync workers commit out of time order): then the facts
--     of that customer or product are recomputed too.
-- Returns the rows written; logs to elt.star_log when there was anything to do.

create or replace function elt.advance_star_tables()
returns bigint
language plpgsql
-- Keyed lookups, where parallel workers and JIT only cost.
set max_parallel_workers_per_gather = 0
set jit = off
as $$
declare
    started timestamptz := clock_timestamp();
    through bigint := staging.last_change_id();
    w elt.star_watermark;
    after_watermark text;
    newest timestamptz;
    orders bigint[];
    item_orders bigint[];
    items bigint[];
    written bigint := 0;
    n bigint;
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        raise exception 'elt.advance_star_tables needs a repeatable read transaction'
            using hint = 'Use call elt.advance_star(), which sets it up.';
    end if;
    select * into w from elt.star_watermark for update;
    after_watermark := format('c.xact_id >= %L::xid8 and not pg_visible_in_snapshot(c.xact_id, %L::pg_snapshot)',
                              pg_snapshot_xmin(w.snapshot), w.snapshot);

    -- Nothing new in any log: four short index scans, and nothing written but the time.
    execute format($q$
        select greatest((select max(c.applied_at) from staging.customers_changes as c where %1$s),
                        (select max(c.applied_at) from staging.products_changes as c where %1$s),
                        (select max(c.applied_at) from staging.orders_changes as c where %1$s),
                        (select max(c.applied_at) from staging.order_items_changes as c where %1$s))
        $q$, after_watermark) into newest;
    if newest is null then
        update elt.star_watermark set as_of = now() where as_of is null or as_of < now() - interval '1 second';
        return 0;
    end if;

    execute elt.dimension_sql('customer', 'advance', w.snapshot) into n;
    written := written + n;
    execute elt.dimension_sql('product', 'advance', w.snapshot) into n;
    written := written + n;
    execute clean.order_milestones_sql(w.snapshot, 'advance') into n;
    written := written + n;

    -- An id a customer or product entry makes appear or disappear, or that arrives older than
    -- the newest entry already advanced.
    execute format($q$
        select array(
            select (c.old_row).order_id from staging.orders_changes as c where %1$s and c.operation <> 'INSERT'
            union
            select (c.new_row).order_id from staging.orders_changes as c where %1$s and c.operation <> 'DELETE'
            union
            select o.order_id
            from operations.orders as o
            where o.customer_id = any(array(
                select (c.old_row).customer_id from staging.customers_changes as c
                where %1$s and c.operation <> 'INSERT'
                  and (c.operation = 'DELETE' or (c.old_row).customer_id is distinct from (c.new_row).customer_id
                       or c.applied_at <= %2$L::timestamptz)
                union
                select (c.new_row).customer_id from staging.customers_changes as c
                where %1$s and c.operation <> 'DELETE'
                  and (c.operation = 'INSERT' or (c.old_row).customer_id is distinct from (c.new_row).customer_id
                       or c.applied_at <= %2$L::timestamptz))))
        $q$, after_watermark, w.newest_applied_at) into orders;
    -- The orders whose items may change with them: clean now and not in the facts, or the other
    -- way round, or given their id anew (a new placed_at, so maybe other prices).
    execute format($q$
        with clean_now as (select o.order_id from clean.orders as o where o.order_id = any($1)),
        in_facts as (select f.order_id from analytics.fct_order as f where f.order_id = any($1))
        select array(
            (select c.order_id from clean_now as c except select f.order_id from in_facts as f)
            union
            (select f.order_id from in_facts as f except select c.order_id from clean_now as c)
            union
            select (c.new_row).order_id from staging.orders_changes as c
            where %1$s
              and (c.operation = 'INSERT'
                   or (c.operation = 'UPDATE' and (c.old_row).order_id is distinct from (c.new_row).order_id)))
        $q$, after_watermark) into item_orders using orders;
    execute format($q$
        select array(
            select (c.old_row).order_item_id from staging.order_items_changes as c where %1$s and c.operation <> 'INSERT'
            union
            select (c.new_row).order_item_id from staging.order_items_changes as c where %1$s and c.operation <> 'DELETE'
            union
            select i.order_item_id from operations.order_items as i where i.order_id = any($1)
            union
            select f.order_item_id from analytics.fct_order_item as f where f.order_id = any($1)
            union
            select i.order_item_id
            from operations.order_items as i
            where i.product_id = any(array(
                select (c.old_row).product_id from staging.products_changes as c
                where %1$s and c.operation <> 'INSERT'
                  and (c.operation = 'DELETE' or (c.old_row).product_id is distinct from (c.new_row).product_id
                       or c.applied_at <= %2$L::timestamptz)
                union
                select (c.new_row).product_id from staging.products_changes as c
                where %1$s and c.operation <> 'DELETE'
                  and (c.operation = 'INSERT' or (c.old_row).product_id is distinct from (c.new_row).product_id
                       or c.applied_at <= %2$L::timestamptz))))
        $q$, after_watermark, w.newest_applied_at) into items using item_orders;

    -- The calendar first: the facts' dates point at it.
    written := written + elt.extend_dim_date(
        (select min(least(o.order_date, o.delivery_date)) from clean.orders as o where o.order_id = any(orders)),
        (select max(greatest(o.order_date, o.delivery_date)) from clean.orders as o where o.order_id = any(orders)));

    -- Items that are no longer clean go first, then orders and items are written where they
    -- differ, and the orders no longer clean go last: the items point at their orders.
    -- The keys to delete as a set difference (hashed), not "<> all(array)", which compares each
    -- row with every kept key: the initial build's million orders took hours that way.
    delete from analytics.fct_order_item as f
    where f.order_item_id = any(array(select unnest(items)
                                      except
                                      select i.order_item_id from clean.order_items as i
                                      where i.order_item_id = any(items)));
    get diagnostics n = row_count;
    written := written + n;
    insert into analytics.fct_order as t (order_id, customer_key, customer_version_id, order_date, delivery_date,
                                          status, lead_time_days, placed_at, pending_at, processing_at,
                                          reprocessing_at, completed_at)
    select r.order_id, r.customer_key, r.customer_version_id, r.order_date, r.delivery_date, r.status,
           r.lead_time_days, r.placed_at, r.pending_at, r.processing_at, r.reprocessing_at, r.completed_at
    from analytics.fct_order_recompute as r
    where r.order_id = any(orders)
    on conflict (order_id) do update
    set customer_key = excluded.customer_key, customer_version_id = excluded.customer_version_id,
        order_date = excluded.order_date, delivery_date = excluded.delivery_date, status = excluded.status,
        lead_time_days = excluded.lead_time_days, placed_at = excluded.placed_at, pending_at = excluded.pending_at,
        processing_at = excluded.processing_at, reprocessing_at = excluded.reprocessing_at,
        completed_at = excluded.completed_at
    where row(t.*) is distinct from row(excluded.*);
    get diagnostics n = row_count;
    written := written + n;
    insert into analytics.fct_order_item as t (order_item_id, order_id, product_id, product_version_id, quantity,
                                               unit_price, amount)
    select r.order_item_id, r.order_id, r.product_id, r.product_version_id, r.quantity, r.unit_price, r.amount
    from analytics.fct_order_item_recompute as r
    where r.order_item_id = any(items)
    on conflict (order_item_id) do update
    set order_id = excluded.order_id, product_id = excluded.product_id,
        product_version_id = excluded.product_version_id, quantity = excluded.quantity,
        unit_price = excluded.unit_price, amount = excluded.amount
    where row(t.*) is distinct from row(excluded.*);
    get diagnostics n = row_count;
    written := written + n;
    -- Orders last: an item that left an order deleted in the same advance (moved to another
    -- order) still points at it until the item's fact is rewritten just above.
    delete from analytics.fct_order as f
    where f.order_id = any(array(select unnest(orders)
                                 except
                                 select o.order_id from clean.orders as o where o.order_id = any(orders)));
    get diagnostics n = row_count;
    written := written + n;

    -- The dimensions' deferred constraints checked here, where a failure rolls back this advance
    -- alone, not at the commit of the maintenance round around it.
    set constraints all immediate;
    update elt.star_watermark
    set snapshot = pg_current_snapshot(), changes_through = through,
        newest_applied_at = greatest(newest_applied_at, newest), as_of = now();
    insert into elt.star_log (started_at, finished_at, changes, rows_written)
    values (started, clock_timestamp(), greatest(through - w.changes_through, 0), written);
    return written;
end
$$;

comment on function elt.advance_star_tables() is
    'Advance the star tables (analytics.dim_customer, dim_product, dim_date, fct_order, fct_order_item and clean.order_milestones) from elt.star_watermark to the current repeatable read snapshot, and move the watermark; logs to elt.star_log. Use elt.advance_star or elt.maintain(layer => ''metrics'').';
