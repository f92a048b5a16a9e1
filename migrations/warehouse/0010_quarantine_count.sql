-- 0010_quarantine_count
-- The quarantine's size per rule, counted by a pg_cron job (elt.count_quarantine) instead of on
-- every `cli-app status`: counting clean.quarantine evaluates the rules over every order and
-- item, seconds at 1M orders, and status must stay cheap enough to poll every few seconds.

create table elt.quarantine_count (
    table_name text not null,
    rule       text not null,
    rows       bigint not null,
    primary key (table_name, rule)
);
comment on table elt.quarantine_count is
    'Rows held in clean.quarantine per table and rule, as of elt.quarantine_count_run.counted_at (pg_cron job count-quarantine).';
comment on column elt.quarantine_count.table_name is 'Table of operations the rows come from.';
comment on column elt.quarantine_count.rule is 'Rule they fail (see clean.quarantine).';
comment on column elt.quarantine_count.rows is 'How many rows fail it.';

create table elt.quarantine_count_run (
    counted_at timestamptz not null,
    seconds    float8 not null
);
comment on table elt.quarantine_count_run is 'The last count of elt.quarantine_count (one row): when, and how long it took.';
comment on column elt.quarantine_count_run.counted_at is 'Start of the counting transaction: the counts are as of then.';
comment on column elt.quarantine_count_run.seconds is 'How long the count took.';

revoke all on elt.quarantine_count, elt.quarantine_count_run from public;
