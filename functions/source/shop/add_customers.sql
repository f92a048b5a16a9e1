-- shop.add_customers(n): n new customers, as a sign-up form would write them.

create or replace procedure shop.add_customers(n integer)
language sql as $$
    insert into operations.customers (customer_name, is_active, customer_address,
                                      created_at, created_by, updated_at, updated_by)
    select (array['Ana', 'Bruno', 'Carla', 'Diego', 'Elena', 'Felipe', 'Gabriela', 'Hugo'])[1 + floor(random() * 8)::int]
               || ' ' || (array['Silva', 'Souza', 'Costa', 'Santos', 'Oliveira', 'Pereira'])[1 + floor(random() * 6)::int],
           true,
           (100 + floor(random() * 9900))::int || ' Market Street',
           localtimestamp, 0, localtimestamp, 0
    from generate_series(1, n);
$$;
comment on procedure shop.add_customers(integer) is 'Demo traffic: insert n customers.';
