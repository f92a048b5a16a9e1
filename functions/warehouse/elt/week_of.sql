-- elt.week_of
-- The Monday of a day's ISO week: the weekly metrics' key, the same as analytics.dim_date's
-- week_start. Date arithmetic, not date_trunc, which goes through a timestamp with time zone and
-- so depends on the session's time zone.

create or replace function elt.week_of(day date)
returns date
language sql immutable parallel safe as $$
    select day - (extract(isodow from day)::integer - 1)
$$;

comment on function elt.week_of(date) is
    'Monday of the ISO week of a day (analytics.dim_date.week_start): the key of the weekly metrics.';
