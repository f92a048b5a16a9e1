-- 0001_operations_schema (embedded source only)
-- The shop's operational tables, shaped like the upstream systems we replicate from:
-- surrogate keys, audit columns, no foreign keys, and `order_items.quanity` spelled as it is
-- in the wild. REPLICA IDENTITY FULL makes every UPDATE and DELETE carry the whole old row,
-- which is what gives the warehouse changelog exact old images.
-- A user's own source never runs this file: there we create only the publication and its role.

create schema operations;

create table operations.customers (
    customer_id      bigserial primary key,
    customer_name    varchar(500) not null,
    is_active        boolean not null default true,
    customer_address varchar(500),
    updated_at       timestamp(3),
    updated_by       bigint,
    created_at       timestamp(3),
    created_by       bigint
);

create table operations.products (
    product_id   bigserial primary key,
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
    order_id      bigserial primary key,
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
    order_item_id bigserial primary key,
    order_id      bigint,
    product_id    bigint,
    quanity       integer,
    updated_at    timestamp(3),
    updated_by    bigint,
    created_at    timestamp(3),
    created_by    bigint
);

alter table operations.customers   replica identity full;
alter table operations.products    replica identity full;
alter table operations.orders      replica identity full;
alter table operations.order_items replica identity full;

-- The traffic simulator picks orders by status and items by order.
create index orders_status_idx on operations.orders (status);
create index order_items_order_id_idx on operations.order_items (order_id);
