-- analytics.intake_revenue_dropoff_daily
-- The drop-off from intake to revenue per day: the amount ordered that has not (yet) become
-- revenue, and its share of the intake. A projection of analytics.revenue_daily, so as exact and
-- as cheap as it is.

create or replace view analytics.intake_revenue_dropoff_daily as
select r.order_date, r.intake_amount, r.revenue_amount,
       r.intake_amount - r.revenue_amount as dropoff_amount,
       round((r.intake_amount - r.revenue_amount) / nullif(r.intake_amount, 0), 4) as dropoff_share
from analytics.revenue_daily as r;

comment on view analytics.intake_revenue_dropoff_daily is
    'Drop-off from order intake to revenue per day the orders were placed: intake not (yet) revenue, in amount and share. From analytics.revenue_daily.';
comment on column analytics.intake_revenue_dropoff_daily.order_date is 'Day the orders were placed; null for orders without an order date.';
comment on column analytics.intake_revenue_dropoff_daily.intake_amount is 'Amount of all orders.';
comment on column analytics.intake_revenue_dropoff_daily.revenue_amount is 'Amount of COMPLETED orders.';
comment on column analytics.intake_revenue_dropoff_daily.dropoff_amount is 'intake_amount - revenue_amount: ordered, not completed.';
comment on column analytics.intake_revenue_dropoff_daily.dropoff_share is 'dropoff_amount / intake_amount, to 4 decimals; null when the intake is 0.';
