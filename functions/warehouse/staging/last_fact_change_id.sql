-- staging.last_fact_change_id
-- The newest id of the facts' change logs, as staging.last_change_id is for the replicated
-- tables' logs: what the metrics' pending changes are counted against (migrations/warehouse/0014).

create or replace function staging.last_fact_change_id() returns bigint
language sql stable as $$
    select coalesce(pg_sequence_last_value('staging.fact_change_id_seq'), 0)
$$;
comment on function staging.last_fact_change_id() is
    'The newest change id drawn from staging.fact_change_id_seq (the facts'' logs), read without touching the logs.';
