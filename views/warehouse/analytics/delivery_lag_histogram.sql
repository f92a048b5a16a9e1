-- analytics.delivery_lag_histogram
-- How many orders placed in each ISO week have each lead time (promised delivery day - order
-- day, whole days): the histogram analytics.delivery_lag_weekly reads its average and p90 from.
-- Declared once on the folding machinery. A percentile cannot be folded as a sum, but its
-- histogram can: lead times are whole days, so a week has a few dozen rows, and the p90 read from
-- them is exact at every moment, like the average. So both are folded, neither is rebuilt.

call elt.declare_aggregate(
    name     => 'delivery_lag_histogram',
    comment  => 'Number of order facts per ISO week of ordering and lead time in days (orders with both dates): the histogram of the delivery lag. Always current with the facts.',
    source   => 'analytics.order_lead_times',
    changes  => 'elt.order_lead_times_changed_since',
    keys     => array[['order_week', 'Monday of the ISO week the orders were placed in.'],
                      ['lead_time_days', 'Promised delivery day - order day, in days.']],
    measures => array[['orders', '1', 'Number of orders placed that week with that lead time.']],
    filter   => 'lead_time_days is not null');
