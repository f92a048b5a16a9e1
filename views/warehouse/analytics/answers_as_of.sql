-- analytics.<answer>_as_of(at timestamptz)
-- "What was open yesterday at 17:00?": the four answers and the metrics as of any moment inside
-- the change logs' retention (elt.changelog_retention, shown by cli-app status), each its own
-- recompute over the rows of that moment, rebuilt from the change logs (elt.declare_as_of).
-- The answers read the replicated tables' logs; the metrics the facts' logs, so they say what
-- the metric said then (the facts follow the replicated tables by about a second).

call elt.declare_as_of('open_orders', 'clean.orders_as_of(at)');
call elt.declare_as_of('open_orders_by_date', 'clean.orders_as_of(at)');
call elt.declare_as_of('pending_orders', 'clean.orders_as_of(at)');
call elt.declare_as_of('pending_items', 'clean.order_lines_as_of(at)');
call elt.declare_as_of('revenue_daily', 'elt.order_item_sales_as_of(at)', 'facts');
call elt.declare_as_of('revenue_weekly', 'elt.order_item_sales_as_of(at)', 'facts');
call elt.declare_as_of('revenue_by_product', 'elt.order_item_sales_as_of(at)', 'facts');
call elt.declare_as_of('customers_new_returning', 'elt.customer_order_days_as_of(at)', 'facts');
call elt.declare_as_of('delivery_lag_histogram', 'elt.order_lead_times_as_of(at)', 'facts');
call elt.declare_as_of('status_funnel_totals', 'elt.order_status_stays_as_of(at)', 'facts');

-- The top 3s rank after summing, as their current answers do (ties to the earlier date, the
-- smaller customer id); a customer's name is the one it had then.
create or replace function analytics.top_dates_as_of(at timestamptz)
returns table (delivery_date date, open_orders bigint)
language sql stable as $$
    select d.delivery_date, d.open_orders
    from analytics.open_orders_by_date_as_of(at) as d
    order by d.open_orders desc, d.delivery_date asc nulls last
    limit 3
$$;

comment on function analytics.top_dates_as_of(timestamptz) is
    'analytics.top_dates as it was at a moment inside the change logs'' retention: the top 3 of open_orders_by_date_as_of. Exact.';

create or replace function analytics.top_customers_as_of(at timestamptz)
returns table (customer_id bigint, customer_name text, pending_orders bigint)
language sql stable as $$
    select t.customer_id, c.customer_name, t.pending_orders
    from (select p.customer_id, p.pending_orders
          from analytics.pending_orders_as_of(at) as p
          order by p.pending_orders desc, p.customer_id asc
          limit 3) as t
    left join clean.customers_as_of(at) as c on c.customer_id = t.customer_id
    order by t.pending_orders desc, t.customer_id asc
$$;

comment on function analytics.top_customers_as_of(timestamptz) is
    'analytics.top_customers as it was at a moment inside the change logs'' retention: the top 3 of pending_orders_as_of, with the names they had then. Exact.';
