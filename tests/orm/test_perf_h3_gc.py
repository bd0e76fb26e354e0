"""Large loads and the cyclic collector (orm/query/row_factory.py).

A generated loader building 500 rows or more turns the collector off while
it runs; first it collects the young generations, and when done it moves
what it built into the oldest generation (``gc.freeze()`` then
``gc.unfreeze()``) instead of leaving every instance for the next young
collections to walk. These tests pin what that must not change: the
results (the generic loop is the oracle), the collector's state after a
load (also a failing one, or one the program started with the collector
off), objects the program froze itself, and garbage made before the load
(collected, not moved out of the young collections' reach). A load that
links objects both ways (a one-to-one's reverse side) is not moved: its
cycles are left to the young collections.
"""

from __future__ import annotations

import datetime
import decimal
import gc
import weakref

import pytest

import orm
from tests.orm.test_perf_reads import _generic

ROWS = 620  # above the size where the loaders pause the collector


class Shelf(orm.Model):
    name = orm.CharField(max_length=50)
    opened = orm.DateField(null=True)

    class Meta:
        app_label = "perfh3gc"


class Failing(Exception):
    pass


class TouchyField(orm.CharField):
    """A column whose converter raises on one value, in the middle of a load."""

    def get_internal_type(self) -> str:
        return "CharField"

    def from_db_converter(self, connection):
        def convert(value):
            if value == "boom":
                raise Failing(value)
            return value

        return convert


class Jar(orm.Model):
    label = orm.CharField(max_length=50, null=True)
    weight = orm.DecimalField(max_digits=6, decimal_places=2, null=True)
    made = orm.DateTimeField(null=True)
    shelf = orm.ForeignKey(Shelf, on_delete=orm.CASCADE, null=True, related_name="jars")
    note = TouchyField(max_length=20, default="")

    class Meta:
        app_label = "perfh3gc"


class Lid(orm.Model):
    jar = orm.OneToOneField(Jar, on_delete=orm.CASCADE, related_name="lid")

    class Meta:
        app_label = "perfh3gc"


MODELS = [Shelf, Jar, Lid]


@pytest.fixture
def jars(models_db):
    shelves = [
        Shelf.objects.create(name="top", opened=datetime.date(2020, 2, 29)),
        Shelf.objects.create(name="b'o%b", opened=None),
    ]
    Jar.objects.bulk_create([
        Jar(
            label=None if i % 7 == 0 else f"j{i}",
            weight=None if i % 5 == 0 else decimal.Decimal(i) / 4,
            made=None if i % 3 == 0 else datetime.datetime(2024, 1, 1, i % 24, tzinfo=datetime.timezone.utc),
            shelf=None if i % 4 == 0 else shelves[i % 2],
        )
        for i in range(ROWS)
    ])
    return shelves


def _values(jar):
    shelf = jar.shelf
    return (jar.pk, jar.label, jar.weight, jar.made, jar.shelf_id, jar.note, jar._state.db,
            None if shelf is None else (shelf.pk, shelf.name, shelf.opened))


@pytest.mark.parametrize("related", [False, True], ids=["plain", "select_related"])
def test_large_loads_equal_the_generic_loop_and_leave_the_collector_on(jars, related):
    def build():
        rows = Jar.objects.order_by("id")
        return rows.select_related("shelf") if related else rows

    assert gc.isenabled()
    fast = list(build())
    assert gc.isenabled()
    assert len(fast) == ROWS
    assert [_values(jar) for jar in fast] == [_values(jar) for jar in _generic(build)]
    streamed = list(build().iterator(chunk_size=ROWS // 2 + 10))
    assert gc.isenabled()
    assert [_values(jar) for jar in streamed] == [_values(jar) for jar in fast]


def test_the_instances_built_go_to_the_oldest_generation(jars):
    gc.collect()
    loaded = list(Jar.objects.select_related("shelf").order_by("id"))
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert id(loaded[0]) in oldest and id(loaded[-1]) in oldest
    assert id(next(jar.shelf for jar in loaded if jar.shelf_id is not None)) in oldest
    # The young generations start empty again (nothing left for them to walk).
    assert gc.get_count()[0] < 100


def test_garbage_made_before_a_load_is_still_collected(jars):
    class Cycle:
        pass

    garbage = Cycle()
    garbage.me = garbage
    gone = weakref.ref(garbage)
    del garbage
    assert gone() is not None  # only the cyclic collector can free it
    list(Jar.objects.all())
    assert gone() is None  # collected before the load, not moved to the oldest generation


def test_objects_the_program_froze_stay_frozen(jars):
    marker = [object()]
    gc.freeze()
    try:
        loaded = list(Jar.objects.select_related("shelf"))
        assert gc.get_freeze_count() > 0
        # Still in the permanent generation, where no collection looks.
        assert all(id(marker) not in {id(obj) for obj in gc.get_objects(generation)}
                   for generation in range(3))
        assert gc.isenabled()
        assert [_values(jar) for jar in loaded] == [
            _values(jar) for jar in _generic(lambda: Jar.objects.select_related("shelf"))
        ]
    finally:
        gc.unfreeze()


def test_a_failing_load_turns_the_collector_back_on(jars):
    Jar.objects.filter(pk=Jar.objects.order_by("id")[ROWS // 2].pk).update(note="boom")
    for related in (False, True):
        rows = Jar.objects.all()
        with pytest.raises(Failing):
            list(rows.select_related("shelf") if related else rows)
        assert gc.isenabled()


def test_a_load_with_the_collector_off_leaves_it_off(jars):
    gc.collect()
    gc.disable()
    try:
        loaded = list(Jar.objects.select_related("shelf"))
        assert not gc.isenabled()
        # Nothing was moved: the instances are young, as any object made now.
        assert id(loaded[0]) not in {id(obj) for obj in gc.get_objects(generation=2)}
    finally:
        gc.enable()


def test_a_transaction_and_a_second_database(models_db, new_db_url, vendor):
    from tests.orm.conftest import create_tables

    orm.configure(databases={"default": models_db, "other": new_db_url(vendor)})
    create_tables(*MODELS, using="other")
    with orm.atomic(using="other"):
        Jar.objects.using("other").bulk_create([Jar(label=f"o{i}") for i in range(ROWS)])
        inside = list(Jar.objects.using("other").order_by("id"))
        assert gc.isenabled()
        assert [jar.label for jar in inside] == [f"o{i}" for i in range(ROWS)]
        assert {jar._state.db for jar in inside} == {"other"}
    assert not Jar.objects.exists()
    assert Jar.objects.using("other").count() == ROWS


def test_loads_that_make_cycles_are_left_to_the_young_collections(jars):
    Lid.objects.bulk_create([Lid(jar=jar) for jar in Jar.objects.all()])
    gc.collect()
    lids = list(Lid.objects.select_related("jar").order_by("id"))
    assert len(lids) == ROWS and gc.isenabled()
    with orm.capture_queries() as queries:
        assert lids[0].jar.lid is lids[0]  # the reverse side: lid and jar refer to each other
    assert not queries
    assert id(lids[0]) not in {id(obj) for obj in gc.get_objects(generation=2)}
    first = weakref.ref(lids[0])
    del lids
    gc.collect(1)  # a young collection frees the cycles
    assert first() is None
