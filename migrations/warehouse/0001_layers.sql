-- 0001_layers
-- One schema per layer, so that \dn in psql draws the architecture.

create schema if not exists operations;
comment on schema operations is
    'Staging layer: replicated copies of the source tables. Written only by the subscription.';

create schema staging;
comment on schema staging is
    'Raw material beside the replicated copies: the append-only changelog. ELT only.';

create schema clean;
comment on schema clean is
    'Typed, deduplicated current rows, and clean.quarantine for rows that fail a rule. ELT only.';

create schema analytics;
comment on schema analytics is
    'Dimensions, facts and aggregates: the public surface analysts query.';

create schema elt;
comment on schema elt is
    'Control room: watermarks, refresh log, checks and procedures. ELT only.';
