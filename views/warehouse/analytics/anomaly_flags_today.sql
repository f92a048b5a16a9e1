-- analytics.anomaly_flags_today
-- The daily metrics whose value today leaves their usual band (analytics.daily_metric_bands:
-- median of the 28 days before +/- 3 * 1.4826 * MAD). What cli-app status lists and the
-- dashboard shows. Today is still going: see daily_metric_bands on reading a low value.

create or replace view analytics.anomaly_flags_today as
select b.metric, b.day, b.value, b.median, b.band_low, b.band_high
from analytics.daily_metric_bands(current_date) as b
where b.is_anomaly;

comment on view analytics.anomaly_flags_today is
    'Daily metrics whose value today (so far) is outside the rolling 28-day median +/- 3 * 1.4826 * MAD band; empty when none is.';
comment on column analytics.anomaly_flags_today.metric is 'The metric: its view and column, e.g. revenue_daily.revenue_amount.';
comment on column analytics.anomaly_flags_today.day is 'Today (the warehouse''s current_date).';
comment on column analytics.anomaly_flags_today.value is 'The metric''s value today so far.';
comment on column analytics.anomaly_flags_today.median is 'Median of the 28 days before today (a day without a row counts as 0).';
comment on column analytics.anomaly_flags_today.band_low is 'median - 3 * 1.4826 * MAD of those days.';
comment on column analytics.anomaly_flags_today.band_high is 'median + 3 * 1.4826 * MAD of those days.';
