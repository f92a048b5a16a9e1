-- analytics.top_customers_recompute
-- The specification of analytics.top_customers, from scratch over clean.orders.

create or replace view analytics.top_customers_recompute as
with per_customer as (
    select o.customer_id, count(*) as pending_orders
    from clean.orders as o
    where o.status <> 'COMPLETED'
    group by o.customer_id
),
top as (
    select per_customer.customer_id, per_customer.pending_orders
    from per_customer
    order by per_customer.pending_orders desc, per_customer.customer_id asc
    limit 3
)
select top.customer_id, c.customer_name, top.pending_orders
from top
left join clean.customers as c on c.customer_id = top.customer_id
order by top.pending_orders desc, top.customer_id asc;

comment on view analytics.top_customers_recompute is
    'Top 3 customers by pending orders, recomputed from scratch over clean.orders (slow; the specification of analytics.top_customers).';
comment on column analytics.top_customers_recompute.customer_id is 'Customer id.';
comment on column analytics.top_customers_recompute.customer_name is 'The customer''s current name.';
comment on column analytics.top_customers_recompute.pending_orders is 'Number of the customer''s clean orders not COMPLETED.';
