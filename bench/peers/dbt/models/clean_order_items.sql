-- Order items that pass the rules of clean.order_item_rule: a known, not negative quantity, a
-- known product, an order that is known and clean. The order's status is carried along, as
-- clean.order_lines does. View or incremental table as clean_orders; as an incremental table it
-- also keeps an item's old order status when only its order changed, the reason the answers
-- below always read the status from clean_orders.
{{ config(materialized='incremental' if var('incremental', false) else 'view',
          unique_key='order_item_id', incremental_strategy='merge') }}

select i.order_item_id, i.order_id, i.product_id, i.quanity as quantity, i.updated_at
from {{ source('operations', 'order_items') }} as i
join {{ source('operations', 'products') }} as p on p.product_id = i.product_id
where i.quanity >= 0
{% if is_incremental() %}
  and i.updated_at > (select max(updated_at) from {{ this }})
{% endif %}
