-- elt.dimension_sql
-- The SQL of a type-2 dimension (analytics.dim_customer, analytics.dim_product), as text: the
-- one place where a dimension is declared (which log, which key, which attributes) and where
-- its versions are derived from the log, so the recompute and the advance cannot disagree.
--   part 'recompute': every version, from every entry of the log (the specification);
--   part 'advance':   one statement that brings the dimension table from the watermark `since`
--                     to the caller's snapshot, returning the rows it wrote.
-- The rule, per key, over its log entries in change_id order (an update that changes the id
-- counts as a delete of the old id and an insert of the new one):
--   * the key's state after each transaction is the last entry at that applied_at (entries of
--     one transaction share it), so a version never lasts zero time;
--   * a version starts where the key comes to exist, or its attributes change, and ends at
--     the next such moment or where the key stops existing; a delete thus closes the version
--     and leaves none current, and equal attributes in a row make one version, not several.
-- The advance runs the same rule over the entries after the watermark, preceded by each
-- touched key's current version as if it were an entry: versions only ever get appended, and
-- the current one closed, so that is all the state the rule needs.

create or replace function elt.dimension_sql(dimension text, part text, since pg_snapshot default null)
returns text
language plpgsql immutable as $$
declare
    log_table text;       -- the staging log and operations table the dimension comes from
    id_column text;       -- the table's key
    dim text;             -- analytics.<dim>
    version_id text;      -- the dimension's surrogate key
    key_column text;      -- the dimension's natural key
    key_expr text;        -- key_column from a row of the table (%1$s)
    attrs text[];         -- the attributes the dimension keeps ...
    exprs text[];         -- ... each from a row of the table (%1$s)
    after_watermark text;
    events text;
    versions text;
    attr_list text;
begin
    if dimension = 'customer' then
        -- Coarse attributes only: the name and the address are personal data (README).
        log_table := 'customers'; id_column := 'customer_id'; dim := 'dim_customer';
        version_id := 'customer_version_id'; key_column := 'customer_key';
        key_expr := 'elt.customer_key((%1$s).customer_id)';
        attrs := array['area', 'is_active'];
        exprs := array['clean.address_area((%1$s).customer_address)', '(%1$s).is_active'];
    elsif dimension = 'product' then
        log_table := 'products'; id_column := 'product_id'; dim := 'dim_product';
        version_id := 'product_version_id'; key_column := 'product_id';
        key_expr := '(%1$s).product_id';
        attrs := array['product_name', 'barcode', 'unit_price', 'is_active'];
        exprs := array['(%1$s).product_name::text', '(%1$s).barcode::text', '(%1$s).unity_price::numeric',
                       '(%1$s).is_active'];
    else
        raise exception 'unknown dimension "%"', dimension
            using hint = 'Known: customer, product.', errcode = 'invalid_parameter_value';
    end if;
    attr_list := elt.format_each(attrs, '%I');
    -- The bound written in, as staging.first_touches_sql does: a plan for an unknown xmin would
    -- expect a third of the log and scan all of it.
    after_watermark := case when since is null then 'true' else
        format('c.xact_id >= %L::xid8 and not pg_visible_in_snapshot(c.xact_id, %L::pg_snapshot)',
               pg_snapshot_xmin(since), since) end;

    -- (key, change_id, applied_at, present, attributes...): where a key gets a row (present,
    -- with the row's attributes) and where it loses one (the attributes of no row, typed).
    events := format($q$
        select %1$s as key, c.change_id, c.applied_at, true as present, %2$s
        from staging.%3$I as c
        where %4$s and c.operation <> 'DELETE'
        union all
        select %5$s, c.change_id, c.applied_at, false, %6$s
        from staging.%3$I as c
        where %4$s
          and (c.operation = 'DELETE'
               or (c.operation = 'UPDATE' and (c.old_row).%7$I is distinct from (c.new_row).%7$I))
        $q$,
        format(key_expr, 'c.new_row'),
        (select string_agg(format(e.expr, 'c.new_row') || format(' as %I', e.attr), ', ' order by e.n)
         from unnest(exprs, attrs) with ordinality as e (expr, attr, n)),
        log_table || '_changes', after_watermark,
        format(key_expr, 'c.old_row'),
        (select string_agg(format(e.expr, format('null::operations.%I', log_table)), ', ' order by e.n)
         from unnest(exprs) with ordinality as e (expr, n)),
        id_column);

    -- From a relation "events" of that shape to the versions (key, attributes..., valid_from,
    -- valid_to) of the keys it holds.
    versions := format($q$
        moments as (
            select distinct on (e.key, e.applied_at) e.*
            from events as e
            order by e.key, e.applied_at, e.change_id desc
        ),
        marked as (
            select m.*, lag(m.present) over by_time as was_present, %1$s
            from moments as m
            window by_time as (partition by m.key order by m.applied_at)
        ),
        boundaries as (
            select b.key, b.applied_at, b.present, %2$s
            from marked as b
            where not b.present or not coalesce(b.was_present, false) or row(%2$s) is distinct from row(%3$s)
        ),
        versions as (
            select b.key, %2$s, b.applied_at as valid_from,
                   lead(b.applied_at) over (partition by b.key order by b.applied_at) as valid_to, b.present
            from boundaries as b
        )
        $q$,
        elt.format_each(attrs, 'lag(m.%1$I) over by_time as %1$I_before'),
        attr_list,
        elt.format_each(attrs, '%I_before'));

    if part = 'recompute' then
        return format($q$
            with events as (%1$s),
            %2$s
            select v.key as %3$I, %4$s, v.valid_from, v.valid_to, v.valid_to is null as is_current
            from versions as v
            where v.present
            $q$, events, versions, key_column, elt.format_each(attrs, 'v.%I'));
    elsif part = 'advance' then
        if since is null then
            raise exception 'the advance of a dimension needs a watermark' using errcode = 'invalid_parameter_value';
        end if;
        return format($q$
            with events_after as materialized (%1$s),
            touched as materialized (
                select d.%2$I as version_id, d.%3$I as key, d.valid_from, %4$s
                from analytics.%5$I as d
                where d.%3$I = any(array(select distinct e.key from events_after as e)) and d.valid_to is null
            ),
            events as (
                select t.key, 0::bigint as change_id, t.valid_from as applied_at, true as present, %6$s
                from touched as t
                union all
                select e.key, e.change_id, e.applied_at, e.present, %7$s
                from events_after as e
            ),
            %8$s,
            result as materialized (select * from versions as v where v.present),
            closed as (
                update analytics.%5$I as d
                set valid_to = r.valid_to, %9$s
                from touched as t
                join result as r on r.key = t.key and r.valid_from = t.valid_from
                where d.%2$I = t.version_id and row(d.valid_to, %10$s) is distinct from row(r.valid_to, %11$s)
                returning 1
            ),
            opened as (
                insert into analytics.%5$I (%3$I, %12$s, valid_from, valid_to)
                select r.key, %11$s, r.valid_from, r.valid_to
                from result as r
                where not exists (select from touched as t where t.key = r.key and t.valid_from = r.valid_from)
                returning 1
            )
            select (select count(*) from closed) + (select count(*) from opened)
            $q$,
            events, version_id, key_column, elt.format_each(attrs, 'd.%I'), dim,
            elt.format_each(attrs, 't.%I'), elt.format_each(attrs, 'e.%I'), versions,
            elt.format_each(attrs, '%1$I = r.%1$I'), elt.format_each(attrs, 'd.%I'),
            elt.format_each(attrs, 'r.%I'), attr_list);
    end if;
    raise exception 'unknown part "%" of a dimension', part
        using hint = 'Known: recompute, advance.', errcode = 'invalid_parameter_value';
end
$$;

comment on function elt.dimension_sql(text, text, pg_snapshot) is
    'SQL of a type-2 dimension (customer, product) from its change log: recompute (every version, from the whole log) or advance (bring analytics.dim_<dimension> from a watermark to now; returns rows written). Used by the _recompute views and elt.advance_star_tables.';
