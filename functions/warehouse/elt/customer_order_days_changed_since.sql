-- elt.customer_order_days_changed_since
-- The rows of analytics.customer_order_days of every customer whose orders changed since a
-- watermark, twice: now (side +1) and at the watermark (side -1). Whether a day is a customer's
-- first depends on all its orders, so the unit of change is the customer: its order facts now
-- (by the customer_key index) and then (the same, with the changed orders as they were).

create or replace function elt.customer_order_days_changed_since(since pg_snapshot)
returns table (side integer, customer_key text, order_date date, is_new boolean)
language plpgsql stable
set max_parallel_workers_per_gather = 0
set jit = off
as $$
begin
    if not elt.facts_changed_since(since) then
        return;
    end if;
    return query execute format($q$
        with order_firsts as materialized (%s),
        customers as materialized (
            select (f.image).customer_key from order_firsts as f where f.existed
            union
            select (f.image_now).customer_key from order_firsts as f where f.exists_now
        ),
        orders_now as materialized (
            select o.order_id, o.customer_key, o.order_date
            from analytics.fct_order as o
            where o.customer_key = any(array(select c.customer_key from customers as c))
        ),
        orders_then as (
            select n.customer_key, n.order_date
            from orders_now as n
            where not exists (select from order_firsts as f where f.key = n.order_id)
            union all
            select (f.image).customer_key, (f.image).order_date from order_firsts as f where f.existed
        ),
        days_now as (
            select distinct n.customer_key, n.order_date from orders_now as n where n.order_date is not null
        ),
        days_then as (
            select distinct t.customer_key, t.order_date from orders_then as t where t.order_date is not null
        )
        select 1, d.customer_key, d.order_date, d.order_date = min(d.order_date) over (partition by d.customer_key)
        from days_now as d
        union all
        select -1, d.customer_key, d.order_date, d.order_date = min(d.order_date) over (partition by d.customer_key)
        from days_then as d
        $q$, staging.first_touches_sql(since, 'fct_order', 'order_id'));
end
$$;

comment on function elt.customer_order_days_changed_since(pg_snapshot) is
    'Rows of analytics.customer_order_days of the customers whose order facts changed since a watermark: now (side +1) and as of it (side -1). The delta of analytics.customers_new_returning.';
