-- analytics.freshness
-- How current the answers are, per aggregate. The answers themselves are never stale by the
-- refresh: they add every change replicated since it. So what an analyst wants is the time of
-- the last change the warehouse applied (replication lag decides freshness), and, for the
-- cost of a query, how many changes the delta has to read since the last refresh.

create or replace view analytics.freshness as
select
    w.aggregate,
    w.refreshed_at,
    (select count(*)
     from unnest(array['customers', 'products', 'orders', 'order_items']) as t (table_name)
     join staging.changelog as c
       on c.table_name = t.table_name
      and c.xact_id >= pg_snapshot_xmin(w.snapshot)
      and not pg_visible_in_snapshot(c.xact_id, w.snapshot)) as changes_since_refresh,
    (select c.applied_at from staging.changelog as c order by c.change_id desc limit 1) as last_change_applied_at
from elt.watermark as w;

comment on view analytics.freshness is
    'Per aggregate: when its historic part was last refreshed, how many changes its delta reads since, and when the warehouse last applied a change. Answers include every applied change whatever the refresh time.';
comment on column analytics.freshness.aggregate is
    'open_orders (also under top_dates), pending_items, or pending_orders (under top_customers).';
comment on column analytics.freshness.refreshed_at is 'Start of the last refresh (elt.refresh): the watermark.';
comment on column analytics.freshness.changes_since_refresh is
    'Changelog entries after the watermark: what a query of the answer reads besides the historic part.';
comment on column analytics.freshness.last_change_applied_at is
    'When the newest replicated change was applied here: the answers are current as of then.';
