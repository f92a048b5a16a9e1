-- 0012_fact_change_logs
-- The facts get change logs of their own, like the replicated tables: the business metrics are
-- aggregates over the facts (an item's amount needs the price valid when its order was placed,
-- which only the star tables know), so their deltas since a watermark read what changed in the
-- facts, exactly as the four answers' deltas read what changed in operations.*.
-- A statement trigger with transition tables logs each statement of elt.advance_star_tables in
-- one set-based insert: the advance writes many rows per statement, the apply worker one.
-- Also the history's retention (elt.changelog_retention): how long elt.purge keeps the log
-- entries, and from when the logs can still say what the tables held (the answers as of a
-- past moment).

do $$
declare
    t text;
begin
    foreach t in array array['fct_order', 'fct_order_item'] loop
        execute format($f$
            create table staging.%1$I (
                change_id  bigint not null default nextval('staging.change_id_seq'),
                operation  text not null,
                old_row    analytics.%2$I,
                new_row    analytics.%2$I,
                applied_at timestamptz not null default now(),
                xact_id    xid8 not null default pg_current_xact_id()
            );
            create index %3$I on staging.%1$I (xact_id);
            -- The answers as of a moment read the entries after it: the log is appended in time
            -- order, so a block range index finds them for almost nothing per insert.
            create index %4$I on staging.%1$I using brin (applied_at);
            comment on table staging.%1$I is
                'Append-only log of every change elt.advance_star_tables makes to analytics.%2$s, with the old and new row: what the metrics'' deltas and the metrics as of a past moment read.';
            comment on column staging.%1$I.change_id is
                'Increasing id from staging.change_id_seq, shared with the replicated tables'' logs.';
            comment on column staging.%1$I.operation is 'INSERT, UPDATE or DELETE.';
            comment on column staging.%1$I.old_row is 'The fact before the change (null for INSERT).';
            comment on column staging.%1$I.new_row is 'The fact after the change (null for DELETE).';
            comment on column staging.%1$I.applied_at is 'Start time of the advance that made the change.';
            comment on column staging.%1$I.xact_id is 'Transaction of the advance that made the change.';
            revoke all on staging.%1$I from public;

            -- Runs as its owner: the advance runs as elt_owner, who may read the logs, not write them.
            create function staging.%5$I() returns trigger
            language plpgsql security definer set search_path = pg_catalog, pg_temp as $body$
            begin
                -- Once per statement; the advance's upsert fires the insert and the update
                -- triggers, each with the rows it inserted or updated. Its updates never change
                -- a fact's key, so old and new rows pair by key. A transition table's rows are
                -- records: row(...) makes them the table's type.
                if tg_op = 'INSERT' then
                    insert into staging.%1$I (operation, new_row)
                    select 'INSERT', row(n.*)::analytics.%2$I from new_rows as n order by n.%6$I;
                elsif tg_op = 'UPDATE' then
                    insert into staging.%1$I (operation, old_row, new_row)
                    select 'UPDATE', row(o.*)::analytics.%2$I, row(n.*)::analytics.%2$I from old_rows as o join new_rows as n on n.%6$I = o.%6$I
                    order by n.%6$I;
                else
                    insert into staging.%1$I (operation, old_row)
                    select 'DELETE', row(o.*)::analytics.%2$I from old_rows as o order by o.%6$I;
                end if;
                return null;
            end
            $body$;
            comment on function staging.%5$I() is
                'Statement trigger on analytics.%2$s: appends its changed rows, old and new, to staging.%1$s.';
            create trigger log_inserts after insert on analytics.%2$I
                referencing new table as new_rows for each statement execute function staging.%5$I();
            create trigger log_updates after update on analytics.%2$I
                referencing old table as old_rows new table as new_rows for each statement execute function staging.%5$I();
            create trigger log_deletes after delete on analytics.%2$I
                referencing old table as old_rows for each statement execute function staging.%5$I();
            $f$, t || '_changes', t, t || '_changes_xact_id_idx', t || '_changes_applied_at_idx',
                 'log_' || t || '_changes', case t when 'fct_order' then 'order_id' else 'order_item_id' end);
    end loop;
end
$$;

-- The replicated tables' logs, for the same reason. BRIN costs the apply worker next to
-- nothing per row (a summary per 128 pages), where a B-tree would cost a lookup per row.
create index customers_changes_applied_at_idx on staging.customers_changes using brin (applied_at);
create index products_changes_applied_at_idx on staging.products_changes using brin (applied_at);
create index orders_changes_applied_at_idx on staging.orders_changes using brin (applied_at);
create index order_items_changes_applied_at_idx on staging.order_items_changes using brin (applied_at);

create table elt.changelog_retention (
    singleton     boolean primary key default true check (singleton),
    keep          interval not null default interval '7 days' check (keep >= interval '0'),
    changes_from  timestamptz not null default '-infinity',
    facts_from    timestamptz not null
);
-- The replicated tables' logs hold every change since the subscription began (the initial copy
-- included); the facts' logs start now, so a star built before this migration has no history
-- in them before now.
insert into elt.changelog_retention (facts_from)
select case when exists (select from analytics.fct_order) then now() else '-infinity' end;
revoke all on elt.changelog_retention from public;
comment on table elt.changelog_retention is
    'How long the change logs are kept (elt.purge) and from when they can still rebuild the past: the answers and metrics as of a moment (analytics.*_as_of) need that moment inside. One row; set keep with update, cli-app status shows it.';
comment on column elt.changelog_retention.singleton is 'Always true: one setting.';
comment on column elt.changelog_retention.keep is 'elt.purge deletes log entries older than this (that no watermark needs): the history''s retention. Default 7 days.';
comment on column elt.changelog_retention.changes_from is
    'Earliest moment the replicated tables'' logs (staging.customers_changes...) can rebuild: after the newest entry purged so far. The four answers as of a moment need it at or after this.';
comment on column elt.changelog_retention.facts_from is
    'Earliest moment the facts'' logs (staging.fct_order_changes, staging.fct_order_item_changes) can rebuild: after the newest entry purged, and not before they were created. The metrics as of a moment need it at or after this.';
