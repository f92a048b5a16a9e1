-- elt.order_facts_changed_since
-- The order facts (analytics.fct_order) changed since a watermark, twice: as they are now
-- (side +1) and as they were at the watermark (side -1), from the facts' own log
-- (staging.fct_order_changes, staging.first_touches_sql). The base of the deltas of the metrics
-- that read one order at a time: delivery lag and status funnel.
-- Stable: it sees the snapshot of the query calling it, the one that reads the maintained part.

create or replace function elt.order_facts_changed_since(since pg_snapshot)
returns table (side integer, fact analytics.fct_order)
language plpgsql stable
-- Keyed lookups, where parallel workers and JIT only cost.
set max_parallel_workers_per_gather = 0
set jit = off
as $$
begin
    if not elt.facts_changed_since(since) then
        return;
    end if;
    return query execute format($q$
        with order_firsts as materialized (%s)
        select 1, f.image_now from order_firsts as f where f.exists_now
        union all
        select -1, f.image from order_firsts as f where f.existed
        $q$, staging.first_touches_sql(since, 'fct_order', 'order_id'));
end
$$;

comment on function elt.order_facts_changed_since(pg_snapshot) is
    'Order facts changed since a watermark: now (side +1) and as of the watermark (side -1), from staging.fct_order_changes.';

create or replace function elt.order_lead_times_changed_since(since pg_snapshot)
returns table (side integer, order_id bigint, order_week date, lead_time_days integer)
language sql stable as $$
    select c.side, (c.fact).order_id, elt.week_of((c.fact).order_date), (c.fact).lead_time_days
    from elt.order_facts_changed_since(since) as c
$$;

comment on function elt.order_lead_times_changed_since(pg_snapshot) is
    'Rows of analytics.order_lead_times changed since a watermark: now (side +1) and as of it (side -1). The delta of analytics.delivery_lag_histogram.';

create or replace function elt.order_status_stays_changed_since(since pg_snapshot)
returns table (side integer, order_id bigint, status text, reached_at timestamptz, left_at timestamptz)
language sql stable as $$
    select c.side, (c.fact).order_id, s.status, s.reached_at, s.left_at
    from elt.order_facts_changed_since(since) as c
    cross join lateral elt.status_stays(c.fact) as s
$$;

comment on function elt.order_status_stays_changed_since(pg_snapshot) is
    'Rows of analytics.order_status_stays changed since a watermark: now (side +1) and as of it (side -1). The delta of analytics.status_funnel_totals.';
