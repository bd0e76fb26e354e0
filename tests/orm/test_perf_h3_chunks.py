"""Loads of more rows than ``FETCH_CHUNK_ROWS`` build instances a chunk at a time.

Unsliced statement-cache QuerySets and the ordinary QuerySet path hand the
generated loader to ``Connection.fetch_all(load=...)``: the rows are read
and turned into instances ``FETCH_CHUNK_ROWS`` at a time. The generic loop
(a ``post_init`` receiver forces it) is the oracle, with NULLs, converters,
``select_related``, ``only()``, trailing annotations, a converter that
queries the database between chunks, a transaction and a second database.
"""

from __future__ import annotations

import datetime
import decimal
import gc

import pytest

import orm
from backends.base.connection import FETCH_CHUNK_ROWS
from tests.orm.test_perf_reads import _generic

ROWS = 2 * FETCH_CHUNK_ROWS + 7


class Crate(orm.Model):
    name = orm.CharField(max_length=50)
    opened = orm.DateField(null=True)

    class Meta:
        app_label = "perfh3chunks"


class Broken(Exception):
    pass


class CountingField(orm.IntegerField):
    """A column whose converter queries the database (in the middle of a chunked load)."""

    seen: list = []
    fail_at: int | None = None

    def from_db_converter(self, connection):
        def convert(value):
            if value is not None and value == CountingField.fail_at:
                raise Broken(value)
            if value is not None and value % FETCH_CHUNK_ROWS == 3:
                CountingField.seen.append(Crate.objects.filter(name="big").count())
            return value

        return convert

    def get_internal_type(self) -> str:
        return "IntegerField"


class Bottle(orm.Model):
    label = orm.CharField(max_length=50, null=True)
    price = orm.DecimalField(max_digits=8, decimal_places=2, null=True)
    filled = orm.DateTimeField(null=True)
    crate = orm.ForeignKey(Crate, on_delete=orm.CASCADE, null=True, related_name="bottles")
    number = CountingField(null=True)

    class Meta:
        app_label = "perfh3chunks"


MODELS = [Crate, Bottle]


@pytest.fixture
def bottles(models_db):
    crates = [
        Crate.objects.create(name="big", opened=datetime.date(2020, 2, 29)),
        Crate.objects.create(name="b'o%b", opened=None),
    ]
    Bottle.objects.bulk_create([
        Bottle(
            label=None if i % 7 == 0 else f"b{i}",
            price=None if i % 5 == 0 else decimal.Decimal(i) / 4,
            filled=None if i % 3 == 0 else datetime.datetime(2024, 1, 1, i % 24, tzinfo=datetime.timezone.utc),
            crate=None if i % 4 == 0 else crates[i % 2],
            number=None if i % 11 == 0 else i,
        )
        for i in range(ROWS)
    ])
    return crates


def _values(bottle):
    crate = bottle.__dict__.get("_state_cache_crate")
    if crate is None and bottle.crate_id is not None and Bottle._meta.get_field("crate").is_cached(bottle):
        crate = bottle.crate
    return (bottle.pk, bottle.__dict__.get("label"), bottle.__dict__.get("price"), bottle.__dict__.get("filled"),
            bottle.crate_id, bottle.__dict__.get("number"), bottle._state.db,
            None if crate is None else (crate.pk, crate.name, crate.opened, crate._state.db))


BUILDS = {
    "all": lambda: Bottle.objects.all(),
    "filter": lambda: Bottle.objects.filter(price__gte=decimal.Decimal("0.25")).order_by("id"),
    "ordered": lambda: Bottle.objects.order_by("-id"),
    "select_related": lambda: Bottle.objects.select_related("crate").order_by("id"),
    "only": lambda: Bottle.objects.only("label", "crate").order_by("id"),
    "annotated": lambda: Bottle.objects.annotate(twice=orm.F("number") * 2).order_by("id"),
    "distinct": lambda: Bottle.objects.filter(crate__name__startswith="b").distinct().order_by("id"),
    # The ordering column is selected too (DISTINCT): each chunk's rows are cut to the model's.
    "distinct_extra": lambda: Bottle.objects.filter(crate__isnull=False).distinct().order_by(
        "crate__name", "id"
    ),
}


@pytest.mark.parametrize("shape", list(BUILDS))
def test_chunked_loads_equal_the_generic_loop(bottles, shape):
    build = BUILDS[shape]
    CountingField.seen.clear()
    fast = list(build())
    assert len(fast) > FETCH_CHUNK_ROWS
    expected = _generic(build)
    assert [_values(bottle) for bottle in fast] == [_values(bottle) for bottle in expected]
    if shape == "annotated":
        assert [bottle.twice for bottle in fast] == [bottle.twice for bottle in expected]
    if shape != "only":
        assert CountingField.seen and set(CountingField.seen) == {1}


def test_the_same_loads_twice_and_inside_a_transaction(bottles):
    first = [_values(bottle) for bottle in Bottle.objects.select_related("crate").order_by("id")]
    assert first == [_values(bottle) for bottle in Bottle.objects.select_related("crate").order_by("id")]
    with orm.atomic():
        Bottle.objects.filter(number__lt=FETCH_CHUNK_ROWS).delete()
        inside = list(Bottle.objects.all())
        assert len(inside) == ROWS - FETCH_CHUNK_ROWS + sum(1 for i in range(FETCH_CHUNK_ROWS) if i % 11 == 0)
        orm.set_rollback(True)
    assert Bottle.objects.count() == ROWS


def test_a_second_database(models_db, new_db_url, vendor):
    from tests.orm.conftest import create_tables

    orm.configure(databases={"default": models_db, "other": new_db_url(vendor)})
    create_tables(*MODELS, using="other")
    Bottle.objects.using("other").bulk_create([Bottle(label=f"o{i}", number=i) for i in range(ROWS)])
    loaded = list(Bottle.objects.using("other").order_by("id"))
    assert [bottle.label for bottle in loaded] == [f"o{i}" for i in range(ROWS)]
    assert {bottle._state.db for bottle in loaded} == {"other"}
    assert not Bottle.objects.exists()


def test_the_collector_waits_for_the_last_chunk_and_comes_back(bottles):
    starts = []

    def callback(phase, info):
        if phase == "start":
            starts.append(info["generation"])

    gc.collect()
    gc.callbacks.append(callback)
    try:
        loaded = list(Bottle.objects.select_related("crate"))
    finally:
        gc.callbacks.remove(callback)
    assert len(loaded) == ROWS and gc.isenabled()
    # Automatic collections while the first chunk is read (all the rows, on MariaDB),
    # then the loaders' own of the young generations, once: none per later chunk.
    assert starts.count(1) == 1 and starts[-1] == 1


@pytest.mark.parametrize("related", [False, True], ids=["plain", "select_related"])
def test_a_load_failing_in_a_later_chunk_turns_the_collector_back_on(bottles, related, monkeypatch):
    monkeypatch.setattr(CountingField, "fail_at", FETCH_CHUNK_ROWS + 4)
    rows = Bottle.objects.order_by("id")
    with pytest.raises(Broken):
        list(rows.select_related("crate") if related else rows)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(Broken):
            list(Bottle.objects.all())
        assert not gc.isenabled()
    finally:
        gc.enable()
