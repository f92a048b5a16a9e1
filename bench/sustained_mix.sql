-- bench.write_mix: the source traffic of bench/sustained_bench.py, one transaction at a time at
-- a fixed rate. It runs server-side because a Python client on 2 cores cannot commit 1000
-- transactions a second on one connection; several calls run side by side for higher rates.
-- Orders delivered before 2000 are the benchmark's freshness markers: the mix never touches them.

create schema if not exists bench;

-- Bumped by every committed mix transaction: the achieved rate, read once a second.
create sequence if not exists bench.mix_commits;

-- The mix picks an open order from a random point on the key; at 1M orders, most of them
-- delivered long ago, walking past completed ones held the mix to 327 of 500 tx/s. This index
-- is the benchmark's, on its own source database: a shop would have its own way to find work.
create index if not exists bench_open_orders on operations.orders (order_id) where status <> 'COMPLETED';

create or replace procedure bench.write_mix(rate float8, run_for interval,
                                            inout commits bigint default 0, inout errors bigint default 0)
language plpgsql as $$
declare
    started timestamptz := clock_timestamp();
    behind float8;
    dice float8;
    point bigint;
    picked bigint;
    picked_status text;
    new_order bigint;
    failed boolean;
    max_customer bigint := (select max(customer_id) from operations.customers);
    max_product bigint := (select max(product_id) from operations.products);
begin
    loop
        -- Paced against the start, not the previous transaction, so a slow one is caught up.
        behind := extract(epoch from started + (commits + errors) / rate * interval '1 second' - clock_timestamp());
        if behind > 0 then
            perform pg_sleep(behind);
        end if;
        exit when clock_timestamp() >= started + run_for;
        dice := random() * 100;
        failed := false;
        begin
            if dice < 44 then
                -- An open order moves one step: PENDING -> PROCESSING -> COMPLETED, one in five
                -- PROCESSING through REPROCESSING first. From a random point on the primary key:
                -- an index range scan, not a sort.
                point := floor(random() * (select max(order_id) from operations.orders));
                select o.order_id, o.status into picked, picked_status
                from operations.orders as o
                where o.order_id >= point and o.status <> 'COMPLETED' and o.delivery_date >= date '2000-01-01'
                order by o.order_id
                limit 1;
                update operations.orders
                set status = case picked_status
                                 when 'PENDING' then 'PROCESSING'
                                 when 'PROCESSING' then case when random() < 0.2 then 'REPROCESSING' else 'COMPLETED' end
                                 else 'COMPLETED'
                             end,
                    updated_at = localtimestamp, updated_by = 0
                where order_id = picked;
            elsif dice < 47 then
                -- A delivered order goes back to REPROCESSING (a complaint): old rows move too.
                point := floor(random() * (select max(order_id) from operations.orders));
                update operations.orders
                set status = 'REPROCESSING', updated_at = localtimestamp, updated_by = 0
                where order_id = (select o.order_id from operations.orders as o
                                  where o.order_id >= point and o.status = 'COMPLETED'
                                    and o.delivery_date >= date '2000-01-01'
                                  order by o.order_id limit 1);
            elsif dice < 67 then
                insert into operations.orders (order_date, delivery_date, customer_id, status,
                                               created_at, created_by, updated_at, updated_by)
                values (current_date, current_date + (1 + floor(random() * 14))::int,
                        1 + floor(random() * max_customer)::bigint, 'PENDING',
                        localtimestamp, 0, localtimestamp, 0)
                returning order_id into new_order;
                insert into operations.order_items (order_id, product_id, quanity,
                                                    created_at, created_by, updated_at, updated_by)
                select new_order, 1 + floor(random() * max_product)::bigint, 1 + floor(random() * 10)::int,
                       localtimestamp, 0, localtimestamp, 0
                from generate_series(1, 1 + floor(random() * 9)::int);
            elsif dice < 89 then
                point := floor(random() * (select max(order_item_id) from operations.order_items));
                update operations.order_items
                set quanity = 1 + floor(random() * 10)::int, updated_at = localtimestamp, updated_by = 0
                where order_item_id = (select i.order_item_id from operations.order_items as i
                                       where i.order_item_id >= point order by i.order_item_id limit 1);
            elsif dice < 94 then
                update operations.products
                set unity_price = round(unity_price * (0.9 + random() * 0.2)::numeric, 2),
                    updated_at = localtimestamp, updated_by = 0
                where product_id = 1 + floor(random() * max_product)::bigint;
            elsif dice < 99 then
                update operations.customers
                set customer_address = (100 + floor(random() * 9900))::int || ' Harbour Road',
                    updated_at = localtimestamp, updated_by = 0
                where customer_id = 1 + floor(random() * max_customer)::bigint;
            elsif dice < 99.5 then
                point := floor(random() * (select max(order_id) from operations.orders));
                select o.order_id into picked
                from operations.orders as o
                where o.order_id >= point and o.delivery_date >= date '2000-01-01'
                order by o.order_id
                limit 1;
                delete from operations.order_items where order_id = picked;
                delete from operations.orders where order_id = picked;
            else
                point := floor(random() * (select max(order_item_id) from operations.order_items));
                delete from operations.order_items
                where order_item_id = (select i.order_item_id from operations.order_items as i
                                       where i.order_item_id >= point order by i.order_item_id limit 1);
            end if;
            perform nextval('bench.mix_commits');
        exception when deadlock_detected or lock_not_available then
            -- Two mix loops met on one row; count it and go on, as an application would retry.
            failed := true;
        end;
        commit;
        if failed then
            errors := errors + 1;
        else
            commits := commits + 1;
        end if;
    end loop;
end
$$;
