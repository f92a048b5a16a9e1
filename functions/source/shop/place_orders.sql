-- shop.place_orders(n): n orders placed today by existing customers, 1 to 9 items each.

create or replace procedure shop.place_orders(n integer)
language plpgsql as $$
declare
    max_customer bigint := (select max(customer_id) from operations.customers);
    max_product  bigint := (select max(product_id) from operations.products);
begin
    if max_customer is null or max_product is null then
        raise notice 'shop.place_orders: no customers or products yet';
        return;
    end if;
    with new_orders as (
        insert into operations.orders (order_date, delivery_date, customer_id, status,
                                       created_at, created_by, updated_at, updated_by)
        select current_date, current_date + (1 + floor(random() * 10))::int,
               1 + floor(random() * max_customer)::bigint, 'PENDING',
               localtimestamp, 0, localtimestamp, 0
        from generate_series(1, n)
        returning order_id, (1 + floor(random() * 9))::int as item_count
    )
    insert into operations.order_items (order_id, product_id, quanity,
                                        created_at, created_by, updated_at, updated_by)
    select new_orders.order_id, 1 + floor(random() * max_product)::bigint, (1 + floor(random() * 5))::int,
           localtimestamp, 0, localtimestamp, 0
    from new_orders
    cross join lateral generate_series(1, new_orders.item_count);
end
$$;
comment on procedure shop.place_orders(integer) is 'Demo traffic: place n orders for today, with items.';
