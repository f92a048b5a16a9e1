-- 0002_operations_copies
-- Warehouse copies of the source tables. Logical replication matches tables by
-- schema-qualified name and column name, so names and types follow the source exactly
-- (quanity included). No sequences: ids come from the source, and nothing here inserts.

create table operations.customers (
    customer_id      bigint primary key,
    customer_name    varchar(500) not null,
    is_active        boolean not null default true,
    customer_address varchar(500),
    updated_at       timestamp(3),
    updated_by       bigint,
    created_at       timestamp(3),
    created_by       bigint
);

create table operations.products (
    product_id   bigint primary key,
    product_name varchar(500) not null,
    barcode      varchar(26) not null,
    unity_price  decimal not null,
    is_active    boolean,
    updated_at   timestamp(3),
    updated_by   bigint,
    created_at   timestamp(3),
    created_by   bigint
);

create table operations.orders (
    order_id      bigint primary key,
    order_date    date,
    delivery_date date,
    customer_id   bigint,
    status        varchar,
    updated_at    timestamp(3),
    updated_by    bigint,
    created_at    timestamp(3),
    created_by    bigint
);

create table operations.order_items (
    order_item_id bigint primary key,
    order_id      bigint,
    product_id    bigint,
    quanity       integer,
    updated_at    timestamp(3),
    updated_by    bigint,
    created_at    timestamp(3),
    created_by    bigint
);

-- The analytics deltas look rows up by these keys.
create index order_items_order_id_idx on operations.order_items (order_id);
create index orders_customer_id_idx on operations.orders (customer_id);

comment on table operations.customers is 'Replicated copy of the source operations.customers.';
comment on table operations.products is 'Replicated copy of the source operations.products.';
comment on table operations.orders is 'Replicated copy of the source operations.orders.';
comment on table operations.order_items is
    'Replicated copy of the source operations.order_items (quanity is the source''s spelling).';

-- Only the subscription writes here; see functions/warehouse/staging/forbid_direct_write.sql.
revoke all on operations.customers, operations.products, operations.orders, operations.order_items
    from public;
