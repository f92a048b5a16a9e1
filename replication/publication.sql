-- replication/publication.sql (source side, idempotent, re-applied on every deploy)
-- The only objects of ours on a source: the publication of the four operational tables, the
-- role the warehouse's subscription logs in as, and elt.heartbeat, the one row `cli-app watch`
-- writes to measure replication lag (published beside the four tables, as Debezium's heartbeat
-- is), so that nothing the project writes for its own purposes lands in the shop's tables.
-- The role may replicate and read those tables, nothing else. Its password comes from the
-- session setting elt.replication_password, set by the deployer, so it is never pasted into
-- SQL text.

do $$
begin
    if not exists (select from pg_roles where rolname = 'elt_replicator') then
        create role elt_replicator with login replication;
    end if;
    execute format('alter role elt_replicator with login replication password %L',
                   current_setting('elt.replication_password'));
    execute format('grant connect on database %I to elt_replicator', current_database());
end
$$;

create schema if not exists elt;
comment on schema elt is 'cli-app: the heartbeat its lag probes write (elt.heartbeat); nothing else.';
create table if not exists elt.heartbeat (
    id      integer primary key default 1 check (id = 1),
    beat    bigint not null,
    beat_at timestamptz not null
);
comment on table elt.heartbeat is
    'cli-app: one row, advanced by `cli-app watch` and replicated to the warehouse''s elt.heartbeat to time the replication. The project writes nothing else on this server.';
comment on column elt.heartbeat.id is 'Always 1: one row.';
comment on column elt.heartbeat.beat is 'Increases with every beat.';
comment on column elt.heartbeat.beat_at is 'When the beat was written (this server''s clock).';
insert into elt.heartbeat (id, beat, beat_at) values (1, 0, now()) on conflict (id) do nothing;
revoke all on elt.heartbeat from public;

grant usage on schema operations, elt to elt_replicator;
grant select on operations.customers, operations.products, operations.orders, operations.order_items,
    elt.heartbeat
    to elt_replicator;

do $$
begin
    if not exists (select from pg_publication where pubname = 'elt_operations') then
        create publication elt_operations
            for table operations.customers, operations.products, operations.orders, operations.order_items,
                elt.heartbeat;
    else
        alter publication elt_operations
            set table operations.customers, operations.products, operations.orders, operations.order_items,
                elt.heartbeat;
    end if;
end
$$;

comment on publication elt_operations is
    'Operational tables replicated to the cli-app warehouse (schema operations there), and its heartbeat (elt.heartbeat).';
