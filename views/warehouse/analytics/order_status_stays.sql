-- analytics.order_status_stays
-- Every status each order fact reached, when, and when it moved on (elt.status_stays): the rows
-- the status funnel sums (analytics.status_funnel_totals, status_funnel).

create or replace view analytics.order_status_stays as
select o.order_id, s.status, s.reached_at, s.left_at
from analytics.fct_order as o
cross join lateral elt.status_stays(o) as s;

comment on view analytics.order_status_stays is
    'One row per order fact and status it reached: when it first reached it and when it first reached a status it had not reached before (null while it stays).';
comment on column analytics.order_status_stays.order_id is 'Order id (analytics.fct_order).';
comment on column analytics.order_status_stays.status is 'PENDING, PROCESSING, REPROCESSING or COMPLETED.';
comment on column analytics.order_status_stays.reached_at is 'When the order first reached the status.';
comment on column analytics.order_status_stays.left_at is 'When it next first reached another status; null while it stays.';
