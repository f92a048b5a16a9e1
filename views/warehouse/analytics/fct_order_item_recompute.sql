-- analytics.fct_order_item_recompute
-- The specification of analytics.fct_order_item, from the current clean items, their orders'
-- milestones and the product dimension; elt.advance_star also writes the table from it, key by
-- key. The price is the product version's valid when the order was placed (the product's first
-- version if the order came before it), whenever the item was added: the price the order was
-- made at. Later versions never change it: versions are only appended.

create or replace view analytics.fct_order_item_recompute as
select i.order_item_id,
       i.order_id,
       i.product_id,
       v.product_version_id,
       i.quantity,
       p.unit_price,
       i.quantity * p.unit_price as amount
from clean.order_items as i
left join clean.order_milestones as m on m.order_id = i.order_id
cross join lateral (
    select coalesce((select d.product_version_id from analytics.dim_product as d
                     where d.product_id = i.product_id and d.valid_from <= m.placed_at
                     order by d.valid_from desc limit 1),
                    (select d.product_version_id from analytics.dim_product as d
                     where d.product_id = i.product_id
                     order by d.valid_from limit 1)) as product_version_id
) as v
left join analytics.dim_product as p on p.product_version_id = v.product_version_id;

comment on view analytics.fct_order_item_recompute is
    'analytics.fct_order_item computed from clean.order_items, clean.order_milestones and analytics.dim_product (slow in full; the table''s specification).';
comment on column analytics.fct_order_item_recompute.order_item_id is 'Order item id from the source.';
comment on column analytics.fct_order_item_recompute.order_id is 'Order the item belongs to.';
comment on column analytics.fct_order_item_recompute.product_id is 'Product ordered.';
comment on column analytics.fct_order_item_recompute.product_version_id is 'The product''s version when the order was placed.';
comment on column analytics.fct_order_item_recompute.quantity is 'Units ordered.';
comment on column analytics.fct_order_item_recompute.unit_price is 'Unit price of that version.';
comment on column analytics.fct_order_item_recompute.amount is 'quantity * unit_price.';
