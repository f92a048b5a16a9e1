-- 0014_fact_change_ids
-- The facts' logs draw their ids from a sequence of their own. Sharing staging.change_id_seq
-- with the replicated tables' logs, every id counted as pending for every aggregate: the metrics
-- saw the replicated traffic (4000 ids a second at 500 tx/s) as changes of theirs, looked too far
-- behind to fold and rebuilt round after round (3-21 s each at 1M orders); and one star advance
-- after such a gap wrote tens of thousands of fact entries that the answers counted as theirs,
-- past their rebuild_above, so they rebuilt too. Now an aggregate's pending changes are counted
-- in the ids of the logs it reads (staging.last_fact_change_id for the metrics).
-- The new sequence starts where the shared one is, so the metrics' watermarks, counted in it
-- until now, stay at or below it.

create sequence staging.fact_change_id_seq as bigint;
do $$
begin
    perform setval('staging.fact_change_id_seq', greatest(coalesce(pg_sequence_last_value('staging.change_id_seq'), 0), 1));
end
$$;
comment on sequence staging.fact_change_id_seq is
    'Ids of the facts'' change logs (staging.fct_order_changes, staging.fct_order_item_changes), in the order the star tables'' advances wrote them; what the metrics'' pending changes are counted in.';
revoke all on sequence staging.fact_change_id_seq from public;
alter table staging.fct_order_changes alter column change_id set default nextval('staging.fact_change_id_seq');
alter table staging.fct_order_item_changes alter column change_id set default nextval('staging.fact_change_id_seq');
comment on column staging.fct_order_changes.change_id is 'Increasing id from staging.fact_change_id_seq, shared with staging.fct_order_item_changes.';
comment on column staging.fct_order_item_changes.change_id is 'Increasing id from staging.fact_change_id_seq, shared with staging.fct_order_changes.';
