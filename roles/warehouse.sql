-- roles/warehouse.sql (warehouse side, idempotent, applied by every deploy after the object files)
-- Who may do what in the warehouse, so that a reader's mistake or a bug in a procedure cannot
-- reach further than its job (issue 9). Three roles besides the superuser that deploys:
--   elt_owner    owns the layers the ELT builds (clean, analytics, elt) and runs the maintenance
--                and the pg_cron jobs. Not a superuser: a procedure cannot read server files,
--                signal other backends or change the server's settings.
--   elt_analyst  reads analytics and nothing else: no operations, staging, clean or elt, no
--                temporary tables, no signals, no server files (those need superuser or
--                pg_read_server_files, which it never gets).
--   the subscription's owner (the deploying superuser; PostgreSQL 15 requires one) is the only
--                writer of operations.* and, through their ALWAYS triggers, of staging.*: those
--                two layers stay its own, and elt_owner only reads them (and purges old
--                changelog entries).
-- Roles are per cluster and created when missing; what they may do is per database, granted
-- here every time. Passwords are not set here: cli-app deploy sends SCRAM verifiers computed on
-- the client, so no password crosses the wire or reaches a server log.

do $$
begin
    if not exists (select from pg_roles where rolname = 'elt_owner') then
        -- LOGIN because pg_cron's background workers log in as a job's user; without a
        -- password (cli-app deploy sets one when it has one) nobody else can.
        create role elt_owner login;
    end if;
    if not exists (select from pg_roles where rolname = 'elt_analyst') then
        create role elt_analyst login;
    end if;
    -- Whatever was granted by hand before, neither is more than this.
    alter role elt_owner nosuperuser nocreatedb nocreaterole noreplication nobypassrls;
    alter role elt_analyst nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit;
end
$$;

comment on role elt_owner is
    'cli-app: owns the clean, analytics and elt layers of the warehouse and runs their maintenance and pg_cron jobs. Not a superuser.';
comment on role elt_analyst is
    'cli-app: reads the analytics layer of the warehouse, nothing else. cli-app sql, --query and export-all connect as it.';

-- The ELT's own layers change hands to elt_owner, objects included: procedures that rebuild a
-- materialized view must own it, and views read their sources with their owner's rights.
do $$
declare
    obj record;
begin
    for obj in
        select format('alter schema %I owner to elt_owner', n.nspname) as command
        from pg_namespace as n
        where n.nspname in ('clean', 'analytics', 'elt')
          and n.nspowner <> 'elt_owner'::regrole
        union all
        select format('alter %s %I.%I owner to elt_owner',
                      case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
                                     when 'S' then 'sequence' else 'table' end,
                      n.nspname, c.relname)
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('clean', 'analytics', 'elt')
          and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
          -- An identity sequence follows its table.
          and not exists (select from pg_depend as d
                          where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype = 'i')
          and c.relowner <> 'elt_owner'::regrole
        union all
        select format('alter routine %s owner to elt_owner', p.oid::regprocedure)
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname in ('clean', 'analytics', 'elt')
          and p.proowner <> 'elt_owner'::regrole
        union all
        select format('alter type %s owner to elt_owner', t.oid::regtype)
        from pg_type as t
        join pg_namespace as n on n.oid = t.typnamespace
        where n.nspname in ('clean', 'analytics', 'elt')
          and t.typtype in ('c', 'e', 'd', 'r')
          -- A table's row type follows its table.
          and (t.typrelid = 0 or (select c.relkind from pg_class as c where c.oid = t.typrelid) = 'c')
          and t.typowner <> 'elt_owner'::regrole
    loop
        execute obj.command;
    end loop;
end
$$;

-- elt_owner reads the replicated copies and the changelog, and purges old changelog entries.
grant usage on schema operations, staging to elt_owner;
grant select on all tables in schema operations to elt_owner;
grant select, delete on all tables in schema staging to elt_owner;
grant select on all sequences in schema staging to elt_owner;

-- elt_analyst: the analytics layer only. Functions of analytics (the top-k readers) run with
-- their owner's rights, so the analyst needs nothing below.
revoke all on schema operations, staging, clean, elt from elt_analyst;
revoke all on all tables in schema operations, staging, clean, elt from elt_analyst;
grant usage on schema analytics to elt_analyst;
grant select on all tables in schema analytics to elt_analyst;
-- Newly derived parts of analytics (elt.declare_aggregate) are readable as soon as they exist.
alter default privileges for role elt_owner in schema analytics grant select on tables to elt_analyst;

-- Temporary tables are writing too: the database-wide part of that (revoke TEMPORARY from
-- PUBLIC) is cli_app.deploy.database_privileges, since a database cloned from a template does
-- not inherit it.
-- Any role may signal the backends of a role it belongs to, and create and write large objects
-- (rows of pg_largeobject): readers do neither. Function privileges are per database.
revoke execute on function pg_terminate_backend(integer, bigint), pg_cancel_backend(integer),
    lo_creat(integer), lo_create(oid), lo_from_bytea(oid, bytea), lo_import(text), lo_import(text, oid),
    lo_put(oid, bigint, bytea), lowrite(integer, bytea), lo_unlink(oid), lo_truncate(integer, integer),
    lo_truncate64(integer, bigint)
    from public;

-- The analyst's only doors below analytics: the functions of analytics (top-k readers) and the
-- functions analytics views call directly (the deltas' changes since a watermark, freshness's
-- changelog probes). A view reads tables with its owner's rights but calls functions with the
-- caller's, so each of these runs as its owner, elt_owner, with a search_path nobody can plant
-- an object in. CREATE OR REPLACE resets both, so this runs after every deploy of the objects.
do $$
declare
    f regprocedure;
begin
    for f in
        select p.oid::regprocedure
        from pg_proc as p
        where p.pronamespace = 'analytics'::regnamespace and p.prokind = 'f'
        union
        select d.refobjid::regprocedure
        from pg_depend as d
        join pg_rewrite as r on r.oid = d.objid and d.classid = 'pg_rewrite'::regclass
        join pg_class as v on v.oid = r.ev_class
        join pg_proc as p on p.oid = d.refobjid and d.refclassid = 'pg_proc'::regclass
        where v.relnamespace = 'analytics'::regnamespace
          and p.pronamespace in ('clean'::regnamespace, 'staging'::regnamespace, 'elt'::regnamespace)
    loop
        execute format('alter function %s owner to elt_owner', f);
        execute format('alter function %s security definer set search_path = pg_catalog, pg_temp', f);
    end loop;
end
$$;

-- pg_cron, where it lives (cron.database_name): elt_owner schedules and runs the maintenance
-- jobs; nobody else may schedule anything (a job runs outside any read-only wall).
do $$
begin
    if to_regnamespace('cron') is not null then
        revoke all on schema cron from public;
        grant usage on schema cron to elt_owner;
    end if;
end
$$;
