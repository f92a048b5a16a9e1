-- clean.order_item_rule
-- The quality rules for an order item, in one place: the first rule it fails, or null.
-- An item is clean only when its product exists and its order exists and is clean itself.

create or replace function clean.order_item_rule(
    quantity integer, product_known boolean, order_known boolean, order_clean boolean)
returns text
language sql immutable parallel safe as $$
    select case
        when quantity is null then 'null_quantity'
        when quantity < 0 then 'negative_quantity'
        when not coalesce(product_known, false) then 'unknown_product'
        when not coalesce(order_known, false) then 'unknown_order'
        when not coalesce(order_clean, false) then 'quarantined_order'
    end
$$;

comment on function clean.order_item_rule(integer, boolean, boolean, boolean) is
    'First quality rule an order item fails (null_quantity, negative_quantity, unknown_product, unknown_order, quarantined_order), or null when it is clean.';
