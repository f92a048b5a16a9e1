-- shop.advance_orders(n): about n open orders move one step through their life:
-- PENDING -> PROCESSING -> COMPLETED, and one in five PROCESSING goes to REPROCESSING first.

create or replace procedure shop.advance_orders(n integer)
language sql as $$
    with picked as (
        -- A random starting point on the primary key, then the next open orders: an index
        -- range scan, not a sort of the whole table.
        select order_id, status
        from operations.orders
        where status <> 'COMPLETED'
          and order_id >= (select floor(random() * max(order_id)) from operations.orders)
        order by order_id
        limit n
    )
    update operations.orders as o
    set status = case picked.status
                     when 'PENDING' then 'PROCESSING'
                     when 'PROCESSING' then case when random() < 0.2 then 'REPROCESSING' else 'COMPLETED' end
                     else 'COMPLETED'
                 end,
        updated_at = localtimestamp,
        updated_by = 0
    from picked
    where o.order_id = picked.order_id;
$$;
comment on procedure shop.advance_orders(integer) is 'Demo traffic: move about n open orders one status forward.';
