-- replication/publication.sql (source side, idempotent, re-applied on every deploy)
-- The only objects of ours on a source: the publication of the four operational tables and
-- the role the warehouse's subscription logs in as. The role may replicate and read those
-- tables, nothing else. Its password comes from the session setting elt.replication_password,
-- set by the deployer, so it is never pasted into SQL text.

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

grant usage on schema operations to elt_replicator;
grant select on operations.customers, operations.products, operations.orders, operations.order_items
    to elt_replicator;

do $$
begin
    if not exists (select from pg_publication where pubname = 'elt_operations') then
        create publication elt_operations
            for table operations.customers, operations.products, operations.orders, operations.order_items;
    else
        alter publication elt_operations
            set table operations.customers, operations.products, operations.orders, operations.order_items;
    end if;
end
$$;

comment on publication elt_operations is
    'Operational tables replicated to the cli-app warehouse (schema operations there).';
