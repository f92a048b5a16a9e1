-- elt.prewarm
-- select * from elt.prewarm(): read into shared buffers what the deltas and folds look up by
-- key, most used first: the customers' and products' primary keys (existence checks), the
-- orders' primary key, the items by order (order_items_order_id_covering: the items of an order
-- whose state changed) and the orders' rows (a changed item's order). Between a restart and the
-- moment each page has been read once, a delta or fold waits on every one of them from disk:
-- on a fresh 10M-order warehouse the delta of a served pending_items read 54 pages from disk
-- (19.6 ms of its 27.8), and the first fold of 10k random orders took 0.67 s against 0.42 with
-- them loaded, which is what the same fold takes warm (bench/README.md). With them loaded, that
-- delta took 9-14 ms the first time, 5.5-6.5 once all it reads is cached.
-- Each is loaded only while the running total fits in share_of_buffers of shared_buffers (three
-- quarters by default: at 10M orders they are 3.7 GB of the warehouse's 6), so that a small
-- shared_buffers is not churned through for nothing. Those that do not fit are listed with
-- blocks_loaded null. The deploy runs it, and the pg_cron job prewarm-lookups hourly: after a
-- restart they are read back within the hour, and pages pushed out meanwhile are read again
-- (0.1 s at 10M orders when all are there already).

create or replace function elt.prewarm(share_of_buffers float8 default 0.75)
returns table (relation regclass, megabytes numeric, blocks_loaded bigint)
language plpgsql as $$
declare
    budget float8;
    used bigint := 0;
    size bigint;
begin
    if share_of_buffers is null or not share_of_buffers > 0 or share_of_buffers > 1 then
        raise exception 'share_of_buffers must be above 0 and at most 1, not %', share_of_buffers
            using hint = 'The share of shared_buffers the relations may fill: 0.75 is three quarters.';
    end if;
    budget := share_of_buffers * (select s.setting::bigint * 8192 from pg_settings as s where s.name = 'shared_buffers');
    for relation in
        select r.oid::regclass
        from unnest(array['operations.customers_pkey', 'operations.products_pkey', 'operations.orders_pkey',
                          'operations.order_items_order_id_covering', 'operations.orders']) with ordinality as n (name, position)
        cross join lateral (select to_regclass(n.name) as oid) as r
        where r.oid is not null
        order by n.position
    loop
        size := pg_relation_size(relation);
        megabytes := round(size / 1048576.0, 1);
        blocks_loaded := null;
        if used + size <= budget then
            blocks_loaded := pg_prewarm(relation);
            used := used + size;
        end if;
        return next;
    end loop;
end
$$;

comment on function elt.prewarm(float8) is
    'Read into shared buffers the indexes and rows the deltas and folds look up by key (customers and products by key, orders by key, items by order, orders), while they fit in share_of_buffers of shared_buffers (three quarters by default); one row per relation with the blocks loaded (null: not loaded). The deploy runs it, and the pg_cron job prewarm-lookups hourly.';
