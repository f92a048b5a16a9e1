-- elt.extend_dim_date
-- Make analytics.dim_date cover first..last as well as what it covered before, without a hole:
-- a report by day then shows the days nothing happened, and every date a fact uses is there.
-- Nothing is written when the range is covered already, the usual case.

create or replace function elt.extend_dim_date(first date, last date)
returns bigint
language plpgsql as $$
declare
    covered_from date := (select min(d.date_day) from analytics.dim_date as d);
    covered_to date := (select max(d.date_day) from analytics.dim_date as d);
    written bigint;
begin
    if first is null or last is null or (first >= covered_from and last <= covered_to) then
        return 0;
    end if;
    insert into analytics.dim_date (date_day, year, quarter, month, month_name, day_of_month, iso_year,
                                    iso_week, week_start, day_of_week, day_name, is_weekend)
    select day, extract(year from day), extract(quarter from day), extract(month from day),
           to_char(day, 'FMMonth'), extract(day from day), extract(isoyear from day), extract(week from day),
           date_trunc('week', day)::date, extract(isodow from day), to_char(day, 'FMDay'),
           extract(isodow from day) in (6, 7)
    from generate_series(least(first, covered_from), greatest(last, covered_to), interval '1 day') as g (at),
         lateral (select g.at::date as day) as d
    on conflict (date_day) do nothing;
    get diagnostics written = row_count;
    return written;
end
$$;

comment on function elt.extend_dim_date(date, date) is
    'Add the days missing for analytics.dim_date to cover first..last and its previous range without gaps; returns the days added.';
