-- shop.change_addresses(n): n random customers move house.

create or replace procedure shop.change_addresses(n integer)
language sql as $$
    update operations.customers
    set customer_address = (100 + floor(random() * 9900))::int || ' Harbour Road',
        updated_at = localtimestamp,
        updated_by = 0
    where customer_id in (
        select 1 + floor(random() * (select max(customer_id) from operations.customers))::bigint
        from generate_series(1, n)
    );
$$;
comment on procedure shop.change_addresses(integer) is 'Demo traffic: change about n customers'' addresses.';
