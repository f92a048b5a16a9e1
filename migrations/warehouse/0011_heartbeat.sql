-- 0011_heartbeat
-- The replicated copy of the source's elt.heartbeat (replication/publication.sql): one row that
-- `cli-app watch` advances at the source and waits for here, to time the replication without
-- writing into the shop's tables. Replication maps it by name, hence the same schema and
-- columns. Written only by the subscription, read by the ELT.

create table elt.heartbeat (
    id      integer primary key,
    beat    bigint not null,
    beat_at timestamptz not null
);
comment on table elt.heartbeat is
    'Replicated from the source''s elt.heartbeat: the last beat `cli-app watch` wrote there; the gap between writing it and seeing it here is the replication lag.';
comment on column elt.heartbeat.id is 'Always 1: one row.';
comment on column elt.heartbeat.beat is 'Increases with every beat.';
comment on column elt.heartbeat.beat_at is 'When the beat was written at the source (its clock).';
revoke all on elt.heartbeat from public;
