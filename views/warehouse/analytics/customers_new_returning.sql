-- analytics.customers_new_returning
-- New and returning customers per day: of the customers who ordered that day, those for whom it
-- was the first day they ever ordered, and the others. Declared once on the folding machinery,
-- over analytics.customer_order_days; its delta recomputes only the customers whose orders
-- changed (elt.customer_order_days_changed_since).

call elt.declare_aggregate(
    name     => 'customers_new_returning',
    comment  => 'Customers who ordered per day, split into new (their first day of ordering) and returning (they had ordered on an earlier day). From the order facts; always current with them.',
    source   => 'analytics.customer_order_days',
    changes  => 'elt.customer_order_days_changed_since',
    keys     => array[['order_date', 'Day the customers ordered.']],
    measures => array[['new_customers', 'is_new::integer', 'Customers whose first day of ordering this is.'],
                      ['returning_customers', '(not is_new)::integer', 'Customers who had ordered on an earlier day.']],
    filter   => 'true');
