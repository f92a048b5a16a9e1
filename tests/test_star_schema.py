"""The star schema (migrations/warehouse/0009_star_schema.sql, elt.advance_star_tables): after
random changes at the source that go through the real replication, with advances at random
points, every star table equals its from-scratch specification, its keys hold, the type-2
ranges neither overlap nor leave a gap the source did not have, and the dimensions as of every
moment recorded during the test are what the source held then."""

import os
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_changes import (DELIVERY_DATES, NAMES, ORDER_DATES, QUANTITIES, STATUSES, apply_batch,
                               reset_source)

PROPERTY = settings(max_examples=int(os.environ.get("ELT_TEST_EXAMPLES", 15)), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# The changes of analytics_changes, over fewer ids: the paths by which a change reaches a fact
# it does not name (an order's validity deciding its items', a customer or product appearing
# after the rows that refer to it) need the same few rows changed again after an advance.
# Customer 3, order 4 and product 3 never exist: rows referring to them are quarantined.
CUSTOMERS, PRODUCTS, ORDERS, ITEMS = st.integers(1, 2), st.integers(1, 2), st.integers(1, 3), st.integers(1, 5)
CHANGES = st.one_of(
    st.tuples(st.just("upsert_customer"), CUSTOMERS, NAMES),
    st.tuples(st.just("delete_customer"), CUSTOMERS),
    st.tuples(st.just("upsert_product"), PRODUCTS),
    st.tuples(st.just("delete_product"), PRODUCTS),
    st.tuples(st.just("upsert_order"), ORDERS, st.one_of(st.integers(1, 3), st.none()), STATUSES, ORDER_DATES,
              DELIVERY_DATES),
    st.tuples(st.just("set_status"), ORDERS, STATUSES),
    st.tuples(st.just("set_delivery"), ORDERS, DELIVERY_DATES),
    st.tuples(st.just("move_customer"), ORDERS, st.integers(1, 3)),
    st.tuples(st.just("renumber_order"), ORDERS, ORDERS),
    st.tuples(st.just("delete_order"), ORDERS),
    st.tuples(st.just("upsert_item"), ITEMS, st.integers(1, 4), st.integers(1, 3), QUANTITIES),
    st.tuples(st.just("move_item"), ITEMS, st.integers(1, 4)),
    st.tuples(st.just("set_quantity"), ITEMS, QUANTITIES),
    st.tuples(st.just("delete_item"), ITEMS),
)
# What runs after a batch: nothing, an advance of the star tables, or a maintenance round
# (which folds the aggregates and advances the star tables in one transaction).
ADVANCE = st.sampled_from([None, "advance", "advance", "round"])
BATCHES = st.lists(st.tuples(st.lists(CHANGES, min_size=1, max_size=6), st.booleans(), ADVANCE),
                   min_size=1, max_size=6)

# Each star table beside its specification, with the columns that make rows comparable.
SPECIFIED = {
    "analytics.dim_customer": ("analytics.dim_customer_recompute",
                               "customer_key, area, is_active, valid_from, valid_to, is_current"),
    "analytics.dim_product": ("analytics.dim_product_recompute",
                              "product_id, product_name, barcode, unit_price, is_active, valid_from, valid_to,"
                              " is_current"),
    "clean.order_milestones": ("clean.order_milestones_recompute",
                               "order_id, placed_at, pending_at, processing_at, reprocessing_at, completed_at"),
    "analytics.fct_order": ("analytics.fct_order_recompute",
                            "order_id, customer_key, customer_version_id, order_date, delivery_date, status,"
                            " lead_time_days, placed_at, pending_at, processing_at, reprocessing_at, completed_at"),
    "analytics.fct_order_item": ("analytics.fct_order_item_recompute",
                                 "order_item_id, order_id, product_id, product_version_id, quantity, unit_price,"
                                 " amount"),
}

# Rows that break a key rule: every query must return none.
KEY_VIOLATIONS = {
    "dim_customer version id or key missing":
        "select * from analytics.dim_customer where customer_version_id is null or customer_key is null",
    "dim_product version id or key missing":
        "select * from analytics.dim_product where product_version_id is null or product_id is null",
    "dim_date key missing": "select * from analytics.dim_date where date_day is null",
    "fct_order key missing": "select * from analytics.fct_order where order_id is null or customer_key is null"
                             " or customer_version_id is null or status is null",
    "fct_order_item key missing": "select * from analytics.fct_order_item where order_item_id is null"
                                  " or order_id is null or product_id is null or product_version_id is null",
    "dim_customer versions not unique": "select customer_version_id from analytics.dim_customer"
                                        " group by customer_version_id having count(*) > 1",
    "dim_product versions not unique": "select product_version_id from analytics.dim_product"
                                       " group by product_version_id having count(*) > 1",
    "dim_date days not unique": "select date_day from analytics.dim_date group by date_day having count(*) > 1",
    "fct_order orders not unique": "select order_id from analytics.fct_order group by order_id having count(*) > 1",
    "fct_order_item items not unique": "select order_item_id from analytics.fct_order_item"
                                       " group by order_item_id having count(*) > 1",
    # Every fact's keys are found in its dimensions, and say the same thing there.
    "fct_order customer version unknown or of another customer":
        "select f.* from analytics.fct_order as f left join analytics.dim_customer as d"
        " on d.customer_version_id = f.customer_version_id"
        " where d.customer_key is distinct from f.customer_key",
    "fct_order customer has no current version":
        "select f.* from analytics.fct_order as f where not exists (select from analytics.dim_customer as d"
        " where d.customer_key = f.customer_key and d.is_current)",
    "fct_order dates missing from dim_date":
        "select f.* from analytics.fct_order as f cross join lateral (values (f.order_date), (f.delivery_date))"
        " as u (day) where u.day is not null"
        " and not exists (select from analytics.dim_date as d where d.date_day = u.day)",
    "fct_order_item order unknown":
        "select i.* from analytics.fct_order_item as i"
        " where not exists (select from analytics.fct_order as o where o.order_id = i.order_id)",
    "fct_order_item product version unknown, of another product or of another price":
        "select i.* from analytics.fct_order_item as i left join analytics.dim_product as d"
        " on d.product_version_id = i.product_version_id"
        " where (d.product_id, d.unit_price, i.quantity * d.unit_price)"
        " is distinct from (i.product_id, i.unit_price, i.amount)",
    "fct_order_item product has no current version":
        "select i.* from analytics.fct_order_item as i where not exists (select from analytics.dim_product as d"
        " where d.product_id = i.product_id and d.is_current)",
    # The calendar has no hole.
    "dim_date has gaps":
        "select min(date_day), max(date_day), count(*) from analytics.dim_date"
        " having count(*) <> coalesce(max(date_day) - min(date_day) + 1, 0)",
}

# The type-2 rules, per dimension: (table, natural key, log, the key of a log row).
DIMENSIONS = {
    "dim_customer": ("customer_key", "customers", "elt.customer_key(({row}).customer_id)"),
    "dim_product": ("product_id", "products", "({row}).product_id"),
}


def scd2_violations(dim: str) -> dict[str, str]:
    key, table, key_of = DIMENSIONS[dim]
    return {
        f"{dim} ranges overlap": f"""
            select a.* from analytics.{dim} as a join analytics.{dim} as b
              on b.{key} = a.{key} and b.valid_from > a.valid_from
             and b.valid_from < coalesce(a.valid_to, 'infinity')""",
        f"{dim} range empty or reversed": f"select * from analytics.{dim} where valid_to <= valid_from",
        f"{dim} is_current wrong": f"select * from analytics.{dim} where is_current <> (valid_to is null)",
        # A gap between two versions, or a closed last version, is only right where the source
        # row was deleted (or moved to another id) at that moment.
        f"{dim} gap or end where the source row was not removed": f"""
            with ends as (
                select v.{key}, v.valid_to,
                       lead(v.valid_from) over (partition by v.{key} order by v.valid_from) as next_from
                from analytics.{dim} as v
            )
            select e.* from ends as e
            where e.valid_to is not null and e.valid_to is distinct from e.next_from
              and not exists (select from staging.{table}_changes as c
                              where c.applied_at = e.valid_to and {key_of.format(row='c.old_row')} = e.{key}
                                and (c.operation = 'DELETE'
                                     or {key_of.format(row='c.old_row')} <> {key_of.format(row='c.new_row')}))""",
        # Exactly one current version for every row the source has now, none for the others.
        f"{dim} current versions are not the source's rows": f"""
            (select {key_of.format(row='t')} from operations.{table} as t
             except all
             select {key} from analytics.{dim} where is_current)
            union all
            (select {key} from analytics.{dim} where is_current
             except all
             select {key_of.format(row='t')} from operations.{table} as t)""",
    }


def star_mismatches(conn: psycopg.Connection) -> dict[str, object]:
    """In one repeatable-read snapshot: each star table against its specification, and every
    key and type-2 rule. Returns what fails (empty when all hold). conn must be autocommit."""
    failures: dict[str, object] = {}
    conn.execute("begin isolation level repeatable read")
    try:
        for table, (spec, columns) in SPECIFIED.items():
            got = conn.execute(f"select {columns} from {table} order by {columns}").fetchall()
            want = conn.execute(f"select {columns} from {spec} order by {columns}").fetchall()
            if got != want:
                failures[table] = (got, want)
        checks = {**KEY_VIOLATIONS, **scd2_violations("dim_customer"), **scd2_violations("dim_product")}
        for name, query in checks.items():
            rows = conn.execute(query).fetchall()
            if rows:
                failures[name] = rows
    finally:
        conn.execute("rollback")
    return failures


def advance(warehouse: psycopg.Connection, how: str | None) -> None:
    if how == "advance":
        warehouse.execute("call elt.advance_star()")
    elif how == "round":
        warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'metrics')")


# What each dimension should hold for the rows of the source at a moment, read from the
# warehouse's copies: the specification of the history, independent of elt.dimension_sql.
SOURCE_STATE = {
    "dim_customer": "select elt.customer_key(customer_id), clean.address_area(customer_address), is_active"
                    " from operations.customers order by 1, 2, 3",
    "dim_product": "select product_id, product_name::text, barcode::text, unity_price, is_active"
                   " from operations.products order by 1, 2, 3, 4, 5",
}
DIMENSION_AS_OF = {
    "dim_customer": "select customer_key, area, is_active from analytics.dim_customer"
                    " where valid_from <= %(at)s and %(at)s < coalesce(valid_to, 'infinity') order by 1, 2, 3",
    "dim_product": "select product_id, product_name, barcode, unit_price, is_active from analytics.dim_product"
                   " where valid_from <= %(at)s and %(at)s < coalesce(valid_to, 'infinity') order by 1, 2, 3, 4, 5",
}


def record_source_state(warehouse: psycopg.Connection) -> tuple:
    """The warehouse's clock and what its copies hold now: every change so far was applied by
    a transaction that started before this moment, and the next will start after it."""
    at = warehouse.execute("select clock_timestamp()").fetchone()[0]
    return at, {dim: warehouse.execute(query).fetchall() for dim, query in SOURCE_STATE.items()}


@PROPERTY
@given(batches=BATCHES, first=ADVANCE)
def test_the_star_tables_equal_their_specification_and_keep_their_keys(source, warehouse, replicated,
                                                                       batches, first):
    reset_source(source)
    replicated.catch_up()
    advance(warehouse, first)
    recorded = [record_source_state(warehouse)]
    for batch, one_transaction, how in batches:
        apply_batch(source, batch, one_transaction)
        replicated.catch_up()
        recorded.append(record_source_state(warehouse))
        advance(warehouse, how)
        if how:
            assert star_mismatches(warehouse) == {}
    advance(warehouse, "advance")
    assert star_mismatches(warehouse) == {}
    # The history: the dimensions as of each recorded moment hold what the source held then.
    for at, state in recorded:
        for dim, query in DIMENSION_AS_OF.items():
            assert warehouse.execute(query, {"at": at}).fetchall() == state[dim], (dim, at)


# A fact changes without a log entry of its own: (rows before an advance, the change after it).
# Each way must reach the fact; random sequences find them too, but seldom.
CUSTOMER, PRODUCT = ("upsert_customer", 1, "Ana Silva"), ("upsert_product", 1)
ORDER = ("upsert_order", 1, 1, "PENDING", date(2026, 1, 1), date(2026, 1, 2))
ITEM = ("upsert_item", 1, 1, 1, 2)
KNOCK_ON = {
    "an order turning clean brings its items": ([CUSTOMER, PRODUCT, ("upsert_order", 1, 1, "LOST", None, None), ITEM],
                                               ("set_status", 1, "PENDING")),
    "an order turning quarantined takes its items": ([CUSTOMER, PRODUCT, ORDER, ITEM], ("set_status", 1, None)),
    "a customer appearing brings its orders and their items": ([PRODUCT, ORDER, ITEM], CUSTOMER),
    "a customer disappearing takes its orders and their items": ([CUSTOMER, PRODUCT, ORDER, ITEM],
                                                                 ("delete_customer", 1)),
    "an order moving to an unknown customer": ([CUSTOMER, PRODUCT, ORDER, ITEM], ("move_customer", 1, 2)),
    "a product appearing brings its items": ([CUSTOMER, ORDER, ITEM], PRODUCT),
    "a product disappearing takes its items": ([CUSTOMER, PRODUCT, ORDER, ITEM], ("delete_product", 1)),
    "a renumbered order leaves its items behind": ([CUSTOMER, PRODUCT, ORDER, ITEM], ("renumber_order", 1, 2)),
    "an item leaving an order deleted meanwhile": ([CUSTOMER, PRODUCT, ORDER, ("upsert_order", 2, 1, "PENDING", None, None),
                                                   ITEM], [("delete_order", 1), ("move_item", 1, 2)]),
    "an item moving to a quarantined order": ([CUSTOMER, PRODUCT, ORDER, ("upsert_order", 2, 1, "LOST", None, None),
                                              ITEM], ("move_item", 1, 2)),
    # The product's price rises (upsert_product adds 1) after the order; the order's id is then
    # deleted and placed again: its item takes the new price.
    "an order placed anew reprices its items": ([CUSTOMER, PRODUCT, ORDER, ITEM, PRODUCT],
                                                [("delete_order", 1), ORDER]),
}


@pytest.mark.parametrize("before, change", KNOCK_ON.values(), ids=KNOCK_ON.keys())
def test_a_change_reaches_the_facts_it_does_not_name(source, warehouse, replicated, before, change):
    apply_batch(source, before, one_transaction=False)
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    items = "select order_item_id, unit_price from analytics.fct_order_item_recompute order by order_item_id"
    facts = warehouse.execute("select order_id from analytics.fct_order_recompute order by order_id").fetchall(), \
        warehouse.execute(items).fetchall()
    apply_batch(source, change if isinstance(change, list) else [change], one_transaction=False)
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    assert star_mismatches(warehouse) == {}
    # The change did reach a fact: the scenario tests something.
    assert (warehouse.execute("select order_id from analytics.fct_order_recompute order by order_id").fetchall(),
            warehouse.execute(items).fetchall()) != facts


def test_an_item_is_priced_as_the_product_was_when_its_order_was_placed(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (7, 'Tea', '789', 3.50)")
    source.execute("insert into operations.orders (order_id, order_date, delivery_date, customer_id, status)"
                   " values (1, '2026-01-01', '2026-01-04', 1, 'PENDING')")
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " values (1, 1, 7, 2)")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    source.execute("update operations.products set unity_price = 4.25 where product_id = 7")
    # Added after the price changed, to the order placed before: the order's price.
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " values (2, 1, 7, 1)")
    source.execute("insert into operations.orders (order_id, order_date, delivery_date, customer_id, status)"
                   " values (2, '2026-01-02', '2026-01-03', 1, 'PENDING')")
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " values (3, 2, 7, 4)")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")

    assert warehouse.execute("select unit_price, is_current from analytics.dim_product where product_id = 7"
                             " order by valid_from").fetchall() == [(Decimal("3.50"), False), (Decimal("4.25"), True)]
    assert warehouse.execute("select order_item_id, unit_price, amount from analytics.fct_order_item"
                             " order by order_item_id").fetchall() == [
        (1, Decimal("3.50"), Decimal("7.00")), (2, Decimal("3.50"), Decimal("3.50")),
        (3, Decimal("4.25"), Decimal("17.00"))]
    assert warehouse.execute("select order_id, lead_time_days from analytics.fct_order order by order_id"
                             ).fetchall() == [(1, 3), (2, 1)]
    assert star_mismatches(warehouse) == {}


def test_statuses_are_timed_when_first_reached_in_the_orders_current_life(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                   " values (1, '2026-01-01', 1, 'PENDING')")
    for status in ("PROCESSING", "REPROCESSING", "PROCESSING", "COMPLETED"):
        source.execute("update operations.orders set status = %s where order_id = 1", [status])
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    applied = [r[0] for r in warehouse.execute(
        "select applied_at from staging.orders_changes order by change_id").fetchall()]
    assert warehouse.execute("select placed_at, pending_at, processing_at, reprocessing_at, completed_at"
                             " from analytics.fct_order").fetchall() == [
        (applied[0], applied[0], applied[1], applied[2], applied[4])]

    # The id deleted and used again: a new life, timed from its new creation.
    source.execute("delete from operations.orders where order_id = 1")
    source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                   " values (1, '2026-01-02', 1, 'PROCESSING')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    created = warehouse.execute("select max(applied_at) from staging.orders_changes").fetchone()[0]
    assert warehouse.execute("select placed_at, pending_at, processing_at, completed_at from analytics.fct_order"
                             ).fetchall() == [(created, None, created, None)]
    assert star_mismatches(warehouse) == {}


def test_a_deleted_row_closes_its_version_and_a_returning_one_opens_a_new_one(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name, customer_address)"
                   " values (1, 'Ana Silva', '12 Rua Augusta, 1100-048 Lisboa')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    source.execute("update operations.customers set customer_name = 'Ana Souza' where customer_id = 1")
    source.execute("delete from operations.customers where customer_id = 1")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    # The new name made no version (the dimension keeps no name); the delete closed the one.
    versions = warehouse.execute("select area, valid_to is not null, is_current from analytics.dim_customer"
                                 ).fetchall()
    assert versions == [("Lisboa", True, False)]

    source.execute("insert into operations.customers (customer_id, customer_name, customer_address)"
                   " values (1, 'Ana Silva', '40 Harbour Road')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    rows = warehouse.execute("select customer_key, area, valid_from, valid_to from analytics.dim_customer"
                             " order by valid_from").fetchall()
    assert [(r[1], r[3] is None) for r in rows] == [("Lisboa", False), ("Harbour Road", True)]
    assert rows[0][0] == rows[1][0], "the same customer keeps its pseudonym"
    assert rows[0][3] < rows[1][2], "the time the customer did not exist is a gap"
    assert star_mismatches(warehouse) == {}


def test_the_customer_dimension_holds_a_keyed_pseudonym_and_no_personal_data(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name, customer_address) values"
                   " (1, 'Ana Silva', '12 Rua Augusta, 1100-048 Lisboa'), (2, 'Bruno Souza', '1234 Market Street'),"
                   " (3, 'Carla Costa', null)")
    source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                   " values (1, '2026-01-01', 1, 'PENDING'), (2, '2026-01-01', 2, 'PENDING')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")

    keys = dict(warehouse.execute("select area, customer_key from analytics.dim_customer where area is not null"
                                  ).fetchall())
    assert set(keys) == {"Lisboa", "Market Street"}
    # Keyed: the hash of the id without the key is not the pseudonym, and another key gives
    # other pseudonyms.
    plain = warehouse.execute("select encode(substring(sha256('1'::bytea) from 1 for 16), 'hex')").fetchone()[0]
    assert keys["Lisboa"] != plain and len(keys["Lisboa"]) == 32
    warehouse.execute("update elt.pseudonym_key set key = gen_random_bytes(32)")
    assert warehouse.execute("select elt.customer_key(1)").fetchone()[0] != keys["Lisboa"]

    # Nothing of a name, an address or a customer id in any star table.
    star = ("dim_customer", "dim_product", "dim_date", "fct_order", "fct_order_item")
    columns = {r[0] for r in warehouse.execute(
        "select attname from pg_attribute where attrelid = any(%s::regclass[]) and attnum > 0",
        [[f"analytics.{t}" for t in star]]).fetchall()}
    assert not columns & {"customer_id", "customer_name", "customer_address"}
    for table in star:
        text = warehouse.execute(f"select coalesce(string_agg(t::text, ' '), '') from analytics.{table} as t"
                                 ).fetchone()[0]
        for personal in ("Ana", "Bruno", "Carla", "Augusta", "1234 Market", "1100-048"):
            assert personal not in text, (table, personal)


def test_every_personal_column_is_listed_and_exists(warehouse):
    listed = warehouse.execute("select schema_name, table_name, column_name, kind from elt.personal_columns"
                               ).fetchall()
    for schema, table, column, kind in listed:
        assert kind in ("direct", "linkable", "secret")
        assert warehouse.execute(
            "select count(*) from pg_attribute where attrelid = to_regclass(%s) and attname = %s and not attisdropped",
            [f"{schema}.{table}", column]).fetchone()[0] == 1, (schema, table, column)
    # Any column named like personal data, anywhere in the warehouse, is on the list.
    named = warehouse.execute("""
        select n.nspname, c.relname, a.attname
        from pg_attribute as a join pg_class as c on c.oid = a.attrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('operations', 'staging', 'clean', 'analytics', 'elt')
          and c.relkind in ('r', 'v', 'm', 'p') and a.attnum > 0 and not a.attisdropped
          and (a.attname ~ '(name|address)$' and c.relname ~ 'customer' or a.attname = 'customer_id')""").fetchall()
    assert named and set(named) <= {(s, t, c) for s, t, c, _ in listed}
    # The customers' log images, which hold names and addresses, are listed as such.
    assert {("staging", "customers_changes", "old_row", "direct"),
            ("staging", "customers_changes", "new_row", "direct")} <= set(listed)


def test_the_calendar_covers_the_facts_dates_with_iso_weeks(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    source.execute("insert into operations.orders (order_id, order_date, delivery_date, customer_id, status,"
                   " created_at) values (1, '2025-12-28', '2026-01-05', 1, 'PENDING', '2025-12-28')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    days = warehouse.execute("select date_day, iso_year, iso_week, week_start, day_of_week, day_name, is_weekend"
                             " from analytics.dim_date order by date_day").fetchall()
    expected = []
    for n in range(9):
        day = date(2025, 12, 28) + timedelta(days=n)
        iso = day.isocalendar()
        expected.append((day, iso.year, iso.week, day - timedelta(days=iso.weekday - 1), iso.weekday,
                         day.strftime("%A"), iso.weekday >= 6))
    assert days == expected


def test_a_metrics_round_advances_the_star_and_a_failing_advance_changes_nothing(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                   " values (1, '2026-01-01', 1, 'PENDING')")
    replicated.catch_up()
    warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'metrics')")
    assert warehouse.execute("select count(*) from analytics.fct_order").fetchone()[0] == 1

    # A calendar that refuses new days makes the next advance fail.
    warehouse.execute("alter table analytics.dim_date add constraint refuse check (date_day < '2026-01-02')")
    source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                   " values (2, '2026-02-01', 1, 'PENDING')")
    replicated.catch_up()
    warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'metrics')")
    warehouse.execute("call elt.fold()")
    assert warehouse.execute("select error is not null from elt.star_log order by advance_id desc limit 1"
                             ).fetchone()[0]
    assert warehouse.execute("select count(*) from analytics.fct_order").fetchone()[0] == 1
    assert warehouse.execute("select open_orders from analytics.open_orders_maintained").fetchall() == [(2,)]

    warehouse.execute("alter table analytics.dim_date drop constraint refuse")
    warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'metrics')")
    assert warehouse.execute("select count(*) from analytics.fct_order").fetchone()[0] == 2
    assert star_mismatches(warehouse) == {}


def test_the_advance_reads_the_changed_keys_by_index_not_the_tables(source, warehouse, replicated):
    # The everyday traffic: statuses, prices, addresses, new orders. (A deleted customer takes
    # its orders' items along, 1% of them at this size, where a hash join is the planner's right
    # choice; at 1M orders it is 100 items of 5M.) customers, products and the dimensions are
    # tiny here, where a scan is right too.
    source.execute("call shop.add_customers(200)")
    source.execute("call shop.add_products(50)")
    source.execute("call shop.place_orders(3000)")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    for table in ("operations.customers", "operations.products", "operations.orders", "operations.order_items",
                  "staging.customers_changes", "staging.products_changes", "staging.orders_changes",
                  "staging.order_items_changes", "analytics.fct_order", "analytics.fct_order_item",
                  "analytics.dim_customer", "analytics.dim_product", "clean.order_milestones"):
        warehouse.execute(f"analyze {table}")
    source.execute("update operations.orders set status = 'PROCESSING'"
                   " where order_id in (select order_id from operations.orders order by order_id limit 3)")
    source.execute("update operations.products set unity_price = unity_price + 1 where product_id = 3")
    source.execute("update operations.customers set customer_address = '9 Harbour Road' where customer_id = 7")
    source.execute("call shop.place_orders(2)")
    replicated.catch_up()

    # A new session, and the advance's work in the transaction whose scans are counted.
    with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password) as maintainer:
        maintainer.execute("set transaction isolation level repeatable read")
        maintainer.execute("select elt.advance_star_tables()")
        scans = maintainer.execute(
            "select schemaname || '.' || relname, seq_scan from pg_stat_xact_user_tables"
            " where relname in ('orders', 'order_items', 'orders_changes', 'order_items_changes',"
            " 'fct_order', 'fct_order_item', 'order_milestones') and seq_scan > 0").fetchall()
    assert scans == []
    assert warehouse.execute("select rows_written > 0 from elt.star_log order by advance_id desc limit 1"
                             ).fetchone()[0]
    assert star_mismatches(warehouse) == {}



def test_each_layer_keeps_its_own_pace_and_neither_waits_for_the_other(source, warehouse, replicated):
    """The metrics' loop advances the star tables and folds the metrics once a second, the
    answers' loop folds ten times a second; while the metrics' lock is held (as a metric's rebuild
    of seconds holds it), the answers go on folding, and the metrics' loop waits its turn."""
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    calls = ("call elt.maintain(run_for => '2.5 seconds', layer => 'metrics')",
             "call elt.maintain(run_for => '2.5 seconds', layer => 'answers')")
    runners = [psycopg.connect(warehouse.info.dsn, password=warehouse.info.password, autocommit=True)
               for _ in calls]
    holder = psycopg.connect(warehouse.info.dsn, password=warehouse.info.password)
    holder.execute("lock table elt.metrics_maintenance_lock in share row exclusive mode")
    threads = [threading.Thread(target=runner.execute, args=(call,)) for runner, call in zip(runners, calls)]
    for thread in threads:
        thread.start()
    order_id = 0
    released = None
    started = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        order_id += 1
        source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                       " values (%s, '2026-01-01', 1, 'PENDING')", [order_id])
        if released is None and time.monotonic() - started > 1.2:
            released = warehouse.execute("select clock_timestamp()").fetchone()[0]
            holder.rollback()
        time.sleep(0.1)
    for thread, runner in zip(threads, runners):
        thread.join()
        runner.close()
    holder.close()
    metrics = warehouse.execute("select elt.aggregates_in('metrics')").fetchone()[0]
    answers = warehouse.execute("select elt.aggregates_in('answers')").fetchone()[0]
    assert metrics and answers and not set(metrics) & set(answers)
    folds = warehouse.execute("select aggregates, finished_at < %s from elt.fold_log where error is null",
                              [released]).fetchall()
    answer_folds = [held for names, held in folds if set(names) == set(answers)]
    metric_folds = [held for names, held in folds if set(names) == set(metrics)]
    assert len(folds) == len(answer_folds) + len(metric_folds)
    assert sum(answer_folds) >= 3, "the answers stopped folding while the metrics' lock was held"
    assert not any(metric_folds) and 1 <= len(metric_folds) <= 3
    advances = warehouse.execute("select count(*) from elt.star_log where error is null").fetchone()[0]
    assert 2 <= advances <= 4 and len(answer_folds) > 2 * advances
    replicated.catch_up()
    warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'metrics')")
    assert star_mismatches(warehouse) == {}
    assert warehouse.execute("select count(*) from analytics.fct_order").fetchone()[0] == order_id


def test_each_layer_counts_only_the_changes_it_reads(source, warehouse, replicated):
    """The answers' pending changes are the replicated tables', the metrics' the facts': counted
    together, the metrics took the traffic for theirs and rebuilt round after round, and an
    advance's fact entries pushed the answers past their rebuild threshold."""
    def pending():
        rows = warehouse.execute("select elt.layer_of(g.source), max(f.changes_pending) from analytics.freshness as f"
                                 " join elt.aggregate as g on g.name = f.aggregate group by 1").fetchall()
        return dict(rows)

    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    warehouse.execute("call elt.fold()")
    assert pending() == {"answers": 0, "metrics": 0}
    for order_id in range(1, 6):
        source.execute("insert into operations.orders (order_id, order_date, customer_id, status)"
                       " values (%s, '2026-01-01', 1, 'PENDING')", [order_id])
    replicated.catch_up()
    replicated_changes = pending()["answers"]
    assert replicated_changes >= 5 and pending()["metrics"] == 0
    warehouse.execute("call elt.advance_star()")
    after_advance = pending()
    assert after_advance["metrics"] >= 5 and after_advance["answers"] == replicated_changes
    rebuilds = warehouse.execute("select count(*) from elt.rebuild_log").fetchone()[0]
    warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'answers')")
    assert pending() == {"answers": 0, "metrics": after_advance["metrics"]}
    warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'metrics')")
    assert pending() == {"answers": 0, "metrics": 0}
    # Folded, both: nothing looked far enough behind to rebuild.
    assert warehouse.execute("select count(*) from elt.rebuild_log").fetchone()[0] == rebuilds
