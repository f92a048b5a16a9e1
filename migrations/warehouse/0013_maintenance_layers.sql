-- 0013_maintenance_layers
-- The aggregates are maintained in two layers, each with a loop, a lock and a pg_cron job of its
-- own (elt.maintain(layer => ...)): the answers, aggregates over the clean rows, folded every
-- 0.1 s; and the metrics, aggregates over the star tables' facts, folded every second right
-- after the star tables advance. Sharing one loop and one lock, a metric's rebuild (3-14 s at 1M
-- orders) held every answer's fold for as long: in a 10-minute run at 500 tx/s the answers'
-- pending changes then looked dearer to fold than to rebuild, and round after round rebuilt
-- (fold lag p50 105 s, every answer still exact).
-- A fold or rebuild of one layer locks that layer's table below before it takes its snapshot; one
-- of every layer (elt.fold, elt.rebuild_all) locks both. So the layers never wait for each other,
-- and two maintainers of one layer always do, instead of one failing on a serialization error.
-- Tables, not advisory locks: a LOCK TABLE statement takes no snapshot, and any expression in a
-- repeatable read transaction does (measured in PL/pgSQL, even `layer = 'answers'`).

create table elt.answers_maintenance_lock ();
create table elt.metrics_maintenance_lock ();
comment on table elt.answers_maintenance_lock is
    'Never holds a row: every fold and rebuild of the answers'' aggregates locks it before taking its snapshot (elt.begin_maintenance), so two never run at once.';
comment on table elt.metrics_maintenance_lock is
    'Never holds a row: every fold and rebuild of the metrics'' aggregates locks it before taking its snapshot (elt.begin_maintenance), so two never run at once.';
revoke all on elt.answers_maintenance_lock, elt.metrics_maintenance_lock from public;

-- elt.maintain gained its layer, and the metrics' loop advances the star tables itself: the old
-- signatures go, so that `call elt.maintain()` names one procedure.
drop procedure if exists elt.maintain(interval, interval);
drop procedure if exists elt.maintain_star(interval, interval);
drop procedure if exists elt.begin_maintenance();
drop function if exists elt.maintain_round();
