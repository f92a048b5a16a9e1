-- analytics.status_funnel_totals
-- Per status: how many orders reached it, how many moved on, and the total time those spent in
-- it. The sums analytics.status_funnel divides; declared once on the folding machinery over
-- analytics.order_status_stays.

call elt.declare_aggregate(
    name     => 'status_funnel_totals',
    comment  => 'Per status: order facts that reached it, those that moved on to a status they had not reached before, and the seconds those spent in it. Always current with the facts; analytics.status_funnel reads it.',
    source   => 'analytics.order_status_stays',
    changes  => 'elt.order_status_stays_changed_since',
    keys     => array[['status', 'PENDING, PROCESSING, REPROCESSING or COMPLETED.']],
    measures => array[['orders_reached', '1', 'Orders that reached the status.'],
                      ['orders_moved_on', '(left_at is not null)::integer',
                       'Orders that reached the status and later first reached another one.'],
                      ['seconds_stayed', 'coalesce(extract(epoch from left_at - reached_at), 0)',
                       'Total seconds the orders that moved on spent from reaching the status to moving on.']],
    filter   => 'true');
