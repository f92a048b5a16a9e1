-- staging.<table>_as_of
-- What a logged table held at a moment, rebuilt from its change log: a row no entry after the
-- moment touches is as it is now; a touched key held the old row of its first entry after the
-- moment, or nothing if that entry created it (an update that changes the key counts as a delete
-- of the old key and an insert of the new one, as in staging.first_touches_sql).
-- "After the moment" means applied by a transaction that started after it (applied_at): the
-- apply worker commits one transaction after another, so each moment between two of them is
-- one the warehouse really showed. Reads the current table once and the log's entries after the
-- moment (a block range index on applied_at).
-- One function per logged table, the replicated ones and the facts, generated here from one text.

do $$
declare
    t record;
begin
    for t in
        select * from (values ('customers', 'operations', 'customers', 'customer_id'),
                              ('products', 'operations', 'products', 'product_id'),
                              ('orders', 'operations', 'orders', 'order_id'),
                              ('order_items', 'operations', 'order_items', 'order_item_id'),
                              ('fct_order', 'analytics', 'fct_order', 'order_id'),
                              ('fct_order_item', 'analytics', 'fct_order_item', 'order_item_id'))
            as v (log, schema_name, table_name, key_column)
    loop
        execute format($f$
            create or replace function staging.%1$I(at timestamptz)
            returns setof %2$I.%3$I
            language sql stable
            set max_parallel_workers_per_gather = 0
            as $body$
                with firsts as materialized (
                    select distinct on (t.key) t.key, t.existed, t.image
                    from (
                        select c.change_id, (c.old_row).%4$I as key, true as existed, c.old_row as image
                        from staging.%5$I as c
                        where c.applied_at > at and c.operation <> 'INSERT'
                        union all
                        select c.change_id, (c.new_row).%4$I, false, null
                        from staging.%5$I as c
                        where c.applied_at > at
                          and (c.operation = 'INSERT'
                               or (c.operation = 'UPDATE' and (c.old_row).%4$I is distinct from (c.new_row).%4$I))
                    ) as t
                    order by t.key, t.change_id
                )
                select r.* from %2$I.%3$I as r where not exists (select from firsts as f where f.key = r.%4$I)
                union all
                select (f.image).* from firsts as f where f.existed
            $body$;
            comment on function staging.%1$I(timestamptz) is
                'The rows of %2$s.%3$s as of a moment, rebuilt from staging.%5$s (check the moment with elt.check_history first).';
            $f$, t.log || '_as_of', t.schema_name, t.table_name, t.key_column, t.log || '_changes');
    end loop;
end
$$;
