-- analytics.open_orders_by_date
-- Open orders per delivery date, all open statuses together: the totals top_dates ranks,
-- kept indexed by total (ranked) so the top k is an index scan, not a sum over every date.

call elt.declare_aggregate(
    name     => 'open_orders_by_date',
    comment  => 'Number of open orders (status not COMPLETED) per delivery date, dates with at least one; ranked by analytics.open_orders_by_date_top(k). Quarantined orders are left out.',
    source   => 'clean.orders',
    changes  => 'clean.orders_changed_since',
    keys     => array[['delivery_date', 'Promised delivery day; null for open orders without one.']],
    measures => array[['open_orders', '1', 'Number of clean open orders with this delivery date, all statuses.']],
    filter   => $$status <> 'COMPLETED'$$,
    ranked   => true);
