"""``bulk_create`` in statements shorter than the parameter limit allows (the dialect's
``bulk_insert_max_rows``, 500 rows on SQLite).

Each run of short statements that stands for one statement of the old size is
all or nothing, as that statement was, and sets pks only once it has gone
through. Checked on every backend, with a small cap put on the dialect where
it has none.
"""

from __future__ import annotations

import datetime
import decimal

import pytest

import orm
from orm.exceptions import IntegrityError

from .conftest import create_tables


class Entry(orm.Model):
    name = orm.CharField(max_length=20)
    size = orm.IntegerField(null=True)
    weight = orm.FloatField(null=True)
    price = orm.DecimalField(max_digits=8, decimal_places=2, null=True)
    day = orm.DateField(null=True)

    class Meta:
        app_label = "perfbulk"


MODELS = [Entry]


def entry(index, **overrides):
    values = {
        "name": f"e{index}",
        "size": None if index % 5 == 0 else index,
        "weight": None if index % 7 == 0 else index / 4,
        "price": None if index % 3 == 0 else decimal.Decimal(index) / 4,
        "day": None if index % 4 == 0 else datetime.date(2024, 1, 1 + index % 28),
    }
    values.update(overrides)
    return Entry(**values)


def columns(obj):
    return (obj.name, obj.size, obj.weight, obj.price, obj.day)


def stored():
    return [columns(row) for row in Entry.objects.order_by("id")]


@pytest.fixture
def capped(models_db, monkeypatch):
    """The default connection's dialect with a cap of 3 rows per bulk INSERT."""
    monkeypatch.setattr(type(orm.connections["default"].dialect), "bulk_insert_max_rows", 3)
    return 3


def inserts(queries):
    return [query for query in queries if query.sql.lstrip().upper().startswith("INSERT")]


def test_capped_batches_insert_every_row_and_set_pks_in_order(capped):
    objs = [entry(index) for index in range(1, 12)]
    expected = [columns(obj) for obj in objs]
    with orm.capture_queries() as queries:
        returned = Entry.objects.bulk_create(objs)
    assert returned == objs
    assert len(inserts(queries)) == 4  # 3 + 3 + 3 + 2 rows
    assert stored() == expected
    if orm.connections["default"].vendor != "sqlite" or orm.connections["default"].dialect.supports_returning:
        assert [obj.pk for obj in objs] == list(Entry.objects.order_by("id").values_list("id", flat=True))
    assert all(obj._state.adding is False and obj._state.db == "default" for obj in objs)


def test_a_batch_taking_the_general_path_among_capped_ones(capped):
    objs = [entry(index) for index in range(1, 9)]
    objs[4] = entry(5, size=orm.Value(50))  # an expression: that batch's values are compiled
    Entry.objects.bulk_create(objs)
    assert [row[:2] for row in stored()] == [(f"e{i}", 50 if i == 5 else (None if i % 5 == 0 else i)) for i in range(1, 9)]
    if orm.connections["default"].dialect.supports_returning:
        assert [obj.pk for obj in objs] == list(Entry.objects.order_by("id").values_list("id", flat=True))


def test_a_failing_capped_batch_leaves_nothing_behind(capped):
    objs = [entry(index) for index in range(1, 9)]
    objs[6] = entry(7, name=None)  # NOT NULL: the third statement fails
    with pytest.raises(IntegrityError):
        Entry.objects.bulk_create(objs)
    assert Entry.objects.count() == 0
    assert all(obj.pk is None and obj._state.adding for obj in objs)
    with pytest.raises(IntegrityError):
        with orm.atomic():
            Entry.objects.create(name="undone")
            Entry.objects.bulk_create([entry(index) for index in range(1, 9)] + [entry(9, name=None)])
    assert Entry.objects.count() == 0
    Entry.objects.bulk_create([entry(index) for index in range(1, 9)])
    assert Entry.objects.count() == 8


def test_a_failing_capped_batch_inside_a_transaction_keeps_the_earlier_work(capped):
    with orm.atomic():
        Entry.objects.create(name="before")
        with pytest.raises(IntegrityError):
            with orm.atomic():  # the caller's savepoint, as on PostgreSQL one must
                Entry.objects.bulk_create([entry(index) for index in range(1, 8)] + [entry(8, name=None)])
        Entry.objects.bulk_create([entry(index) for index in range(1, 5)])
    assert [row[0] for row in stored()] == ["before", "e1", "e2", "e3", "e4"]


def test_the_callers_batch_size_is_not_capped(capped):
    objs = [entry(index) for index in range(1, 11)]
    with orm.capture_queries() as queries:
        Entry.objects.bulk_create(objs, batch_size=5)
    assert len(inserts(queries)) == 2
    assert not any("SAVEPOINT" in query.sql.upper() for query in queries)
    assert stored() == [columns(obj) for obj in objs]


def test_sqlite_default_batches_hold_at_most_500_rows(models_db):
    connection = orm.connections["default"]
    cap = connection.dialect.bulk_insert_max_rows
    objs = [entry(index) for index in range(1, 1036)]
    with orm.capture_queries() as queries:
        Entry.objects.bulk_create(objs)
    statements = inserts(queries)
    if connection.vendor == "sqlite":
        assert cap == 500
        assert [len(query.params) for query in statements] == [500 * 5, 500 * 5, 35 * 5]
    else:
        assert cap is None and len(statements) == 1
    assert stored() == [columns(obj) for obj in objs]
    if connection.dialect.supports_returning:
        assert [obj.pk for obj in objs] == list(Entry.objects.order_by("id").values_list("id", flat=True))


def test_capped_batches_on_a_second_database(capped, new_db_url, models_db, monkeypatch):
    orm.configure(databases={"default": models_db, "other": new_db_url()})
    monkeypatch.setattr(type(orm.connections["other"].dialect), "bulk_insert_max_rows", 3)
    create_tables(Entry, using="other")
    objs = [entry(index) for index in range(1, 8)]
    Entry.objects.using("other").bulk_create(objs)
    assert Entry.objects.using("other").count() == 7 and Entry.objects.count() == 0
    assert all(obj._state.db == "other" and not obj._state.adding for obj in objs)
    objs[0].size = 99
    objs[0].save()
    assert Entry.objects.using("other").get(pk=objs[0].pk).size == 99


def test_capped_batches_join_a_transaction_opened_by_hand(capped):
    connection = orm.connections["default"]
    connection.begin()
    try:
        Entry.objects.bulk_create([entry(index) for index in range(1, 8)])
        with pytest.raises(IntegrityError):
            Entry.objects.bulk_create([entry(index) for index in range(1, 8)] + [entry(8, name=None)])
        assert connection.in_transaction and Entry.objects.count() == 7
    finally:
        connection.rollback()
    assert Entry.objects.count() == 0
