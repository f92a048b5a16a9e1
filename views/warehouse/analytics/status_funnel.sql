-- analytics.status_funnel
-- The status funnel: how many orders reach each status, how many are still there, and how long
-- those that moved on stayed on average. From the folded sums of analytics.status_funnel_totals,
-- in the statuses' order.

create or replace view analytics.status_funnel as
select t.status, t.orders_reached, t.orders_reached - t.orders_moved_on as orders_still_there,
       t.orders_moved_on,
       make_interval(secs => round(t.seconds_stayed / nullif(t.orders_moved_on, 0), 0)::double precision)
           as avg_stay
from analytics.status_funnel_totals as t
order by array_position(array['PENDING', 'PROCESSING', 'REPROCESSING', 'COMPLETED'], t.status);

comment on view analytics.status_funnel is
    'Status funnel of the order facts: per status, orders that reached it, that are still there (never reached a new status since), that moved on, and the average time those stayed. Exact at every moment (analytics.status_funnel_totals).';
comment on column analytics.status_funnel.status is 'PENDING, PROCESSING, REPROCESSING or COMPLETED, in that order.';
comment on column analytics.status_funnel.orders_reached is 'Orders that reached the status at some point.';
comment on column analytics.status_funnel.orders_still_there is 'Of those, orders that have not first reached another status since.';
comment on column analytics.status_funnel.orders_moved_on is 'Of those, orders that moved on to a status they had not reached before.';
comment on column analytics.status_funnel.avg_stay is 'Average time from reaching the status to moving on, over the orders that moved on (to the second).';
