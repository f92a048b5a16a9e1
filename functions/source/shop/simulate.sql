-- shop.simulate(scale): one tick of a shop's day, what a pg_cron job calls every minute.

create or replace procedure shop.simulate(scale integer default 1)
language plpgsql as $$
begin
    -- A new shop opens with a catalogue and a few customers, so orders have something to reference.
    if (select count(*) from operations.products) < 20 then
        call shop.add_products(20);
    end if;
    if (select count(*) from operations.customers) < 10 then
        call shop.add_customers(10);
    end if;
    call shop.add_customers(scale);
    if random() < 0.3 then
        call shop.add_products(1);
    end if;
    commit;
    call shop.place_orders(5 * scale);
    commit;
    call shop.advance_orders(8 * scale);
    commit;
    call shop.change_prices(scale);
    call shop.change_addresses(scale);
end
$$;
comment on procedure shop.simulate(integer) is
    'Demo traffic: one tick (new customers and orders, status moves, price and address changes).';
