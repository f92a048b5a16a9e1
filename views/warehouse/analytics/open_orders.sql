-- analytics.open_orders
-- Open orders (status <> 'COMPLETED') per delivery date and status: the first question.
-- Declared once; elt.declare_aggregate derives the recompute, the maintained part, the delta
-- and the answer, which equals the recompute at every moment.

call elt.declare_aggregate(
    name     => 'open_orders',
    comment  => 'Number of open orders (status not COMPLETED) by delivery date and status, one row per pair with at least one. Quarantined orders (clean.quarantine) are left out.',
    source   => 'clean.orders',
    changes  => 'clean.orders_changed_since',
    keys     => array[['delivery_date', 'Promised delivery day; null for open orders without one.'],
                      ['status', 'PENDING, PROCESSING or REPROCESSING.']],
    measures => array[['open_orders', '1', 'Number of clean open orders with this delivery date and status.']],
    filter   => $$status <> 'COMPLETED'$$);
