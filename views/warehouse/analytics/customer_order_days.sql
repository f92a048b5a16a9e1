-- analytics.customer_order_days
-- Each day a customer placed at least one order, and whether it was the customer's first such
-- day (new) or not (returning): the rows analytics.customers_new_returning counts. A customer's
-- rows depend on all its orders, so its delta recomputes the customers whose orders changed
-- (elt.customer_order_days_changed_since).

create or replace view analytics.customer_order_days as
select d.customer_key, d.order_date,
       d.order_date = min(d.order_date) over (partition by d.customer_key) as is_new
from (select distinct o.customer_key, o.order_date
      from analytics.fct_order as o
      where o.order_date is not null) as d;

comment on view analytics.customer_order_days is
    'One row per customer and day with at least one order of that customer (order facts), with whether it is the customer''s first day of ordering.';
comment on column analytics.customer_order_days.customer_key is 'Pseudonym of the customer (analytics.dim_customer.customer_key).';
comment on column analytics.customer_order_days.order_date is 'A day the customer placed an order.';
comment on column analytics.customer_order_days.is_new is 'True on the customer''s first day of ordering (among the current order facts), false on later days.';
