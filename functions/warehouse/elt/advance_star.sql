-- elt.advance_star
-- call elt.advance_star(): bring the star tables (analytics.dim_*, analytics.fct_*) up to the
-- changes replicated so far, now, in a REPEATABLE READ transaction of its own
-- (elt.begin_maintenance: it waits for a running fold, rebuild or advance). elt.maintain does
-- this every round; call it by hand to catch up at once, or for the initial build.

create or replace procedure elt.advance_star()
language plpgsql as $$
begin
    call elt.begin_maintenance();
    perform elt.advance_star_tables();
end
$$;

comment on procedure elt.advance_star() is
    'Advance the star tables (dimensions, facts, calendar) to the changes replicated so far, in a repeatable read transaction of its own (waits for a running fold or rebuild).';
