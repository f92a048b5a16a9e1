-- elt.changes_ctes
-- The CTEs a fold statement reads its changes from: changes_<n> holds the rows of functions[n]
-- since the watermark. Each is read once per fold, however many aggregates sum it. The answers'
-- two changes functions share their orders' states when folded together
-- (clean.order_changes_ctes), so their statement is embedded, with the watermark written in as
-- each of them writes it for its own planning; any other is called with the watermark as $1.

create or replace function elt.changes_ctes(functions text[], since pg_snapshot)
returns text
language plpgsql immutable as $$
declare
    orders integer := array_position(functions, 'clean.orders_changed_since');
    items integer := array_position(functions, 'clean.order_items_changed_since');
    shared boolean := orders is not null and items is not null;
    ctes text[] := '{}';
begin
    if shared then
        ctes := ctes || clean.order_changes_ctes(since, 'changes_' || orders, 'changes_' || items);
    end if;
    for n in 1 .. coalesce(cardinality(functions), 0) loop
        continue when shared and n in (orders, items);
        ctes := ctes || format('changes_%s as materialized (select * from %s($1))', n, functions[n]);
    end loop;
    return array_to_string(ctes, ', ');
end
$$;

comment on function elt.changes_ctes(text[], pg_snapshot) is
    'SQL text of CTEs changes_1, changes_2, ...: the rows of each changes function since a watermark ($1), the answers'' two sharing their orders'' states. Used by elt.fold_aggregates.';
