-- 0007_typed_deltas
-- The deltas now read the logs' typed old rows in one statement each (clean.order_states_sql,
-- staging.first_touches_sql) instead of passing jsonb maps of them between functions. The
-- functions of the jsonb path go, so that nothing stale is left for an analyst to call.

drop function if exists clean.changed_keys(pg_snapshot, text, text);
drop function if exists clean.affected_orders(jsonb, jsonb);
drop function if exists clean.appeared_or_disappeared(jsonb, text, text);
drop function if exists clean.existed(jsonb, bigint, boolean);
drop function if exists clean.orders_as_of(jsonb, jsonb, bigint[]);
drop function if exists clean.order_items_as_of(jsonb, jsonb, jsonb, jsonb, bigint[]);
