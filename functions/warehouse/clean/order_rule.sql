-- clean.order_rule
-- The quality rules for an order, in one place: the name of the first rule the order fails, or
-- null when it is clean. Used by clean.orders_checked (now) and clean.orders_changed_since (as of
-- a watermark), so the current rows and the deltas can never judge an order differently.
-- Every rule reads the row and the existence of its customer only, so a change can only alter
-- an order's verdict through a changelog entry of the order or of its customer.

create or replace function clean.order_rule(
    customer_known boolean, status text, order_date date, delivery_date date, created_at timestamp)
returns text
language sql immutable parallel safe as $$
    select case
        when not coalesce(customer_known, false) then 'unknown_customer'
        when status is null or status not in ('PENDING', 'PROCESSING', 'REPROCESSING', 'COMPLETED')
            then 'unknown_status'
        when delivery_date < order_date then 'delivery_before_order'
        -- A year past the day the row was written (or past its order date when the source left
        -- created_at empty): relative to the row, never to today, so a verdict cannot change
        -- without a change of the row.
        when greatest(order_date, delivery_date) > coalesce(created_at::date, order_date) + 366
            then 'date_in_far_future'
    end
$$;

comment on function clean.order_rule(boolean, text, date, date, timestamp) is
    'First quality rule an order fails (unknown_customer, unknown_status, delivery_before_order, date_in_far_future), or null when it is clean.';
