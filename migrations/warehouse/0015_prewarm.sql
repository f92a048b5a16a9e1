-- 0015_prewarm
-- pg_prewarm (a contrib module shipped with PostgreSQL), for elt.prewarm: the deploy reads into
-- shared buffers the rows and indexes the deltas and folds look up by key. On these VMs the OS
-- keeps little cache, so a page not in shared buffers is a disk read (0.3-0.5 ms): at 10M orders,
-- right after a restart, the delta of a served pending_items waited 19.6 ms of its 27.8 on 54
-- such reads.

create extension if not exists pg_prewarm;
