-- analytics.daily_metric_bands
-- Each daily metric on a day beside its usual band: the median of the 28 days before it, plus or
-- minus k times the median absolute deviation (MAD) of those days, scaled by 1.4826 so that it
-- estimates a standard deviation; k = 3. Median and MAD, not mean and standard deviation: one
-- extraordinary day (a sale, an outage) in the window does not widen the band for the next four
-- weeks. A day with no row in a metric counts as 0 there (no order is a value, and a telling one).
-- A metric is judged only once it has 28 days of history before the day: a young shop has no
-- "usual" yet. The day itself may be incomplete (today): its value so far is compared with whole
-- days, so a low flag early in the day says little; a high one says a lot.

create or replace function analytics.daily_metric_bands(on_day date)
returns table (metric text, day date, value numeric, median numeric, band_low numeric, band_high numeric,
               is_anomaly boolean)
language sql stable as $$
    with k as (select 3::numeric as k, 1.4826::numeric as scale),
    -- Every day of every daily metric, read once (each from a folded metric: a few hundred rows).
    daily as materialized (
        select v.metric, v.day, v.value from analytics.daily_metric_values as v
    ),
    recent as (
        select d.metric, d.day, d.value from daily as d where d.day between on_day - 28 and on_day
    ),
    -- Judged only with 28 days of history: the metric has a day at or before the window's start.
    metrics as (
        select d.metric from daily as d group by d.metric having min(d.day) <= on_day - 28
    ),
    days as (
        select m.metric, d.day::date as day, coalesce(r.value, 0) as value
        from metrics as m
        cross join generate_series(on_day - 28, on_day, interval '1 day') as d (day)
        left join recent as r on r.metric = m.metric and r.day = d.day::date
    ),
    medians as (
        select d.metric, percentile_cont(0.5) within group (order by d.value)::numeric as median
        from days as d
        where d.day < on_day
        group by d.metric
    ),
    deviations as (
        select d.metric, percentile_cont(0.5) within group (order by abs(d.value - m.median))::numeric as mad
        from days as d
        join medians as m on m.metric = d.metric
        where d.day < on_day
        group by d.metric
    )
    select t.metric, t.day, t.value, m.median,
           m.median - k.k * k.scale * v.mad, m.median + k.k * k.scale * v.mad,
           t.value not between m.median - k.k * k.scale * v.mad and m.median + k.k * k.scale * v.mad
    from days as t
    join medians as m on m.metric = t.metric
    join deviations as v on v.metric = t.metric
    cross join k
    where t.day = on_day
    order by t.metric
$$;

comment on function analytics.daily_metric_bands(date) is
    'Each daily metric on a day with its band: median of the 28 days before it +/- k * 1.4826 * MAD (k = 3), and whether the day leaves the band. Only metrics with 28 days of history before the day.';
