-- analytics.daily_metric_values
-- Every daily metric's value per day, one row per metric and day, in one long table: what the
-- anomaly bands (analytics.daily_metric_bands) compare a day with. Each comes from a folded
-- metric, each read once: the cost of reading revenue_daily and customers_new_returning.

create or replace view analytics.daily_metric_values as
select m.metric, r.order_date as day, m.value
from analytics.revenue_daily as r
cross join lateral (values ('revenue_daily.intake_amount', r.intake_amount::numeric),
                           ('revenue_daily.revenue_amount', r.revenue_amount::numeric),
                           -- analytics.intake_revenue_dropoff_daily's, without reading revenue_daily twice.
                           ('intake_revenue_dropoff_daily.dropoff_amount', (r.intake_amount - r.revenue_amount)::numeric))
    as m (metric, value)
union all
select m.metric, c.order_date, m.value
from analytics.customers_new_returning as c
cross join lateral (values ('customers_new_returning.new_customers', c.new_customers::numeric),
                           ('customers_new_returning.returning_customers', c.returning_customers::numeric))
    as m (metric, value);

comment on view analytics.daily_metric_values is
    'The daily metrics in long form: one row per metric (view.column) and day with a row in that metric; a day without one counts as 0 in the anomaly bands.';
comment on column analytics.daily_metric_values.metric is 'The metric: its view and column, e.g. revenue_daily.revenue_amount.';
comment on column analytics.daily_metric_values.day is 'The day (order_date of the metric''s view).';
comment on column analytics.daily_metric_values.value is 'The metric''s value that day.';
