-- shop.change_prices(n): n random products get a new price.

create or replace procedure shop.change_prices(n integer)
language sql as $$
    update operations.products
    set unity_price = round(unity_price * (0.9 + random() * 0.2)::numeric, 2),
        updated_at = localtimestamp,
        updated_by = 0
    where product_id in (
        select 1 + floor(random() * (select max(product_id) from operations.products))::bigint
        from generate_series(1, n)
    );
$$;
comment on procedure shop.change_prices(integer) is 'Demo traffic: reprice about n products.';
