-- clean.orders_as_of, clean.order_lines_as_of
-- clean.orders and clean.order_lines as they were at a moment: the same rules
-- (clean.order_rule, clean.order_item_rule) over the replicated tables as of the moment
-- (staging.<table>_as_of), so an aggregate's recompute over them is its answer as of then.

create or replace function clean.orders_as_of(at timestamptz)
returns table (order_id bigint, order_date date, delivery_date date, customer_id bigint, status text)
language sql stable
set max_parallel_workers_per_gather = 0
as $$
    select o.order_id, o.order_date, o.delivery_date, o.customer_id, o.status::text
    from staging.orders_as_of(at) as o
    left join staging.customers_as_of(at) as c on c.customer_id = o.customer_id
    where clean.order_rule(c.customer_id is not null, o.status, o.order_date, o.delivery_date, o.created_at) is null
$$;

comment on function clean.orders_as_of(timestamptz) is
    'The clean orders as of a moment (clean.orders then), from the change logs.';

create or replace function clean.order_lines_as_of(at timestamptz)
returns table (order_item_id bigint, order_id bigint, product_id bigint, quantity integer, order_status text)
language sql stable
set max_parallel_workers_per_gather = 0
as $$
    select i.order_item_id, i.order_id, i.product_id, i.quanity, o.status
    from staging.order_items_as_of(at) as i
    join clean.orders_as_of(at) as o on o.order_id = i.order_id
    left join staging.products_as_of(at) as p on p.product_id = i.product_id
    where clean.order_item_rule(i.quanity, p.product_id is not null, true, true) is null
$$;

comment on function clean.order_lines_as_of(timestamptz) is
    'The clean order lines as of a moment (clean.order_lines then), from the change logs.';

create or replace function clean.customers_as_of(at timestamptz)
returns table (customer_id bigint, customer_name text)
language sql stable as $$
    select c.customer_id, c.customer_name::text from staging.customers_as_of(at) as c
$$;

comment on function clean.customers_as_of(timestamptz) is
    'Customers with their name as of a moment, from the change log (what top_customers showed then).';
