-- elt.order_item_sales_changed_since
-- The rows of analytics.order_item_sales whose contribution may have changed since a watermark,
-- twice: now (side +1) and as they were at the watermark (side -1). Two kinds, as in
-- clean.order_items_changed_since:
-- - items changed themselves (an entry of staging.fct_order_item_changes after the watermark):
--   each side is the item's row on that side with its order's row on that side;
-- - the other items of orders that changed (a new status turns intake into revenue): the item
--   is the same on both sides, only its order differs, so it is read once, by order_id.
-- An order not changed is the same on both sides and is read once, by key. The facts hold an
-- item only with its order (a foreign key), so each side's join finds it.
-- Keys-driven index lookups only: it costs what changed, not the tables.

create or replace function elt.order_item_sales_changed_since_sql(since pg_snapshot)
returns text
language sql immutable as $fn$
    select format($q$
        with order_firsts as materialized (%1$s),
        item_firsts as materialized (%2$s),
        untouched_items as materialized (
            select i.order_item_id, i.order_id, i.product_id, i.quantity, i.amount
            from analytics.fct_order_item as i
            where i.order_id = any(array(select f.key from order_firsts as f))
              -- Anti-joined, not "<> all(array)", which compares every row with every key.
              and not exists (select from item_firsts as f where f.key = i.order_item_id)
        ),
        items_now as materialized (
            select (f.image_now).order_item_id, (f.image_now).order_id, (f.image_now).product_id,
                   (f.image_now).quantity, (f.image_now).amount
            from item_firsts as f
            where f.exists_now
            union all
            select u.order_item_id, u.order_id, u.product_id, u.quantity, u.amount from untouched_items as u
        ),
        items_then as materialized (
            select (f.image).order_item_id, (f.image).order_id, (f.image).product_id, (f.image).quantity,
                   (f.image).amount
            from item_firsts as f
            where f.existed
            union all
            select u.order_item_id, u.order_id, u.product_id, u.quantity, u.amount from untouched_items as u
        ),
        orders_untouched as materialized (
            select o.order_id, o.order_date, o.status
            from analytics.fct_order as o
            where o.order_id = any(array(select n.order_id from items_now as n
                                         union
                                         select t.order_id from items_then as t))
              and not exists (select from order_firsts as f where f.key = o.order_id)
        ),
        orders_now as (
            select (f.image_now).order_id, (f.image_now).order_date, (f.image_now).status
            from order_firsts as f
            where f.exists_now
            union all
            select u.order_id, u.order_date, u.status from orders_untouched as u
        ),
        orders_then as (
            select (f.image).order_id, (f.image).order_date, (f.image).status
            from order_firsts as f
            where f.existed
            union all
            select u.order_id, u.order_date, u.status from orders_untouched as u
        )
        select 1, i.order_item_id, i.order_id, i.product_id, o.order_date, elt.week_of(o.order_date), o.status,
               i.quantity, i.amount
        from items_now as i
        join orders_now as o on o.order_id = i.order_id
        union all
        select -1, i.order_item_id, i.order_id, i.product_id, o.order_date, elt.week_of(o.order_date), o.status,
               i.quantity, i.amount
        from items_then as i
        join orders_then as o on o.order_id = i.order_id
        $q$,
        staging.first_touches_sql(since, 'fct_order', 'order_id'),
        staging.first_touches_sql(since, 'fct_order_item', 'order_item_id'))
$fn$;

comment on function elt.order_item_sales_changed_since_sql(pg_snapshot) is
    'The statement elt.order_item_sales_changed_since runs for a watermark, as text: to EXPLAIN it.';

create or replace function elt.order_item_sales_changed_since(since pg_snapshot)
returns table (side integer, order_item_id bigint, order_id bigint, product_id bigint, order_date date,
               order_week date, status text, quantity integer, amount numeric)
language plpgsql stable
set max_parallel_workers_per_gather = 0
set jit = off
as $$
begin
    if not elt.facts_changed_since(since) then
        return;
    end if;
    return query execute elt.order_item_sales_changed_since_sql(since);
end
$$;

comment on function elt.order_item_sales_changed_since(pg_snapshot) is
    'Rows of analytics.order_item_sales affected since a watermark: now (side +1) and as of the watermark (side -1). The delta of the intake and revenue metrics.';
