-- elt.aggregates_of
-- The declared aggregates an answer is made of: the aggregate itself, or those whose answer
-- view or top-k function the answer's view reads (top_dates reads open_orders_by_date_top), so
-- `call elt.rebuild('top_dates')` rebuilds what top_dates shows.

create or replace function elt.aggregates_of(answer text)
returns text[]
language sql stable as $$
    select array(
        select g.name
        from elt.aggregate as g
        where g.name = answer
           or exists (
               select
               from pg_rewrite as r
               join pg_depend as d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
               where r.ev_class = to_regclass(format('analytics.%I', answer))
                 and ((d.refclassid = 'pg_class'::regclass
                       and d.refobjid = to_regclass(format('analytics.%I', g.name)))
                   or (d.refclassid = 'pg_proc'::regclass
                       and d.refobjid = to_regprocedure(format('analytics.%I(integer)', g.name || '_top')))))
        order by g.name)
$$;

comment on function elt.aggregates_of(text) is
    'Declared aggregates that make up an answer: itself when it is one, else those its view reads (e.g. top_dates -> open_orders_by_date).';
