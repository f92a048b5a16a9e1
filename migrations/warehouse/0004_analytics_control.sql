-- 0004_analytics_control
-- What the analytics layer keeps besides its views: the watermark of each aggregate's historic
-- part, the refresh log, and the indexes the deltas need to stay proportional to the changes.

create table elt.watermark (
    aggregate    text primary key,
    snapshot     pg_snapshot not null,
    refreshed_at timestamptz not null
);
comment on table elt.watermark is
    'One row per aggregate: the snapshot its analytics.<aggregate>_hist was built in. Written in the same transaction as the refresh, so the two always match.';
comment on column elt.watermark.aggregate is 'Aggregate name: analytics.<aggregate>_hist holds its historic part.';
comment on column elt.watermark.snapshot is
    'Snapshot of the refresh: changelog entries whose xact_id is not visible in it came after the watermark (see analytics.<aggregate>_delta).';
comment on column elt.watermark.refreshed_at is 'Start of the refresh transaction: the historic part is the state as of then.';

create table elt.refresh_log (
    refresh_id  bigint generated always as identity primary key,
    aggregate   text not null,
    started_at  timestamptz not null,
    finished_at timestamptz not null,
    hist_rows   bigint not null,
    watermark   pg_snapshot not null
);
create index refresh_log_finished_at_idx on elt.refresh_log (finished_at);
comment on table elt.refresh_log is 'Every refresh of an aggregate''s historic part; elt.purge keeps it bounded.';
comment on column elt.refresh_log.refresh_id is 'Increasing id.';
comment on column elt.refresh_log.aggregate is 'Aggregate refreshed (see elt.watermark).';
comment on column elt.refresh_log.started_at is 'When the refresh started (wall clock).';
comment on column elt.refresh_log.finished_at is 'When it finished, just before commit (wall clock).';
comment on column elt.refresh_log.hist_rows is 'Rows in the historic part after the refresh.';
comment on column elt.refresh_log.watermark is 'The new watermark: the snapshot the historic part was built in.';

-- The deltas find a table's entries after a watermark by the writing transaction: a range scan
-- from the watermark's xmin, whatever order the ids were drawn in.
create index changelog_table_name_xact_id_idx on staging.changelog (table_name, xact_id);
-- A product that appears or disappears changes the validity of its items.
create index order_items_product_id_idx on operations.order_items (product_id);
