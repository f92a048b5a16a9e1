-- clean.order_changes_ctes
-- Both clean deltas of the answers in one list of CTEs: the order items' (named items_name) and
-- the orders' (orders_name), reading one computation of the orders' states. A fold of the four
-- answers needs both, and computed apart the orders' states were a third of its time (10k
-- changed orders at 10M: about 75 ms each time, of a fold of 0.49 s). The items' order_states
-- holds every changed order and the orders of the touched items besides; those are the same on
-- both sides, so the orders' changes leave them out.

create or replace function clean.order_changes_ctes(since pg_snapshot, orders_name text, items_name text)
returns text
language sql immutable as $$
    select format('%s, %s', clean.order_items_changes_ctes(since, items_name), clean.orders_changes_cte(orders_name))
$$;

comment on function clean.order_changes_ctes(pg_snapshot, text, text) is
    'SQL text of CTEs ending in orders_name (the rows of clean.orders_changed_since) and items_name (those of clean.order_items_changed_since) for a watermark, sharing one computation of the orders'' states. Used by elt.changes_ctes for a fold.';
