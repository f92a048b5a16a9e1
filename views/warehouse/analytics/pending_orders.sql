-- analytics.pending_orders
-- Pending (open: status <> 'COMPLETED') orders per customer: the totals top_customers ranks,
-- kept indexed by total (ranked). Declared once (elt.declare_aggregate derives its parts).

call elt.declare_aggregate(
    name     => 'pending_orders',
    comment  => 'Number of pending (not COMPLETED) orders per customer, customers with at least one; ranked by analytics.pending_orders_top(k). Quarantined orders are left out.',
    source   => 'clean.orders',
    changes  => 'clean.orders_changed_since',
    keys     => array[['customer_id', 'Customer who placed the orders.']],
    measures => array[['pending_orders', '1', 'Number of the customer''s clean orders not COMPLETED.']],
    filter   => $$status <> 'COMPLETED'$$,
    ranked   => true);
