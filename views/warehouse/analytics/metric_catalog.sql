-- analytics.metric_catalog
-- The business metrics, one row per metric view: what the HTTP API (GET /analytics/metrics/<metric>)
-- and the dashboard list and serve. Add a row here when a metric view is added.

create or replace view analytics.metric_catalog as
select m.metric, m.view_name, m.grain, m.description
from (values
    ('revenue_daily', 'analytics.revenue_daily', 'day',
     'Order intake (amount of all orders) and revenue (amount of COMPLETED orders) per day the orders were placed.'),
    ('revenue_weekly', 'analytics.revenue_weekly', 'week',
     'Order intake and revenue per ISO week the orders were placed in (order_week is its Monday).'),
    ('revenue_by_product', 'analytics.revenue_by_product', 'product',
     'Order intake and revenue per product, over all time.'),
    ('intake_revenue_dropoff_daily', 'analytics.intake_revenue_dropoff_daily', 'day',
     'Drop-off from intake to revenue per day: amount ordered not (yet) completed, and its share of the intake.'),
    ('intake_revenue_dropoff_weekly', 'analytics.intake_revenue_dropoff_weekly', 'week',
     'Drop-off from intake to revenue per ISO week.'),
    ('delivery_lag_weekly', 'analytics.delivery_lag_weekly', 'week',
     'Lag from order to promised delivery per ISO week of ordering: orders, average and p90 in days (both folded, exact).'),
    ('customers_new_returning', 'analytics.customers_new_returning', 'day',
     'Customers who ordered per day: new (first day they ordered) and returning.'),
    ('status_funnel', 'analytics.status_funnel', 'status',
     'Orders that reached each status, still there, moved on, and their average stay.')
) as m (metric, view_name, grain, description);

comment on view analytics.metric_catalog is
    'The business metrics: one row per metric view (served by GET /analytics/metrics/<metric> and the dashboard). Every one is exact at every moment and read from maintained parts.';
comment on column analytics.metric_catalog.metric is 'Name of the metric (the view''s name in schema analytics).';
comment on column analytics.metric_catalog.view_name is 'The view to query, schema-qualified.';
comment on column analytics.metric_catalog.grain is 'What one row stands for: day, week, product or status.';
comment on column analytics.metric_catalog.description is 'What the metric says.';
