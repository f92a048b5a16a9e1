-- elt.fold
-- call elt.fold(): fold every aggregate now, in one REPEATABLE READ transaction of its own
-- (elt.begin_maintenance: it waits for a running fold or rebuild rather than fail beside it).
-- elt.maintain does this every tenth of a second; call it by hand to catch up at once.

create or replace procedure elt.fold()
language plpgsql as $$
begin
    call elt.begin_maintenance();
    perform elt.fold_aggregates();
end
$$;

comment on procedure elt.fold() is
    'Fold the changes since the watermarks into every maintained part now, in a repeatable read transaction of its own (waits for a running fold or rebuild).';
