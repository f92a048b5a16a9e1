-- analytics.top_customers
-- The 3 customers with the most pending orders: the top of analytics.pending_orders, from its
-- index plus the customers changed since its watermark, ties to the smaller customer_id. The
-- name is joined afterwards from the current customer row, so a renamed customer shows the new
-- name at once.

create or replace view analytics.top_customers as
select t.customer_id, c.customer_name, t.pending_orders
from analytics.pending_orders_top(3) as t
left join clean.customers as c on c.customer_id = t.customer_id
order by t.pending_orders desc, t.customer_id asc;

comment on view analytics.top_customers is
    'Top 3 customers by pending (not COMPLETED) orders, ties to the smaller customer_id, with their current name. Always current, from analytics.pending_orders; quarantined orders are left out.';
comment on column analytics.top_customers.customer_id is 'Customer id.';
comment on column analytics.top_customers.customer_name is 'The customer''s current name.';
comment on column analytics.top_customers.pending_orders is 'Number of the customer''s clean orders not COMPLETED.';
