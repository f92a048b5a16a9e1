-- elt.advance_star
-- call elt.advance_star(): bring the star tables (analytics.dim_*, analytics.fct_*) up to the
-- changes replicated so far, now, in a REPEATABLE READ transaction of its own (it waits for a
-- running advance, never for a fold). elt.maintain(layer => 'metrics') does this once a second;
-- call it by hand to catch up at once, or for the initial build.

create or replace procedure elt.advance_star()
language plpgsql as $$
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        commit;
        set transaction isolation level repeatable read;
    end if;
    lock table elt.star_watermark in share row exclusive mode;
    perform elt.advance_star_tables();
end
$$;

comment on procedure elt.advance_star() is
    'Advance the star tables (dimensions, facts, calendar) to the changes replicated so far, in a repeatable read transaction of its own (waits for a running advance).';
