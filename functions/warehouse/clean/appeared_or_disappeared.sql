-- clean.appeared_or_disappeared
-- Of the keys changed since a watermark (a map key -> row as of then, from clean.changed_keys),
-- those whose existence differs between then and now. Rows that merely changed (a new name, a
-- new price) are left out: only existence matters to the validity of the rows that refer to
-- them, so a price change costs the deltas nothing.
-- The current rows are looked up by key through the primary key, never scanned.

create or replace function clean.appeared_or_disappeared(rows_then jsonb, changed_table text, key_column text)
returns bigint[]
language plpgsql stable as $$
declare
    changed bigint[] := array(select k::bigint from jsonb_object_keys(rows_then) as k);
    present bigint[];
begin
    execute format('select array(select t.%1$I from operations.%2$I as t where t.%1$I = any($1))',
                   key_column, changed_table)
        into present using changed;
    return array(
        select c.key
        from unnest(changed) as c (key)
        where (rows_then -> c.key::text <> 'null'::jsonb) <> (c.key = any(present))
    );
end
$$;

comment on function clean.appeared_or_disappeared(jsonb, text, text) is
    'Keys changed since a watermark whose row appeared or disappeared since (existence differs between then and now).';
