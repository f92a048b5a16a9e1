-- 0009_star_schema
-- The star schema analysts join: dimensions with history (type-2), facts at their grain, and
-- the calendar. They are tables advanced from the change logs by elt.advance_star (once a
-- second, by elt.maintain_star), not views: the history lives in the logs, and recomputing
-- a type-2 dimension or the statuses' first times from about 6M log entries at 1M orders on
-- every read would cost seconds, while advancing them costs what changed since the last round.
-- They are also the history of record: elt.purge drops log entries older than a week, and what
-- these tables hold from before that can no longer be derived from anywhere else.

create extension if not exists pgcrypto;
create extension if not exists btree_gist;

-- The key of the customers' pseudonyms (elt.customer_key): whoever holds it can tell which
-- customer a pseudonym stands for, so only the owner reads it (grants: issue 9). Drawn once,
-- here; a new key would give every customer a new pseudonym.
create table elt.pseudonym_key (
    singleton  boolean primary key default true check (singleton),
    key        bytea not null default gen_random_bytes(32),
    created_at timestamptz not null default now()
);
insert into elt.pseudonym_key default values;
revoke all on elt.pseudonym_key from public;
comment on table elt.pseudonym_key is
    'The secret of the customers'' pseudonyms (elt.customer_key, an HMAC-SHA256 of the customer id): one row, readable by the owner only.';
comment on column elt.pseudonym_key.singleton is 'Always true: the table holds one key.';
comment on column elt.pseudonym_key.key is 'The 32 random bytes the pseudonyms are keyed with. Never shown to analysts.';
comment on column elt.pseudonym_key.created_at is 'When the key was drawn.';

-- Where the star tables stand in the logs: the same kind of watermark as elt.watermark's, kept
-- apart because those rows are the aggregates'.
create table elt.star_watermark (
    singleton         boolean primary key default true check (singleton),
    snapshot          pg_snapshot not null,
    changes_through   bigint not null,
    newest_applied_at timestamptz,
    as_of             timestamptz
);
-- Nothing read yet: the first advance reads the whole log.
insert into elt.star_watermark (snapshot, changes_through) values ('1:1:', 0);
comment on table elt.star_watermark is
    'Where the star tables (analytics.dim_*, analytics.fct_*, clean.order_milestones) stand in the change logs; moved by elt.advance_star in the transaction that advances them.';
comment on column elt.star_watermark.singleton is 'Always true: one watermark for all the star tables.';
comment on column elt.star_watermark.snapshot is
    'Snapshot of the last advance: log entries whose xact_id is not visible in it are not in the star tables yet.';
comment on column elt.star_watermark.changes_through is 'Newest change id drawn when the watermark moved (staging.last_change_id()).';
comment on column elt.star_watermark.newest_applied_at is
    'Newest applied_at among the entries advanced so far: an entry arriving later with an older time (initial copy) makes the facts that depend on its key be recomputed.';
comment on column elt.star_watermark.as_of is 'Start of the last advance, or of a later round that found nothing new: the star tables are current as of then.';

create table elt.star_log (
    advance_id   bigint generated always as identity primary key,
    started_at   timestamptz not null,
    finished_at  timestamptz not null,
    changes      bigint not null,
    rows_written bigint not null,
    error        text
);
create index star_log_finished_at_idx on elt.star_log (finished_at);
revoke all on elt.star_watermark, elt.star_log from public;
comment on table elt.star_log is 'Every advance of the star tables that had something to do (elt.advance_star), failures included; elt.purge keeps a day of it.';
comment on column elt.star_log.advance_id is 'Increasing id.';
comment on column elt.star_log.started_at is 'When the advance started (wall clock).';
comment on column elt.star_log.finished_at is 'When it finished or failed (wall clock).';
comment on column elt.star_log.changes is 'Change ids drawn since the previous watermark: roughly the log entries read.';
comment on column elt.star_log.rows_written is 'Rows of the star tables inserted, changed or deleted.';
comment on column elt.star_log.error is 'Why the advance failed (it then changed nothing); null on success.';

-- Type-2 dimensions. A version is valid over [valid_from, valid_to): from the applied_at of the
-- log entry that gave the row these attributes to that of the entry that changed them or
-- deleted the row. A deleted row's last version is closed at the delete and no current version
-- is left; if the id comes back, a new version starts then. So ranges never overlap, and the
-- only gaps are the times the row did not exist at the source. An update that leaves every
-- attribute the dimension keeps unchanged (a customer's new name) makes no new version.
-- Version ids are never reused nor removed, so facts can point at them.
create table analytics.dim_customer (
    customer_version_id bigint generated always as identity primary key,
    customer_key        text not null,
    area                text,
    is_active           boolean,
    valid_from          timestamptz not null,
    valid_to            timestamptz,
    is_current          boolean generated always as (valid_to is null) stored,
    check (valid_to > valid_from),
    -- Deferred: an advance closes a version and opens the next in one statement.
    constraint dim_customer_one_current exclude using btree (customer_key with =) where (valid_to is null)
        deferrable initially deferred,
    constraint dim_customer_no_overlap exclude using gist (customer_key with =, tstzrange(valid_from, valid_to) with &&)
        deferrable initially deferred
);
create index dim_customer_key_idx on analytics.dim_customer (customer_key, valid_from);
comment on table analytics.dim_customer is
    'Customers with history (type-2): one row per version of the coarse attributes, valid over [valid_from, valid_to). Pseudonymous: no name, no address, no customer id; customer_key is a keyed hash of the id. No current row for a deleted customer.';
comment on column analytics.dim_customer.customer_version_id is 'Surrogate key of this version (facts point at the version valid when the order was placed).';
comment on column analytics.dim_customer.customer_key is
    'Stable pseudonym of the customer: HMAC-SHA256 of the source customer id under a secret key (elt.customer_key), first 16 bytes in hex. The same for every version.';
comment on column analytics.dim_customer.area is
    'Coarse location from the address (clean.address_area): its last comma-separated part (city or region) without numbers, or the street name without the house number when the address has no comma.';
comment on column analytics.dim_customer.is_active is 'Whether the shop considered the customer active during this version.';
comment on column analytics.dim_customer.valid_from is 'When this version started: applied_at of the log entry that made it.';
comment on column analytics.dim_customer.valid_to is 'When it ended (the next version started, or the customer was deleted); null while current.';
comment on column analytics.dim_customer.is_current is 'valid_to is null: the customer exists now with these attributes. Exactly one per existing customer.';

create table analytics.dim_product (
    product_version_id bigint generated always as identity primary key,
    product_id         bigint not null,
    product_name       text,
    barcode            text,
    unit_price         numeric,
    is_active          boolean,
    valid_from         timestamptz not null,
    valid_to           timestamptz,
    is_current         boolean generated always as (valid_to is null) stored,
    check (valid_to > valid_from),
    constraint dim_product_one_current exclude using btree (product_id with =) where (valid_to is null)
        deferrable initially deferred,
    constraint dim_product_no_overlap exclude using gist (product_id with =, tstzrange(valid_from, valid_to) with &&)
        deferrable initially deferred
);
create index dim_product_id_idx on analytics.dim_product (product_id, valid_from);
comment on table analytics.dim_product is
    'Products with history (type-2): one row per version (price, name, barcode, active), valid over [valid_from, valid_to); the price history. No current row for a deleted product.';
comment on column analytics.dim_product.product_version_id is 'Surrogate key of this version (order items point at the version whose price they were sold at).';
comment on column analytics.dim_product.product_id is 'Product id from the source.';
comment on column analytics.dim_product.product_name is 'Name during this version.';
comment on column analytics.dim_product.barcode is 'Barcode during this version.';
comment on column analytics.dim_product.unit_price is 'Unit price during this version (the source''s unity_price).';
comment on column analytics.dim_product.is_active is 'Whether the product was sold during this version.';
comment on column analytics.dim_product.valid_from is 'When this version started: applied_at of the log entry that made it.';
comment on column analytics.dim_product.valid_to is 'When it ended (a new price or name, or the product was deleted); null while current.';
comment on column analytics.dim_product.is_current is 'valid_to is null: the product exists now with these attributes. Exactly one per existing product.';

-- The calendar: every day from the earliest to the latest date a fact uses, with no hole, so a
-- report by day shows the days without orders too. Extended by elt.advance_star, never shrunk.
create table analytics.dim_date (
    date_day     date primary key,
    year         integer not null,
    quarter      integer not null,
    month        integer not null,
    month_name   text not null,
    day_of_month integer not null,
    iso_year     integer not null,
    iso_week     integer not null,
    week_start   date not null,
    day_of_week  integer not null,
    day_name     text not null,
    is_weekend   boolean not null
);
comment on table analytics.dim_date is
    'One row per calendar day from the earliest to the latest order or delivery date of the facts, without gaps.';
comment on column analytics.dim_date.date_day is 'The day (fct_order.order_date and delivery_date point here).';
comment on column analytics.dim_date.year is 'Calendar year.';
comment on column analytics.dim_date.quarter is 'Calendar quarter, 1 to 4.';
comment on column analytics.dim_date.month is 'Month, 1 to 12.';
comment on column analytics.dim_date.month_name is 'Month name in English (January...).';
comment on column analytics.dim_date.day_of_month is 'Day of the month, 1 to 31.';
comment on column analytics.dim_date.iso_year is 'ISO 8601 week-numbering year (the year iso_week belongs to).';
comment on column analytics.dim_date.iso_week is 'ISO 8601 week number, 1 to 53.';
comment on column analytics.dim_date.week_start is 'Monday of the day''s ISO week: group by it for weekly figures.';
comment on column analytics.dim_date.day_of_week is 'ISO day of the week: 1 Monday to 7 Sunday.';
comment on column analytics.dim_date.day_name is 'Day name in English (Monday...).';
comment on column analytics.dim_date.is_weekend is 'Saturday or Sunday.';

-- When each order was placed and first reached each status, from the orders log: the part of
-- an order's life the current row has forgotten. Kept for every order of operations.orders,
-- quarantined ones included, since an order's verdict can change without a change of the order
-- (its customer appears). The log entries of an order since its last creation (insert, or an
-- update that gave a row this id) count: an id deleted and reused starts a new life.
create table clean.order_milestones (
    order_id        bigint primary key,
    placed_at       timestamptz not null,
    pending_at      timestamptz,
    processing_at   timestamptz,
    reprocessing_at timestamptz,
    completed_at    timestamptz
);
comment on table clean.order_milestones is
    'Per order of operations.orders: when the warehouse first saw it and when it first reached each status, from the orders log (elt.advance_star).';
comment on column clean.order_milestones.order_id is 'Order id from the source.';
comment on column clean.order_milestones.placed_at is 'applied_at of the entry that created the order (insert, or an update that gave a row this id).';
comment on column clean.order_milestones.pending_at is 'applied_at of the first entry since placed_at leaving the order PENDING; null if never.';
comment on column clean.order_milestones.processing_at is 'First time the order was PROCESSING; null if never.';
comment on column clean.order_milestones.reprocessing_at is 'First time the order was REPROCESSING; null if never.';
comment on column clean.order_milestones.completed_at is 'First time the order was COMPLETED; null if never.';

create table analytics.fct_order (
    order_id            bigint primary key,
    customer_key        text not null,
    customer_version_id bigint not null references analytics.dim_customer,
    order_date          date references analytics.dim_date,
    delivery_date       date references analytics.dim_date,
    status              text not null,
    lead_time_days      integer,
    placed_at           timestamptz,
    pending_at          timestamptz,
    processing_at       timestamptz,
    reprocessing_at     timestamptz,
    completed_at        timestamptz
);
create index fct_order_customer_key_idx on analytics.fct_order (customer_key);
create index fct_order_order_date_idx on analytics.fct_order (order_date);
create index fct_order_delivery_date_idx on analytics.fct_order (delivery_date);
create index fct_order_customer_version_idx on analytics.fct_order (customer_version_id);
comment on table analytics.fct_order is
    'One row per clean order (quarantined ones are left out, as in every answer) in its current state, with its lead time and when it first reached each status.';
comment on column analytics.fct_order.order_id is 'Order id from the source.';
comment on column analytics.fct_order.customer_key is 'Pseudonym of the customer who placed it (analytics.dim_customer.customer_key).';
comment on column analytics.fct_order.customer_version_id is
    'The customer''s version when the order was placed (the one valid at placed_at; the customer''s first version if it started later).';
comment on column analytics.fct_order.order_date is 'Day the order was placed (analytics.dim_date).';
comment on column analytics.fct_order.delivery_date is 'Promised delivery day (analytics.dim_date); null when unknown.';
comment on column analytics.fct_order.status is 'Current status: PENDING, PROCESSING, REPROCESSING or COMPLETED.';
comment on column analytics.fct_order.lead_time_days is 'delivery_date - order_date in days; null when either is unknown.';
comment on column analytics.fct_order.placed_at is 'When the warehouse first saw the order (clean.order_milestones); null only for orders older than the logs'' retention when the star was first built.';
comment on column analytics.fct_order.pending_at is 'When the order was first PENDING; null if never.';
comment on column analytics.fct_order.processing_at is 'When the order was first PROCESSING; null if never.';
comment on column analytics.fct_order.reprocessing_at is 'When the order was first REPROCESSING; null if never.';
comment on column analytics.fct_order.completed_at is 'When the order was first COMPLETED; null if never.';

create table analytics.fct_order_item (
    order_item_id      bigint primary key,
    order_id           bigint not null references analytics.fct_order,
    product_id         bigint not null,
    product_version_id bigint not null references analytics.dim_product,
    quantity           integer not null,
    unit_price         numeric not null,
    amount             numeric not null
);
create index fct_order_item_order_id_idx on analytics.fct_order_item (order_id);
create index fct_order_item_product_id_idx on analytics.fct_order_item (product_id);
create index fct_order_item_product_version_idx on analytics.fct_order_item (product_version_id);
comment on table analytics.fct_order_item is
    'One row per clean order item (of a clean order), priced at the product''s price when the order was placed.';
comment on column analytics.fct_order_item.order_item_id is 'Order item id from the source.';
comment on column analytics.fct_order_item.order_id is 'Order the item belongs to (analytics.fct_order).';
comment on column analytics.fct_order_item.product_id is 'Product ordered (analytics.dim_product.product_id).';
comment on column analytics.fct_order_item.product_version_id is
    'The product''s version when the order was placed (valid at the order''s placed_at; the product''s first version if it started later): where unit_price comes from.';
comment on column analytics.fct_order_item.quantity is 'Units ordered (the source column quanity).';
comment on column analytics.fct_order_item.unit_price is 'Unit price of the product version product_version_id.';
comment on column analytics.fct_order_item.amount is 'quantity * unit_price.';
