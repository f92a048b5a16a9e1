-- elt.refresh
-- call elt.refresh('open_orders'): rebuild one aggregate's historic part and advance its
-- watermark, atomically. The answers are exact before, during and after; a refresh only makes
-- the next queries cheaper (the delta shrinks back to nothing).
-- Runs in its own REPEATABLE READ transaction: called outside a transaction block (psql,
-- autocommit, pg_cron) it commits whatever came before and starts one. Inside a transaction
-- block that already is REPEATABLE READ it joins it; inside a READ COMMITTED block it fails
-- with "invalid transaction termination".

create or replace procedure elt.refresh(aggregate_name text)
language plpgsql as $$
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        commit;
        set transaction isolation level repeatable read;
    end if;
    perform elt.refresh_aggregate(aggregate_name);
end
$$;

comment on procedure elt.refresh(text) is
    'Rebuild analytics.<aggregate>_hist and advance its watermark atomically (open_orders, pending_items, pending_orders; top_dates and top_customers refresh the aggregate under them). Call outside a transaction block or in a repeatable read one.';
