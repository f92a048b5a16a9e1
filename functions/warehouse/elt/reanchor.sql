-- elt.reanchor
-- Make an aggregate's maintained part equal its analytics.<name>_hist, writing only the rows
-- that differ (none, when the folds kept it exact and nothing changed since), so a rebuild
-- costs readers no churn. Returns the rows written. The caller moves the watermark.

create or replace function elt.reanchor(a elt.aggregate)
returns bigint
language plpgsql as $$
declare
    changed bigint;
    gone bigint;
begin
    execute elt.aggregate_sql(a, 'reanchor') into changed;
    execute elt.aggregate_sql(a, 'reanchor_gone') into gone;
    execute elt.aggregate_sql(a, 'drop_zeros');
    return changed + gone;
end
$$;

comment on function elt.reanchor(elt.aggregate) is
    'Set analytics.<name>_maintained to analytics.<name>_hist, writing only the differing rows; returns their number.';
