-- 0003_changelog
-- Every change the subscription applies to operations.*, with the row before and after.
-- Append-only: the analytics deltas read it, pruning removes what no watermark needs.

create table staging.changelog (
    change_id    bigint generated always as identity primary key,
    table_name   text not null,
    operation    text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
    old_row      jsonb,
    new_row      jsonb,
    -- Start of the applying warehouse transaction: the row became visible at its commit.
    applied_at   timestamptz not null default now(),
    -- The writing transaction, so a watermark can be a snapshot rather than an id when
    -- several writers (the initial table-sync workers) commit out of id order.
    xact_id      xid8 not null default pg_current_xact_id(),
    -- true for rows that arrived with the subscription's initial copy, not as a change.
    initial_copy boolean not null default false,
    check ((operation = 'INSERT') = (old_row is null)),
    check ((operation = 'DELETE') = (new_row is null))
);

create index changelog_table_name_idx on staging.changelog (table_name, change_id);

comment on table staging.changelog is
    'Append-only log of every row change applied by the subscription to operations.*, with old and new images.';
comment on column staging.changelog.change_id is 'Increasing id, drawn in the order changes were applied.';
comment on column staging.changelog.table_name is 'Table in schema operations the change applies to.';
comment on column staging.changelog.operation is 'INSERT, UPDATE or DELETE.';
comment on column staging.changelog.old_row is 'The row before the change (null for INSERT); exact, as the source has REPLICA IDENTITY FULL.';
comment on column staging.changelog.new_row is 'The row after the change (null for DELETE).';
comment on column staging.changelog.applied_at is 'Start time of the warehouse transaction that applied the change.';
comment on column staging.changelog.xact_id is 'Warehouse transaction that applied the change.';
comment on column staging.changelog.initial_copy is 'The row came with the subscription''s initial table copy.';

revoke all on staging.changelog from public;
