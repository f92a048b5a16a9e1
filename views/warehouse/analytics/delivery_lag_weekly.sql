-- analytics.delivery_lag_weekly
-- The lag from order to (promised) delivery per ISO week of ordering: the average and the 90th
-- percentile in days. Both come from the folded histogram analytics.delivery_lag_histogram, so
-- both are exact at every moment (the p90 is folded, not rebuilt): a few dozen rows a week.
-- The p90 is the nearest-rank one (percentile_disc(0.9)): the smallest lead time that at least
-- 90% of the week's orders do not exceed. analytics.delivery_lag_weekly_recompute is the same
-- from the facts, its specification.

create or replace view analytics.delivery_lag_weekly as
with weeks as (
    select h.order_week, h.lead_time_days, h.orders,
           sum(h.orders) over (partition by h.order_week order by h.lead_time_days) as orders_up_to,
           sum(h.orders) over (partition by h.order_week) as week_orders
    from analytics.delivery_lag_histogram as h
)
select w.order_week,
       sum(w.orders) as orders,
       round(sum(w.lead_time_days * w.orders)::numeric / sum(w.orders), 2) as avg_lead_time_days,
       min(w.lead_time_days) filter (where w.orders_up_to >= 0.9 * w.week_orders) as p90_lead_time_days
from weeks as w
group by w.order_week;

comment on view analytics.delivery_lag_weekly is
    'Delivery lag (promised delivery day - order day) per ISO week of ordering: orders, average and p90 (nearest rank) in days. From the folded histogram analytics.delivery_lag_histogram: exact at every moment.';
comment on column analytics.delivery_lag_weekly.order_week is 'Monday of the ISO week the orders were placed in.';
comment on column analytics.delivery_lag_weekly.orders is 'Orders placed that week with both dates known.';
comment on column analytics.delivery_lag_weekly.avg_lead_time_days is 'Average lead time in days, to 2 decimals.';
comment on column analytics.delivery_lag_weekly.p90_lead_time_days is 'Smallest lead time that at least 90% of the week''s orders do not exceed (percentile_disc(0.9)).';

create or replace view analytics.delivery_lag_weekly_recompute as
select t.order_week,
       count(*) as orders,
       round(avg(t.lead_time_days), 2) as avg_lead_time_days,
       percentile_disc(0.9) within group (order by t.lead_time_days) as p90_lead_time_days
from analytics.order_lead_times as t
where t.lead_time_days is not null
group by t.order_week;

comment on view analytics.delivery_lag_weekly_recompute is
    'The specification of analytics.delivery_lag_weekly: the same figures computed from the order facts.';
comment on column analytics.delivery_lag_weekly_recompute.order_week is 'Monday of the ISO week the orders were placed in.';
comment on column analytics.delivery_lag_weekly_recompute.orders is 'Orders placed that week with both dates known.';
comment on column analytics.delivery_lag_weekly_recompute.avg_lead_time_days is 'Average lead time in days, to 2 decimals.';
comment on column analytics.delivery_lag_weekly_recompute.p90_lead_time_days is 'percentile_disc(0.9) of the lead times.';
