-- clean.order_milestones_recompute
-- The specification of clean.order_milestones: from every entry of the orders log, by the rule
-- in clean.order_milestones_sql. Equal to the table while the log reaches back to the first
-- change (elt.purge drops entries older than a week; the table keeps what they said).

do $$
begin
    execute format('create or replace view clean.order_milestones_recompute as %s',
                   clean.order_milestones_sql(null, 'recompute'));
end
$$;

comment on view clean.order_milestones_recompute is
    'clean.order_milestones recomputed from the whole orders log (slow; its specification, equal to it while the log is complete).';
comment on column clean.order_milestones_recompute.order_id is 'Order id from the source.';
comment on column clean.order_milestones_recompute.placed_at is 'applied_at of the entry that created the order.';
comment on column clean.order_milestones_recompute.pending_at is 'First time the order was PENDING since then; null if never.';
comment on column clean.order_milestones_recompute.processing_at is 'First time the order was PROCESSING; null if never.';
comment on column clean.order_milestones_recompute.reprocessing_at is 'First time the order was REPROCESSING; null if never.';
comment on column clean.order_milestones_recompute.completed_at is 'First time the order was COMPLETED; null if never.';
