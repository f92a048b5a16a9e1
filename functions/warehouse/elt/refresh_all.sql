-- elt.refresh_all
-- call elt.refresh_all(): every aggregate, in one REPEATABLE READ transaction, so all the
-- historic parts share one watermark. Same transaction rules as elt.refresh.

create or replace procedure elt.refresh_all()
language plpgsql as $$
declare
    name text;
begin
    if current_setting('transaction_isolation') not in ('repeatable read', 'serializable') then
        commit;
        set transaction isolation level repeatable read;
    end if;
    for name in select w.aggregate from elt.watermark as w order by w.aggregate loop
        perform elt.refresh_aggregate(name);
    end loop;
end
$$;

comment on procedure elt.refresh_all() is
    'Rebuild every aggregate''s historic part and advance the watermarks, in one repeatable read transaction.';
