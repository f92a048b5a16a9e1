-- analytics.intake_revenue_dropoff_weekly
-- The drop-off from intake to revenue per week: the amount ordered that has not (yet) become
-- revenue, and its share of the intake. A projection of analytics.revenue_weekly, so as exact and
-- as cheap as it is.

create or replace view analytics.intake_revenue_dropoff_weekly as
select r.order_week, r.intake_amount, r.revenue_amount,
       r.intake_amount - r.revenue_amount as dropoff_amount,
       round((r.intake_amount - r.revenue_amount) / nullif(r.intake_amount, 0), 4) as dropoff_share
from analytics.revenue_weekly as r;

comment on view analytics.intake_revenue_dropoff_weekly is
    'Drop-off from order intake to revenue per ISO week the orders were placed: intake not (yet) revenue, in amount and share. From analytics.revenue_weekly.';
comment on column analytics.intake_revenue_dropoff_weekly.order_week is 'Monday of the ISO week the orders were placed in; null for orders without an order date.';
comment on column analytics.intake_revenue_dropoff_weekly.intake_amount is 'Amount of all orders.';
comment on column analytics.intake_revenue_dropoff_weekly.revenue_amount is 'Amount of COMPLETED orders.';
comment on column analytics.intake_revenue_dropoff_weekly.dropoff_amount is 'intake_amount - revenue_amount: ordered, not completed.';
comment on column analytics.intake_revenue_dropoff_weekly.dropoff_share is 'dropoff_amount / intake_amount, to 4 decimals; null when the intake is 0.';
