-- elt.facts_changed_since
-- Whether the facts changed at all since a watermark: an entry of staging.fct_order_changes or
-- staging.fct_order_item_changes written by a transaction the watermark does not see. The star
-- tables advance once a second and the folds run ten times a second, so most folds, and most
-- reads of a metric, find nothing new in the facts: this probe (two index lookups, planned for
-- the watermark's own xmin, a fraction of a millisecond) lets the metrics' deltas skip the
-- planning and running of their whole statement (a few milliseconds even when empty).

create or replace function elt.facts_changed_since(since pg_snapshot)
returns boolean
language plpgsql stable as $$
declare
    changed boolean;
begin
    -- Literals, not parameters: a plan for an unknown xmin expects a third of the log and scans it.
    execute format($q$
        select exists (select from staging.fct_order_changes as c
                       where c.xact_id >= %1$L::xid8 and not pg_visible_in_snapshot(c.xact_id, %2$L::pg_snapshot))
            or exists (select from staging.fct_order_item_changes as c
                       where c.xact_id >= %1$L::xid8 and not pg_visible_in_snapshot(c.xact_id, %2$L::pg_snapshot))
        $q$, pg_snapshot_xmin(since), since) into changed;
    return changed;
end
$$;

comment on function elt.facts_changed_since(pg_snapshot) is
    'Whether staging.fct_order_changes or staging.fct_order_item_changes has an entry after a watermark: the metrics'' deltas skip their statement when not.';
