-- 0006_folded_aggregates
-- Aggregates that fold: each is declared once (a row of elt.aggregate, written by
-- elt.declare_aggregate from views/warehouse/analytics/<name>.sql), and its maintained part,
-- analytics.<name>_maintained, advances about every second by the net change since its
-- watermark (elt.fold), while a full rebuild (elt.rebuild) re-anchors it nightly or on demand.

create table elt.aggregate (
    name             text primary key,
    comment          text not null,
    source           text not null,
    changes          text not null,
    keys             text[] not null,
    key_comments     text[] not null,
    measures         text[] not null,
    sums             text[] not null,
    measure_comments text[] not null,
    filter           text not null,
    ranked           boolean not null,
    rebuild_above    bigint not null,
    check (cardinality(keys) = cardinality(key_comments)),
    check (cardinality(measures) = cardinality(sums) and cardinality(sums) = cardinality(measure_comments)),
    check (not ranked or cardinality(keys) = 1)
);
comment on table elt.aggregate is
    'One row per declared aggregate (elt.declare_aggregate): what it sums, by which keys, over which clean rows. Its parts in schema analytics are derived from this row.';
comment on column elt.aggregate.name is 'Aggregate name: analytics.<name> is the answer, analytics.<name>_maintained its maintained part.';
comment on column elt.aggregate.comment is 'What a row of the answer is, for COMMENT ON VIEW analytics.<name>.';
comment on column elt.aggregate.source is 'Clean relation the recompute sums over (clean.orders, clean.order_lines).';
comment on column elt.aggregate.changes is 'Function (pg_snapshot) returning the source rows affected since a watermark, side +1 now and -1 then.';
comment on column elt.aggregate.keys is 'Grouping columns of the source, in order.';
comment on column elt.aggregate.key_comments is 'Comment of each key column.';
comment on column elt.aggregate.measures is 'Names of the measures, in order.';
comment on column elt.aggregate.sums is 'SQL expression over a source row summed by each measure (1 counts rows).';
comment on column elt.aggregate.measure_comments is 'Comment of each measure column.';
comment on column elt.aggregate.filter is 'SQL condition on a source row: only rows that pass it count.';
comment on column elt.aggregate.ranked is 'Whether analytics.<name>_top(k) serves the k keys with the largest first measure from an index.';
comment on column elt.aggregate.rebuild_above is
    'Changes pending above which elt.maintain rebuilds rather than folds whatever the cost estimate, so no single fold runs long (folds grow faster than linearly past ~10k changes; see bench/README.md).';

-- The watermark is now the maintained part's: moved by every fold and every rebuild.
alter table elt.watermark rename column refreshed_at to as_of;
alter table elt.watermark add column changes_through bigint;
alter table elt.watermark add column rebuilt_at timestamptz;
comment on table elt.watermark is
    'One row per aggregate: the snapshot its maintained part (analytics.<aggregate>_maintained) is exact as of. Written in the same transaction as the fold or rebuild that moves it, so the two always match.';
comment on column elt.watermark.aggregate is 'Aggregate name (elt.aggregate).';
comment on column elt.watermark.snapshot is
    'Snapshot of the last fold or rebuild: changelog entries whose xact_id is not visible in it come after the watermark (see analytics.<aggregate>_delta).';
comment on column elt.watermark.as_of is
    'When the maintained part was last known to be the answer: the start of the fold or rebuild that moved the watermark, or a later maintenance round that found no new change.';
comment on column elt.watermark.changes_through is
    'Newest changelog id drawn when the watermark moved (staging.last_change_id()): what is pending is roughly the ids drawn since.';
comment on column elt.watermark.rebuilt_at is 'Start of the last full rebuild (elt.rebuild); null before the first.';

alter table elt.refresh_log rename to rebuild_log;
alter table elt.rebuild_log rename column refresh_id to rebuild_id;
alter table elt.rebuild_log add column rows_written bigint;
alter index elt.refresh_log_finished_at_idx rename to rebuild_log_finished_at_idx;
comment on table elt.rebuild_log is 'Every full rebuild of an aggregate (elt.rebuild); elt.purge keeps it bounded.';
comment on column elt.rebuild_log.rebuild_id is 'Increasing id.';
comment on column elt.rebuild_log.aggregate is 'Aggregate rebuilt (elt.aggregate).';
comment on column elt.rebuild_log.started_at is 'When the rebuild started (wall clock).';
comment on column elt.rebuild_log.finished_at is 'When it finished, just before commit (wall clock).';
comment on column elt.rebuild_log.hist_rows is 'Rows of analytics.<aggregate>_hist, the recompute the rebuild took.';
comment on column elt.rebuild_log.watermark is 'The new watermark: the snapshot the rebuild read.';
comment on column elt.rebuild_log.rows_written is 'Rows of the maintained part the re-anchoring inserted, changed or removed.';

create table elt.fold_log (
    fold_id      bigint generated always as identity primary key,
    started_at   timestamptz not null,
    finished_at  timestamptz not null,
    aggregates   text[] not null,
    changes      bigint not null,
    rows_written bigint not null,
    error        text
);
create index fold_log_finished_at_idx on elt.fold_log (finished_at);
comment on table elt.fold_log is
    'Every fold (elt.fold, elt.maintain): one row per transaction, failures included. elt.purge keeps a day of it.';
comment on column elt.fold_log.fold_id is 'Increasing id.';
comment on column elt.fold_log.started_at is 'When the fold started (wall clock).';
comment on column elt.fold_log.finished_at is 'When it finished or failed (wall clock).';
comment on column elt.fold_log.aggregates is 'Aggregates folded (or rebuilt by elt.maintain, which logs those in elt.rebuild_log too).';
comment on column elt.fold_log.changes is 'Changelog ids drawn between the old watermarks and this fold: roughly the changes folded in.';
comment on column elt.fold_log.rows_written is 'Rows of the maintained parts inserted, changed or removed.';
comment on column elt.fold_log.error is 'Why the fold failed, when it did (nothing was changed then); null on success.';

-- The refresh procedures are now elt.rebuild and elt.rebuild_all; pg_cron jobs that call the old
-- names are unscheduled by elt.schedule_maintenance at the next deploy.
drop procedure if exists elt.refresh(text);
drop procedure if exists elt.refresh_all();
drop function if exists elt.refresh_aggregate(text);
drop procedure if exists elt.schedule_refreshes(integer);
-- Its columns changed (views/warehouse/analytics/freshness.sql creates it again).
drop view if exists analytics.freshness;

revoke all on elt.aggregate, elt.fold_log from public;
