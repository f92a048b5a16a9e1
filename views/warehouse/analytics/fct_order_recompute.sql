-- analytics.fct_order_recompute
-- The specification of analytics.fct_order, from the current clean orders, their milestones and
-- the customer dimension; elt.advance_star also writes the table from it, key by key, for the
-- orders a change may have affected (a filter on order_id reaches the orders' primary key).
-- The customer's version is the one valid when the order was placed; an order placed while
-- its customer did not exist yet (the initial copy brings orders before customers, say) takes
-- the customer's first version. Later versions never change it: versions are only appended.

create or replace view analytics.fct_order_recompute as
select o.order_id,
       k.customer_key,
       coalesce((select d.customer_version_id from analytics.dim_customer as d
                 where d.customer_key = k.customer_key and d.valid_from <= m.placed_at
                 order by d.valid_from desc limit 1),
                (select d.customer_version_id from analytics.dim_customer as d
                 where d.customer_key = k.customer_key
                 order by d.valid_from limit 1)) as customer_version_id,
       o.order_date,
       o.delivery_date,
       o.status,
       o.delivery_date - o.order_date as lead_time_days,
       m.placed_at,
       m.pending_at,
       m.processing_at,
       m.reprocessing_at,
       m.completed_at
from clean.orders as o
cross join lateral (select elt.customer_key(o.customer_id) as customer_key) as k
left join clean.order_milestones as m on m.order_id = o.order_id;

comment on view analytics.fct_order_recompute is
    'analytics.fct_order computed from clean.orders, clean.order_milestones and analytics.dim_customer (slow in full; the table''s specification).';
comment on column analytics.fct_order_recompute.order_id is 'Order id from the source.';
comment on column analytics.fct_order_recompute.customer_key is 'Pseudonym of the customer.';
comment on column analytics.fct_order_recompute.customer_version_id is 'The customer''s version when the order was placed.';
comment on column analytics.fct_order_recompute.order_date is 'Day the order was placed.';
comment on column analytics.fct_order_recompute.delivery_date is 'Promised delivery day.';
comment on column analytics.fct_order_recompute.status is 'Current status.';
comment on column analytics.fct_order_recompute.lead_time_days is 'delivery_date - order_date in days.';
comment on column analytics.fct_order_recompute.placed_at is 'When the warehouse first saw the order.';
comment on column analytics.fct_order_recompute.pending_at is 'When the order was first PENDING.';
comment on column analytics.fct_order_recompute.processing_at is 'When the order was first PROCESSING.';
comment on column analytics.fct_order_recompute.reprocessing_at is 'When the order was first REPROCESSING.';
comment on column analytics.fct_order_recompute.completed_at is 'When the order was first COMPLETED.';
