-- The warehouse's layers: what each schema holds now. Migration 0001 created the schemas with
-- comments of what was planned; these say what exists, re-applied on every deploy so they keep
-- up with the objects (tests/test_comments.py checks that every object a comment names exists).

comment on schema operations is
    'Replicated copies of the source tables, same names (replication matches by name). Written only by the subscription: a trigger refuses every other writer.';
comment on schema staging is
    'The change logs: staging.customers_changes, products_changes, orders_changes and order_items_changes keep every applied change with its old and new row; staging.changelog shows the four as one list, rows as jsonb. Written by triggers under the apply worker. ELT only.';
comment on schema clean is
    'Typed, deduplicated current rows (views over operations), the orders'' status milestones (clean.order_milestones), and clean.quarantine for rows that fail a rule. ELT only.';
comment on schema analytics is
    'What analysts query: the answers (open_orders, top_dates, pending_items, top_customers) and the parts that keep each exact (maintained, delta, hist, recompute), the star schema (dim_customer, dim_product, dim_date, fct_order, fct_order_item), and analytics.freshness.';
comment on schema elt is
    'Control room: aggregate declarations (elt.aggregate) and watermarks, the fold, rebuild and star logs, quarantine counts, the heartbeat, the register of personal columns, and the procedures that maintain it all. ELT only.';
