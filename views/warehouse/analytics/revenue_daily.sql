-- analytics.revenue_daily
-- Order intake (the amount of every clean order) and revenue (the amount of COMPLETED orders)
-- per day the orders were placed, from the order item facts (priced as when ordered).
-- Declared once on the folding machinery: exact at every moment, and read from a maintained
-- table plus about a second of changes instead of summing the facts.

call elt.declare_aggregate(
    name     => 'revenue_daily',
    comment  => 'Order intake (amount of all clean orders) and revenue (amount of COMPLETED orders) per day the orders were placed, from analytics.order_item_sales. Always current with the facts.',
    source   => 'analytics.order_item_sales',
    changes  => 'elt.order_item_sales_changed_since',
    keys     => array[['order_date', 'Day the orders were placed; null for orders without an order date.']],
    measures => array[['intake_amount', 'amount', 'Sum of quantity * unit price over the items of every order.'],
                      ['revenue_amount', $$case when status = 'COMPLETED' then amount else 0 end$$,
                       'Sum of quantity * unit price over the items of COMPLETED orders.'],
                      ['order_items', '1', 'Number of order items.']],
    filter   => 'true');
