-- elt.order_item_sales_as_of, elt.order_lead_times_as_of, elt.customer_order_days_as_of,
-- elt.order_status_stays_as_of
-- The metrics' sources (analytics.order_item_sales, order_lead_times, customer_order_days,
-- order_status_stays) as they were at a moment: the same queries over the facts as of then
-- (staging.fct_order_as_of, staging.fct_order_item_as_of), for the metrics as of a moment.

create or replace function elt.order_item_sales_as_of(at timestamptz)
returns table (order_item_id bigint, order_id bigint, product_id bigint, order_date date, order_week date,
               status text, quantity integer, amount numeric)
language sql stable as $$
    select i.order_item_id, i.order_id, i.product_id, o.order_date, elt.week_of(o.order_date), o.status,
           i.quantity, i.amount
    from staging.fct_order_item_as_of(at) as i
    join staging.fct_order_as_of(at) as o on o.order_id = i.order_id
$$;

comment on function elt.order_item_sales_as_of(timestamptz) is
    'analytics.order_item_sales as of a moment, from the facts'' change logs.';

create or replace function elt.order_lead_times_as_of(at timestamptz)
returns table (order_id bigint, order_week date, lead_time_days integer)
language sql stable as $$
    select o.order_id, elt.week_of(o.order_date), o.lead_time_days from staging.fct_order_as_of(at) as o
$$;

comment on function elt.order_lead_times_as_of(timestamptz) is
    'analytics.order_lead_times as of a moment, from the facts'' change logs.';

create or replace function elt.customer_order_days_as_of(at timestamptz)
returns table (customer_key text, order_date date, is_new boolean)
language sql stable as $$
    select d.customer_key, d.order_date, d.order_date = min(d.order_date) over (partition by d.customer_key)
    from (select distinct o.customer_key, o.order_date
          from staging.fct_order_as_of(at) as o
          where o.order_date is not null) as d
$$;

comment on function elt.customer_order_days_as_of(timestamptz) is
    'analytics.customer_order_days as of a moment, from the facts'' change logs.';

create or replace function elt.order_status_stays_as_of(at timestamptz)
returns table (order_id bigint, status text, reached_at timestamptz, left_at timestamptz)
language sql stable as $$
    select o.order_id, s.status, s.reached_at, s.left_at
    from staging.fct_order_as_of(at) as o
    cross join lateral elt.status_stays(o) as s
$$;

comment on function elt.order_status_stays_as_of(timestamptz) is
    'analytics.order_status_stays as of a moment, from the facts'' change logs.';
