-- 0005_changelog_per_table
-- One change log per replicated table, holding the old and new rows in the table's own row type,
-- instead of one staging.changelog with jsonb images. Converting every applied row to jsonb made
-- the apply worker 2.5-3.7x slower than apply alone (bench/README.md); a row-type image is copied
-- as it is. staging.changelog becomes a view over the four logs (views/warehouse/staging/).

-- One sequence for all four logs, so that ids still say in which order changes were applied
-- across tables. No cache: every session's ids must interleave in apply order.
create sequence staging.change_id_seq as bigint;
comment on sequence staging.change_id_seq is
    'Change ids of all four staging.<table>_changes logs, drawn in the order changes are applied.';
revoke all on sequence staging.change_id_seq from public;

-- The apply worker must not log into the old table while its rows move, nor afterwards: it
-- waits here, then fails and retries until the new triggers are deployed, so no change is lost.
lock table staging.changelog in exclusive mode;

do $$
declare
    t text;
begin
    foreach t in array array['customers', 'products', 'orders', 'order_items'] loop
        execute format($f$
            create table staging.%1$I (
                change_id    bigint not null default nextval('staging.change_id_seq'),
                operation    text not null,
                old_row      operations.%2$I,
                new_row      operations.%2$I,
                applied_at   timestamptz not null default now(),
                xact_id      xid8 not null default pg_current_xact_id(),
                initial_copy boolean not null default false
                -- No check constraints: PostgreSQL compiles a table's checks anew for every
                -- insert statement, and the trigger's insert is one statement per applied row.
                -- The two checks of 0003 (INSERT has no old row, DELETE no new row) cost the
                -- apply worker about as much as the rest of the logging together (bench/README.md).
                -- The triggers write tg_op with old and new, which satisfy them by construction;
                -- tests/test_changelog.py checks every entry it produces.
            );
            -- The only index: the deltas and the purge find entries by the writing transaction
            -- (after a watermark's xmin, or before the oldest one). Each index is paid per
            -- applied row by the apply worker.
            create index %3$I on staging.%1$I (xact_id);

            comment on table staging.%1$I is
                'Append-only log of every row change the subscription applies to operations.%2$s, with the old and new row.';
            comment on column staging.%1$I.change_id is
                'Increasing id from staging.change_id_seq, shared by all four logs: the order changes were applied in.';
            comment on column staging.%1$I.operation is 'INSERT, UPDATE or DELETE.';
            comment on column staging.%1$I.old_row is
                'The row before the change (null for INSERT); exact, as the source has REPLICA IDENTITY FULL.';
            comment on column staging.%1$I.new_row is 'The row after the change (null for DELETE).';
            comment on column staging.%1$I.applied_at is 'Start time of the warehouse transaction that applied the change.';
            comment on column staging.%1$I.xact_id is 'Warehouse transaction that applied the change.';
            comment on column staging.%1$I.initial_copy is 'The row came with the subscription''s initial table copy.';
            revoke all on staging.%1$I from public;

            insert into staging.%1$I (change_id, operation, old_row, new_row, applied_at, xact_id, initial_copy)
            select c.change_id, c.operation,
                   case when c.old_row is not null then jsonb_populate_record(null::operations.%2$I, c.old_row) end,
                   case when c.new_row is not null then jsonb_populate_record(null::operations.%2$I, c.new_row) end,
                   c.applied_at, c.xact_id, c.initial_copy
            from staging.changelog as c
            where c.table_name = %2$L;
            $f$, t || '_changes', t, t || '_changes_xact_id_idx');
    end loop;
    perform setval('staging.change_id_seq', max(c.change_id))
    from staging.changelog as c
    having max(c.change_id) is not null;
end
$$;

-- analytics.freshness reads the old table; its object file recreates it over the view.
drop view if exists analytics.freshness;
drop table staging.changelog;
