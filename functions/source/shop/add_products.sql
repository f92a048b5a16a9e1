-- shop.add_products(n): n new products in the catalogue.

create or replace procedure shop.add_products(n integer)
language sql as $$
    insert into operations.products (product_name, barcode, unity_price, is_active,
                                     created_at, created_by, updated_at, updated_by)
    select (array['Coffee', 'Tea', 'Rice', 'Beans', 'Soap', 'Towel', 'Lamp', 'Chair'])[1 + floor(random() * 8)::int]
               || ' ' || (1 + floor(random() * 999))::int,
           lpad(floor(random() * 1e13)::bigint::text, 13, '0'),
           round((1 + random() * 199)::numeric, 2),
           true,
           localtimestamp, 0, localtimestamp, 0
    from generate_series(1, n);
$$;
comment on procedure shop.add_products(integer) is 'Demo traffic: insert n products.';
