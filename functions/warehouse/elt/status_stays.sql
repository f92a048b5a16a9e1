-- elt.status_stays
-- An order's passage through the statuses, from the times it first reached each
-- (analytics.fct_order): one row per status reached, with when it moved on, that is the first
-- time it reached a status it had not reached before. Orders can go back (REPROCESSING after
-- COMPLETED), and only first times are kept, so a stay is "until the next first time": a stay
-- still going has no end. One definition for the funnel's source (analytics.order_status_stays)
-- and its delta (elt.order_status_stays_changed_since).

create or replace function elt.status_stays(o analytics.fct_order)
returns table (status text, reached_at timestamptz, left_at timestamptz)
language sql immutable as $$
    select m.status, m.reached_at,
           (select min(n.at)
            from (values (o.pending_at), (o.processing_at), (o.reprocessing_at), (o.completed_at)) as n (at)
            where n.at > m.reached_at)
    from (values ('PENDING', o.pending_at), ('PROCESSING', o.processing_at),
                 ('REPROCESSING', o.reprocessing_at), ('COMPLETED', o.completed_at)) as m (status, reached_at)
    where m.reached_at is not null
$$;

comment on function elt.status_stays(analytics.fct_order) is
    'The statuses an order (a row of analytics.fct_order) reached, each with when it was first reached and when the order first reached a status it had not reached before (null while it stays).';
