-- elt.format_each
-- format(pattern, item) for each item, in order, joined by separator: the lists of columns,
-- sums and assignments the aggregates' SQL is made of (elt.aggregate_sql).

create or replace function elt.format_each(items text[], pattern text, separator text default ', ')
returns text
language sql immutable as $$
    select string_agg(format(pattern, u.item), separator order by u.n)
    from unnest(items) with ordinality as u (item, n)
$$;

comment on function elt.format_each(text[], text, text) is
    'format(pattern, item) for each item in order, joined by separator (default '', '').';
