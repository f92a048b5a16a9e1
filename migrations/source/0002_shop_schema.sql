-- 0002_shop_schema (embedded source only)
-- Home of the traffic simulator's procedures (functions/source/shop/), kept apart from
-- operations so the publication and the analytics never see them.

create schema shop;
comment on schema shop is 'Demo traffic: procedures that behave like a shop writing operations.*.';
