-- elt.begin_maintenance
-- call elt.begin_maintenance(): start the transaction a fold or rebuild runs in. REPEATABLE READ,
-- so the snapshot its watermark records is the one every query of it reads; and the lock on
-- elt.watermark first, before that snapshot is taken, so two maintainers wait for each other
-- instead of one failing with a serialization error. Readers are never blocked by the lock.
-- Outside a transaction block it commits what came before; inside a REPEATABLE READ block it
-- joins it (its snapshot may then predate the lock); inside a READ COMMITTED one it fails
-- with "invalid transaction termination".

create or replace procedure elt.begin_maintenance()
language plpgsql as $$
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        commit;
        set transaction isolation level repeatable read;
    end if;
    lock table elt.watermark in share row exclusive mode;
end
$$;

comment on procedure elt.begin_maintenance() is
    'Start the repeatable read transaction of a fold or rebuild, holding the lock that keeps two of them from running at once (called by elt.fold, elt.rebuild, elt.rebuild_all, elt.maintain).';
