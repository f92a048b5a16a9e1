-- analytics.freshness
-- How current the answers are and what they cost, per aggregate, cheaply enough to poll. The
-- answers are never stale by the maintenance: each adds every change replicated since its
-- watermark. So freshness is the time of the last change the warehouse applied (replication lag
-- decides it), and the fold lag says how much the answers read besides their maintained parts.

create or replace view analytics.freshness as
select
    w.aggregate,
    w.as_of as folded_at,
    case when p.changes_pending > 0 then now() - w.as_of else interval '0' end as fold_lag,
    p.changes_pending,
    w.rebuilt_at,
    staging.last_applied_at() as last_change_applied_at
from elt.watermark as w
join elt.aggregate as g on g.name = w.aggregate
-- In the ids of the logs the aggregate reads: the facts' for the metrics (elt.layers).
cross join lateral (select greatest(case split_part(g.source, '.', 1) when 'analytics' then staging.last_fact_change_id()
                                                                     else staging.last_change_id() end
                                    - w.changes_through, 0) as changes_pending) as p;

comment on view analytics.freshness is
    'Per aggregate: when its maintained part was last folded or rebuilt, how far behind that is, roughly how many changes its delta reads since, and when the warehouse last applied a change. The answers include every applied change whatever the fold lag.';
comment on column analytics.freshness.aggregate is 'Aggregate (elt.aggregate): open_orders, open_orders_by_date (under top_dates), pending_items, pending_orders (under top_customers).';
comment on column analytics.freshness.folded_at is 'When the watermark last moved (a fold about every second, or a rebuild).';
comment on column analytics.freshness.fold_lag is
    'How long changes have waited to be folded: the age of the watermark while changes are pending, else 0. Under a second while elt.maintain runs.';
comment on column analytics.freshness.changes_pending is
    'Change log ids drawn since the watermark, in the logs the aggregate reads (the facts'' for the metrics): roughly the changes a query of the answer reads besides the maintained part.';
comment on column analytics.freshness.rebuilt_at is 'When the last full rebuild (elt.rebuild, nightly) re-anchored the maintained part.';
comment on column analytics.freshness.last_change_applied_at is
    'When the newest replicated change was applied here: the answers are current as of then.';
