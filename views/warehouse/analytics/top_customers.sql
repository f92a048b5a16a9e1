-- analytics.top_customers
-- The 3 customers with the most pending orders: analytics.pending_orders ranked after summing,
-- ties to the smaller customer_id; the name is joined afterwards from the current customer row,
-- so a renamed customer shows the new name at once.

create or replace view analytics.top_customers as
with top as (
    select p.customer_id, p.pending_orders
    from analytics.pending_orders as p
    order by p.pending_orders desc, p.customer_id asc
    limit 3
)
select top.customer_id, c.customer_name, top.pending_orders
from top
left join clean.customers as c on c.customer_id = top.customer_id
order by top.pending_orders desc, top.customer_id asc;

comment on view analytics.top_customers is
    'Top 3 customers by pending (not COMPLETED) orders, ties to the smaller customer_id, with their current name. Always current, from analytics.pending_orders; quarantined orders are left out.';
comment on column analytics.top_customers.customer_id is 'Customer id.';
comment on column analytics.top_customers.customer_name is 'The customer''s current name.';
comment on column analytics.top_customers.pending_orders is 'Number of the customer''s clean orders not COMPLETED.';
