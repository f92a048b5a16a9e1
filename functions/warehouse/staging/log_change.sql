-- staging.log_change and the triggers that feed staging.changelog
-- The subscription's workers run with session_replication_role = replica, where only
-- ENABLE ALWAYS triggers fire, so every trigger here is enabled ALWAYS.
--
-- Streaming apply fires row triggers only: one changelog row per changed row.
-- The initial table copy runs like COPY and also fires statement triggers: there the rows are
-- logged in one set-based INSERT from the transition table (initial_copy = true), and the row
-- trigger stands aside, because per-row PL/pgSQL is the ingest bottleneck (see DESIGN.md).
-- The copy is logged at all so that the changelog alone explains every row in operations.*:
-- an aggregate built before the copy finished stays exact, with no special case.

create or replace function staging.log_change() returns trigger
language plpgsql as $$
begin
    if current_setting('elt.in_copy', true) = 'on' then
        return null;
    end if;
    if tg_op = 'INSERT' then
        insert into staging.changelog (table_name, operation, new_row)
        values (tg_table_name, 'INSERT', to_jsonb(new));
    elsif tg_op = 'UPDATE' then
        insert into staging.changelog (table_name, operation, old_row, new_row)
        values (tg_table_name, 'UPDATE', to_jsonb(old), to_jsonb(new));
    else
        insert into staging.changelog (table_name, operation, old_row)
        values (tg_table_name, 'DELETE', to_jsonb(old));
    end if;
    return null;
end
$$;
comment on function staging.log_change() is
    'Row trigger: appends one change with its old and new images to staging.changelog.';

create or replace function staging.begin_copy() returns trigger
language plpgsql as $$
begin
    perform set_config('elt.in_copy', 'on', true);
    return null;
end
$$;
comment on function staging.begin_copy() is
    'Statement trigger before a bulk INSERT/COPY: tells staging.log_change to stand aside.';

create or replace function staging.log_copy() returns trigger
language plpgsql as $$
begin
    insert into staging.changelog (table_name, operation, new_row, initial_copy)
    select tg_table_name, 'INSERT', to_jsonb(copied), true
    from copied_rows as copied;
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
        'insert into staging.changelog (table_name, operation, old_row)
         select %L, ''DELETE'', to_jsonb(t) from %I.%I as t',
        tg_table_name, tg_table_schema, tg_table_name);
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
                for each row execute function staging.log_change();
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
            $f$, t);
    end loop;
end
$$;
