-- analytics.daily_metric_values
-- Every daily metric's value per day, one row per metric and day, in one long table: what the
-- anomaly bands (analytics.daily_metric_bands) compare a day with. Each comes from a folded
-- metric, so reading a month of them costs a few index lookups.

create or replace view analytics.daily_metric_values as
select 'revenue_daily.intake_amount' as metric, r.order_date as day, r.intake_amount::numeric as value
from analytics.revenue_daily as r
union all
select 'revenue_daily.revenue_amount', r.order_date, r.revenue_amount::numeric
from analytics.revenue_daily as r
union all
select 'intake_revenue_dropoff_daily.dropoff_amount', d.order_date, d.dropoff_amount::numeric
from analytics.intake_revenue_dropoff_daily as d
union all
select 'customers_new_returning.new_customers', c.order_date, c.new_customers::numeric
from analytics.customers_new_returning as c
union all
select 'customers_new_returning.returning_customers', c.order_date, c.returning_customers::numeric
from analytics.customers_new_returning as c;

comment on view analytics.daily_metric_values is
    'The daily metrics in long form: one row per metric (view.column) and day with a row in that metric; a day without one counts as 0 in the anomaly bands.';
comment on column analytics.daily_metric_values.metric is 'The metric: its view and column, e.g. revenue_daily.revenue_amount.';
comment on column analytics.daily_metric_values.day is 'The day (order_date of the metric''s view).';
comment on column analytics.daily_metric_values.value is 'The metric''s value that day.';
