-- elt.begin_maintenance
-- call elt.begin_maintenance(): start the transaction a fold or rebuild runs in. REPEATABLE READ,
-- so the snapshot its watermark records is the one every query of it reads; and the lock of its
-- layer first (migrations/warehouse/0013), before that snapshot is taken, so two maintainers of
-- one layer wait for each other instead of one failing with a serialization error, while the
-- layers never wait for each other. Readers are never blocked by the locks.
-- With a layer ('answers' or 'metrics', as elt.maintain runs them) it always starts a new
-- transaction, committing what came before. Without one (every layer: elt.fold, elt.rebuild_all)
-- it does so outside a transaction block; inside a REPEATABLE READ block it joins it (its
-- snapshot may then predate the lock); inside a READ COMMITTED one it fails with "invalid
-- transaction termination".
-- Every choice is made before the commit: in a repeatable read transaction any expression
-- PL/pgSQL evaluates takes the snapshot (measured, even `layer = 'answers'`), and a LOCK TABLE
-- statement after it would be too late.

create or replace procedure elt.begin_maintenance(layer text default null)
language plpgsql as $$
begin
    if layer = 'answers' then
        commit;
        set transaction isolation level repeatable read;
        lock table elt.answers_maintenance_lock in share row exclusive mode;
    elsif layer = 'metrics' then
        commit;
        set transaction isolation level repeatable read;
        lock table elt.metrics_maintenance_lock in share row exclusive mode;
    elsif layer is not null then
        perform elt.aggregates_in(layer);  -- says which layers there are
    else
        if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
            commit;
            set transaction isolation level repeatable read;
        end if;
        lock table elt.answers_maintenance_lock, elt.metrics_maintenance_lock in share row exclusive mode;
    end if;
end
$$;

comment on procedure elt.begin_maintenance(text) is
    'Start the repeatable read transaction of a fold or rebuild of one layer (answers, metrics) or of all (null), holding the lock that keeps two of them from running at once (called by elt.fold, elt.rebuild, elt.rebuild_all, elt.maintain).';
