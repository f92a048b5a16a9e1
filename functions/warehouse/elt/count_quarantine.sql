-- elt.count_quarantine
-- call elt.count_quarantine(): count the quarantined rows per table and rule into
-- elt.quarantine_count, in one snapshot, for `cli-app status` to read in a millisecond. The
-- pg_cron job count-quarantine runs it hourly (its cost grows with the tables: see
-- elt.schedule_maintenance); status shows how old the count is. Call it to count now.
-- Counts the checked rows directly rather than clean.quarantine, whose row images it would
-- otherwise build for nothing.

create or replace procedure elt.count_quarantine()
language plpgsql as $$
declare
    started timestamptz := clock_timestamp();
begin
    delete from elt.quarantine_count;
    insert into elt.quarantine_count (table_name, rule, rows)
    select 'orders', o.quarantine_rule, count(*)
    from clean.orders_checked as o
    where o.quarantine_rule is not null
    group by o.quarantine_rule
    union all
    select 'order_items', i.quarantine_rule, count(*)
    from clean.order_items_checked as i
    where i.quarantine_rule is not null
    group by i.quarantine_rule;
    delete from elt.quarantine_count_run;
    insert into elt.quarantine_count_run (counted_at, seconds)
    values (now(), extract(epoch from clock_timestamp() - started));
end
$$;

comment on procedure elt.count_quarantine() is
    'Count clean.quarantine per table and rule into elt.quarantine_count (pg_cron job count-quarantine, hourly), so status reads it cheaply.';
