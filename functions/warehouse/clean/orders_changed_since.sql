-- clean.orders_changed_since
-- The clean orders whose contribution may have changed since a watermark, twice: as they are
-- now (side +1) and as they were at the watermark (side -1), both from clean.order_states_sql.
-- Summing side over any grouping of them gives the net change of a count of clean orders since
-- the watermark: the delta. An order the same on both sides (a touched updated_at, a new
-- customer name) is left out: its two rows would cancel.
-- Reads only the changelog entries after the watermark and the rows of the affected keys
-- (keys-driven index lookups), so it costs in proportion to the changes, not the tables.
-- Stable: it sees the snapshot of the query calling it, the one that reads the maintained part.

create or replace function clean.orders_changes_cte(name text default 'orders_changed')
returns text
language sql immutable as $fn$
    select format($q$
        %I (side, order_id, delivery_date, customer_id, status) as (
            with changed as (
                select s.*, s.known_now and s.rule_now is null as counts_now,
                       s.known_then and s.rule_then is null as counts_then
                from order_states as s
            )
            select 1, s.order_id, s.delivery_date_now, s.customer_id_now, s.status_now
            from changed as s
            where s.counts_now
              and (s.counts_then, s.delivery_date_then, s.customer_id_then, s.status_then)
                  is distinct from (true, s.delivery_date_now, s.customer_id_now, s.status_now)
            union all
            select -1, s.order_id, s.delivery_date_then, s.customer_id_then, s.status_then
            from changed as s
            where s.counts_then
              and (s.counts_now, s.delivery_date_now, s.customer_id_now, s.status_now)
                  is distinct from (true, s.delivery_date_then, s.customer_id_then, s.status_then)
        )$q$, name)
$fn$;

comment on function clean.orders_changes_cte(text) is
    'SQL text of one CTE, named name, of the rows of clean.orders_changed_since, read from a CTE order_states (clean.order_states_sql) that the statement defines before it.';

create or replace function clean.orders_changed_since_sql(since pg_snapshot)
returns text
language sql immutable as $$
    select format('with %s, %s select * from orders_changed', clean.order_states_sql(since), clean.orders_changes_cte())
$$;

comment on function clean.orders_changed_since_sql(pg_snapshot) is
    'The statement clean.orders_changed_since runs for a watermark, as text: to EXPLAIN it.';

create or replace function clean.orders_changed_since(since pg_snapshot)
returns table (side integer, order_id bigint, delivery_date date, customer_id bigint, status text)
language plpgsql stable
-- Keyed lookups, where parallel workers and JIT only cost.
set max_parallel_workers_per_gather = 0
set jit = off
as $$
begin
    return query execute clean.orders_changed_since_sql(since);
end
$$;

comment on function clean.orders_changed_since(pg_snapshot) is
    'Clean orders affected since a watermark: now (side +1) and as of the watermark (side -1). sum(side) per group is the delta of an order count.';
