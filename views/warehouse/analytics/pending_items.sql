-- analytics.pending_items
-- Units on open orders per product: the sum of order_items.quanity over the clean items whose
-- order is not COMPLETED. Declared once (elt.declare_aggregate derives its parts).

call elt.declare_aggregate(
    name     => 'pending_items',
    comment  => 'Number of open pending items per product: units ordered on orders not COMPLETED, products with a positive total. Quarantined items and orders are left out.',
    source   => 'clean.order_lines',
    changes  => 'clean.order_items_changed_since',
    keys     => array[['product_id', 'Product ordered.']],
    measures => array[['pending_items', 'quantity', 'Sum of the quantity of clean items whose order is not COMPLETED.']],
    filter   => $$order_status <> 'COMPLETED'$$);
