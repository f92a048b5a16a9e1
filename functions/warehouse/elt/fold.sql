-- elt.fold
-- call elt.fold(): fold every aggregate now, in one REPEATABLE READ transaction of its own.
-- elt.maintain does this every second; call it by hand to catch up at once (tests, benches).
-- The lock on elt.watermark is taken before the transaction's first query, so its snapshot
-- is taken after any other fold or rebuild commits: they wait for each other instead of
-- failing with a serialization error. Readers are never blocked by it.

create or replace procedure elt.fold()
language plpgsql as $$
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        commit;
        set transaction isolation level repeatable read;
    end if;
    lock table elt.watermark in share row exclusive mode;
    perform elt.fold_aggregates();
end
$$;

comment on procedure elt.fold() is
    'Fold the changes since the watermarks into every maintained part now, in a repeatable read transaction of its own (waits for a running fold or rebuild).';
