-- clean.quarantine
-- Every replicated row that fails a quality rule, once, under the first rule it fails, with the
-- row itself. With clean.<table> it accounts for every row of operations.<table>: nothing is
-- dropped silently. Quarantined rows are left out of every analytics answer.

create or replace view clean.quarantine as
select 'orders'::text as table_name, q.order_id as row_id, q.quarantine_rule as rule,
       to_jsonb(q) - 'quarantine_rule' as row_image
from clean.orders_checked as q
where q.quarantine_rule is not null
union all
select 'order_items'::text, q.order_item_id, q.quarantine_rule, to_jsonb(q) - 'quarantine_rule'
from clean.order_items_checked as q
where q.quarantine_rule is not null;

comment on view clean.quarantine is
    'Rows of operations.* that fail a quality rule, each once under the first rule it fails; left out of the analytics. Staging count = clean count + quarantined count, per table.';
comment on column clean.quarantine.table_name is 'Table of operations the row comes from (orders or order_items; customers and products have no rules).';
comment on column clean.quarantine.row_id is 'Primary key of the row in that table.';
comment on column clean.quarantine.rule is 'First rule the row fails: see clean.order_rule and clean.order_item_rule.';
comment on column clean.quarantine.row_image is 'The row as the clean layer sees it (typed, quanity renamed quantity).';
