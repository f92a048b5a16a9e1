-- elt.check_history
-- Whether the change logs can still say what the tables held at a moment: the moment must not
-- be in the future, nor before the newest log entry elt.purge has deleted (the replicated
-- tables' logs for the four answers, the facts' logs for the metrics). Raises a clear error
-- otherwise; every analytics.*_as_of function calls it first.

create or replace function elt.check_history(at timestamptz, logs text default 'changes')
returns void
language plpgsql stable as $$
declare
    r elt.changelog_retention;
    since timestamptz;
begin
    select * into r from elt.changelog_retention;
    since := case logs when 'facts' then r.facts_from else r.changes_from end;
    if at is null then
        raise exception 'no moment given' using errcode = 'invalid_parameter_value';
    elsif at > clock_timestamp() then
        raise exception 'the moment % is in the future', at
            using errcode = 'invalid_parameter_value', hint = 'Ask for the present without --as-of.';
    elsif at < since then
        raise exception 'the moment % is outside the change log''s retention: it can rebuild moments from % on', at, since
            using errcode = 'invalid_parameter_value',
                  hint = format('Log entries are kept for %s (elt.changelog_retention.keep, shown by cli-app status).',
                                r.keep);
    end if;
end
$$;

comment on function elt.check_history(timestamptz, text) is
    'Raise a clear error when the change logs (''changes'': the replicated tables''; ''facts'': the facts'') cannot rebuild a moment: in the future, or before elt.changelog_retention''s start.';
