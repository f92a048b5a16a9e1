-- The triggers that feed staging.<table>_changes, one log per table of operations.*
-- The subscription's workers run with session_replication_role = replica, where only
-- ENABLE ALWAYS triggers fire, so every trigger here is enabled ALWAYS.
--
-- Streaming apply fires row triggers only: one log row per changed row, written by a function of
-- the table's own with one static insert of the row as it is. Per-row work is the ingest
-- bottleneck of the single apply worker (docs/design.md#measured-facts,
-- bench/README.md): no jsonb, no dynamic SQL.
-- The initial table copy runs like COPY and also fires statement triggers: there the rows are
-- logged in one set-based INSERT from the transition table (initial_copy = true), and the row
-- trigger stands aside. The copy is logged at all so that the logs alone explain every row in
-- operations.*: an aggregate built before the copy finished stays exact, with no special case.

do $$
declare
    t text;
begin
    foreach t in array array['customers', 'products', 'orders', 'order_items'] loop
        execute format($f$
            create or replace function staging.%1$I() returns trigger
            language plpgsql as $body$
            begin
                if current_setting('elt.in_copy', true) = 'on' then
                    return null;
                end if;
                -- old is null for an INSERT, new for a DELETE.
                insert into staging.%2$I (operation, old_row, new_row) values (tg_op, old, new);
                return null;
            end
            $body$;
            comment on function staging.%1$I() is
                'Row trigger on operations.%3$s: appends one change with its old and new rows to staging.%2$s.';
            $f$, 'log_' || t || '_change', t || '_changes', t);
    end loop;
end
$$;

create or replace function staging.begin_copy() returns trigger
language plpgsql as $$
begin
    perform set_config('elt.in_copy', 'on', true);
    return null;
end
$$;
comment on function staging.begin_copy() is
    'Statement trigger before a bulk INSERT/COPY: tells the row trigger to stand aside.';

create or replace function staging.log_copy() returns trigger
language plpgsql as $$
begin
    -- Once per statement, so dynamic SQL costs nothing here.
    execute format(
        'insert into staging.%I (operation, new_row, initial_copy)
         select ''INSERT'', copied::%I.%I, true from copied_rows as copied',
        tg_table_name || '_changes', tg_table_schema, tg_table_name);
    perform set_config('elt.in_copy', 'off', true);
    return null;
end
$$;
comment on function staging.log_copy() is
    'Statement trigger after a bulk INSERT/COPY: logs all its rows in one set-based insert.';

create or replace function staging.log_truncate() returns trigger
language plpgsql as $$
begin
    -- TRUNCATE fires no row triggers: log every row it is about to remove as a DELETE.
    execute format(
        'insert into staging.%I (operation, old_row) select ''DELETE'', t from %I.%I as t',
        tg_table_name || '_changes', tg_table_schema, tg_table_name);
    return null;
end
$$;
comment on function staging.log_truncate() is
    'Statement trigger before a replicated TRUNCATE: logs each removed row as a DELETE.';

create or replace function staging.forbid_direct_write() returns trigger
language plpgsql as $$
begin
    raise exception 'operations.% is written only by the subscription', tg_table_name
        using hint = 'Change the row at the source; it replicates here within seconds.',
              errcode = 'insufficient_privilege';
end
$$;
comment on function staging.forbid_direct_write() is
    'Ordinary trigger (so it never fires under the apply worker): refuses writes from any other session.';

do $$
declare
    t text;
begin
    foreach t in array array['customers', 'products', 'orders', 'order_items'] loop
        execute format($f$
            create or replace trigger log_change
                after insert or update or delete on operations.%1$I
                for each row execute function staging.%2$I();
            alter table operations.%1$I enable always trigger log_change;

            create or replace trigger begin_copy
                before insert on operations.%1$I
                for each statement execute function staging.begin_copy();
            alter table operations.%1$I enable always trigger begin_copy;

            create or replace trigger log_copy
                after insert on operations.%1$I
                referencing new table as copied_rows
                for each statement execute function staging.log_copy();
            alter table operations.%1$I enable always trigger log_copy;

            create or replace trigger log_truncate
                before truncate on operations.%1$I
                for each statement execute function staging.log_truncate();
            alter table operations.%1$I enable always trigger log_truncate;

            create or replace trigger forbid_direct_write
                before insert or update or delete or truncate on operations.%1$I
                for each statement execute function staging.forbid_direct_write();
            $f$, t, 'log_' || t || '_change');
    end loop;
end
$$;

-- The one jsonb trigger function of before migration 0005, replaced by the four above.
drop function if exists staging.log_change();
