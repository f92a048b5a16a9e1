-- clean.order_items_changed_since
-- The clean order items whose contribution may have changed since a watermark, with their
-- order's status, twice: now (side +1) and as they were at the watermark (side -1).
-- Two kinds, so that the common case stays cheap:
-- - touched items (changed themselves, or their product appeared or disappeared): each side is
--   the item's row on that side, judged with its order's state on that side
--   (clean.order_states_sql) and its product's existence on that side;
-- - the other items of affected orders whose state changed (known, clean, status): the item row
--   is the same then and now, only its order differs, so it is read once, by order_id, and
--   paired with the order's state on each side. Orders whose state did not change are skipped:
--   their items' contributions cancel. A new price costs nothing: only a product's existence
--   counts.
-- An item that left an affected order or a product changed itself, so it is touched.
-- One statement, keys-driven index lookups only (see clean.order_states_sql). Its CTEs are
-- clean.order_items_changes_ctes, which a fold embeds beside the orders' changes
-- (clean.order_changes_ctes) so that both read one computation of the orders' states.

create or replace function clean.order_items_changes_ctes(since pg_snapshot, name text default 'order_items_changed')
returns text
language sql immutable as $fn$
    select format($q$
        item_firsts as materialized (%1$s),
        product_firsts as materialized (%2$s),
        products_flipped as materialized (
            select f.key from product_firsts as f where f.existed <> f.exists_now
        ),
        -- A changed item's current row is its log's newest image; only the items of a product
        -- that appeared or disappeared are looked up.
        touched_now as materialized (
            select (f.image_now).order_item_id, (f.image_now).order_id, (f.image_now).product_id,
                   (f.image_now).quanity
            from item_firsts as f
            where f.exists_now
            union all
            select i.order_item_id, i.order_id, i.product_id, i.quanity
            from operations.order_items as i
            where i.product_id = any(array(select f.key from products_flipped as f))
              and not exists (select from item_firsts as f where f.key = i.order_item_id)
        ),
        touched_then as materialized (
            select (f.image).order_item_id, (f.image).order_id, (f.image).product_id, (f.image).quanity
            from item_firsts as f
            where f.existed
            union all
            select n.order_item_id, n.order_id, n.product_id, n.quanity
            from touched_now as n
            where not exists (select from item_firsts as f where f.key = n.order_item_id)
        ),
        -- The products not changed since, which exist now exactly when they did then.
        products_unchanged as materialized (
            select p.product_id
            from operations.products as p
            where p.product_id = any(array(select n.product_id from touched_now as n
                                           union
                                           select t.product_id from touched_then as t
                                           except
                                           select f.key from product_firsts as f))
        ),
        %3$s,
        changed_orders as materialized (
            select s.order_id, s.known_now, s.rule_now is null as clean_now, s.status_now,
                   s.known_then, s.rule_then is null as clean_then, s.status_then
            from order_states as s
            where (s.known_now, s.rule_now is null, s.status_now)
                  is distinct from (s.known_then, s.rule_then is null, s.status_then)
        ),
        untouched_items as materialized (
            select i.order_item_id, i.order_id, i.product_id, i.quanity
            from operations.order_items as i
            where i.order_id = any(array(select o.order_id from changed_orders as o))
              and not exists (select from touched_now as t where t.order_item_id = i.order_item_id)
              and not exists (select from item_firsts as f where f.key = i.order_item_id)
        ),
        -- Their products did not appear or disappear since (else the items would be touched), so
        -- they exist now as they did then: looked up by key, where an EXISTS per item was
        -- planned as a scan of every product (4 ms a fold at 10M orders, whatever its size);
        -- but when there are more items than a tenth of the products, every product is read once
        -- and kept if it is among them, a hashed set ("is true" keeps the planner from turning it
        -- into a join it would plan for its estimate of a few items): 10k changed orders at 10M
        -- looked up 31.7k products in 20 ms. Only one of the two branches runs.
        many_untouched as materialized (
            -- A table never analyzed has no size (reltuples -1): looked up by key, then.
            select coalesce(count(*) * 10 > (select nullif(c.reltuples, -1) from pg_class as c
                                             where c.oid = 'operations.products'::regclass), false) as many
            from untouched_items
        ),
        untouched_products as materialized (
            select p.product_id
            from operations.products as p
            where not (select m.many from many_untouched as m)
              and p.product_id = any(array(select distinct u.product_id from untouched_items as u))
            union all
            select p.product_id
            from operations.products as p
            where (select m.many from many_untouched as m)
              and (p.product_id in (select u.product_id from untouched_items as u)) is true
        ),
        %4$I (side, order_item_id, product_id, quantity, order_status) as (
        select 1, n.order_item_id, n.product_id, n.quanity, s.status_now
        from touched_now as n
        left join order_states as s on s.order_id = n.order_id
        -- A product changed since existed, and exists, as its log says.
        left join product_firsts as pn on pn.key = n.product_id
        where clean.order_item_rule(n.quanity,
                                    coalesce(pn.exists_now, n.product_id in (select p.product_id from products_unchanged as p)),
                                    s.known_now, s.rule_now is null) is null
        union all
        select -1, t.order_item_id, t.product_id, t.quanity, s.status_then
        from touched_then as t
        left join order_states as s on s.order_id = t.order_id
        left join product_firsts as pt on pt.key = t.product_id
        where clean.order_item_rule(t.quanity,
                                    coalesce(pt.existed, t.product_id in (select p.product_id from products_unchanged as p)),
                                    s.known_then, s.rule_then is null) is null
        union all
        select s.side, u.order_item_id, u.product_id, u.quanity, s.status
        from untouched_items as u
        join changed_orders as o on o.order_id = u.order_id
        cross join lateral (values (1, o.known_now, o.clean_now, o.status_now),
                                   (-1, o.known_then, o.clean_then, o.status_then)) as s (side, known, clean, status)
        where clean.order_item_rule(u.quanity, u.product_id in (select p.product_id from untouched_products as p),
                                    s.known, s.clean) is null
        )$q$,
        staging.first_touches_sql(since, 'order_items', 'order_item_id'),
        staging.first_touches_sql(since, 'products', 'product_id'),
        clean.order_states_sql(since, 'select n.order_id from touched_now as n union select t.order_id from touched_then as t'),
        name)
$fn$;

comment on function clean.order_items_changes_ctes(pg_snapshot, text) is
    'SQL text of CTEs ending in one named name: the rows of clean.order_items_changed_since for a watermark. Its order_states CTE holds every changed order, so the orders'' changes can be read from it too (clean.order_changes_ctes).';

create or replace function clean.order_items_changed_since_sql(since pg_snapshot)
returns text
language sql immutable as $$
    select format('with %s select * from order_items_changed', clean.order_items_changes_ctes(since))
$$;

comment on function clean.order_items_changed_since_sql(pg_snapshot) is
    'The statement clean.order_items_changed_since runs for a watermark, as text: to EXPLAIN it.';

create or replace function clean.order_items_changed_since(since pg_snapshot)
returns table (side integer, order_item_id bigint, product_id bigint, quantity integer, order_status text)
language plpgsql stable
-- Keyed lookups, where parallel workers and JIT only cost.
set max_parallel_workers_per_gather = 0
set jit = off
as $$
begin
    return query execute clean.order_items_changed_since_sql(since);
end
$$;

comment on function clean.order_items_changed_since(pg_snapshot) is
    'Clean order items affected since a watermark, with their order''s status: now (side +1) and as of the watermark (side -1).';
