"""The filter + order + limit fast path gives what the ordinary path gives, on every backend.

* ``Manager.filter`` keys its plan step by the names and the types of the
  values (one or two values without ``map``; more with it);
* a plan QuerySet carries the QuerySet defaults in its own ``__dict__`` and
  behaves as a fresh QuerySet with those defaults;
* ``list(queryset)`` fetches once (``__len__`` and ``__iter__`` look at the
  cache first), prefetches once;
* ``QuerySet.db`` and the router skip an empty ``**hints``; hints and
  routers still decide; ``connections[alias]`` replaces a closed connection
  except inside an atomic block.

The oracle is the ordinary path: reading ``QuerySet.query`` drops the plan.
"""

from __future__ import annotations

import datetime

import pytest

import orm
from orm.query.iterables import ModelIterable
from orm.query.queryset import QuerySet


class Rack(orm.Model):
    label = orm.CharField(max_length=40)

    class Meta:
        app_label = "perffilter"


class Item(orm.Model):
    title = orm.CharField(max_length=60, null=True)
    pages = orm.IntegerField(null=True)
    rating = orm.FloatField(null=True)
    issued = orm.DateField(null=True)
    flagged = orm.BooleanField(default=False)
    rack = orm.ForeignKey(Rack, on_delete=orm.CASCADE, null=True, related_name="items")

    class Meta:
        app_label = "perffilter"


MODELS = [Rack, Item]


@pytest.fixture
def items(models_db):
    racks = [Rack.objects.create(label=label) for label in ("top", "low")]
    for i in range(30):
        Item.objects.create(
            title=None if i % 7 == 0 else f"t{i % 5}",
            pages=None if i % 6 == 0 else i * 2,
            rating=None if i % 4 == 0 else i / 4,
            issued=None if i % 5 == 0 else datetime.date(2024, 1 + i % 12, 1 + i % 28),
            flagged=i % 3 == 0,
            rack=None if i % 8 == 0 else racks[i % 2],
        )
    return models_db


def _row(item):
    return (item.pk, item.title, item.pages, item.rating, item.issued, item.flagged, item.rack_id)


def _ordinary(queryset):
    queryset.query  # noqa: B018 - reading it materializes the Query and drops the plan
    assert queryset._plan is None
    return queryset


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pages": 8},
        {"pages": "8"},  # a str for an IntegerField: prepared by the field, never short-cut
        {"pages": 8.0},
        {"pages__gte": 10, "rack_id": 1},
        {"pages__gte": "10", "rack_id": 1},
        {"rating__lt": 5, "rating__gt": 1.5},
        {"title": "t1", "pages__lte": 50, "rack_id": 2},
        {"title": "t2", "pages__gt": 0, "rating__gte": 0.5, "flagged": False},
        {"flagged": True},
        {"flagged": 1},
    ],
)
def test_filter_keyed_by_value_types_equals_the_ordinary_path(items, kwargs):
    for _ in range(7):  # past psycopg's prepare threshold
        fast = Item.objects.filter(**kwargs).order_by("-issued", "id")[:6]
        slow = _ordinary(Item.objects.filter(**kwargs).order_by("-issued", "id")[:6])
        assert [_row(item) for item in fast] == [_row(item) for item in slow]


def test_same_names_with_other_value_types_are_other_shapes(items):
    ints = Item.objects.filter(pages=8, rack_id=1)
    strs = Item.objects.filter(pages="8", rack_id=1)
    floats = Item.objects.filter(pages=8.0, rack_id=1)
    assert ints._plan[0] is not floats._plan[0]
    assert strs._plan is None or strs._plan[0] not in (ints._plan[0], floats._plan[0])
    assert [_row(i) for i in ints] == [_row(i) for i in strs] == [_row(i) for i in floats]


def test_a_plan_queryset_has_the_defaults_of_a_fresh_queryset(items):
    planned = Item.objects.filter(pages__gte=10).order_by("id")[:3]
    fresh = QuerySet(model=Item)
    for name in ("_result_cache", "_prefetch_done", "_sticky_filter", "_defer_next_filter",
                 "_deferred_filter", "_iterable_class", "_prefetch_related_lookups",
                 "_for_write", "_fields", "_known_related_objects", "_hints", "_db"):
        assert getattr(planned, name) == getattr(fresh, name), name
    assert planned._iterable_class is ModelIterable
    # Each plan QuerySet owns its mutable defaults.
    other = Item.objects.filter(pages__gte=10)
    assert other._hints is not planned._hints
    assert other._known_related_objects is not planned._known_related_objects
    # Ordinary steps after a plan see the same values as after a fresh QuerySet.
    assert [row for row in planned.values_list("pk", flat=True)] == list(
        _ordinary(Item.objects.filter(pages__gte=10).order_by("id")[:3]).values_list("pk", flat=True)
    )


def test_list_fetches_once_and_prefetches_once(items):
    queryset = Item.objects.filter(pages__gte=0).order_by("id")[:5]
    with orm.capture_queries() as queries:
        first = list(queryset)
        assert len(queryset) == 5 and list(queryset) == first and bool(queryset)
    assert len(queries) == 1
    racks = Rack.objects.filter(label="top").prefetch_related("items")
    with orm.capture_queries() as queries:
        assert len(racks) == 1
        assert [rack.label for rack in racks] == ["top"]
        assert sorted(i.pk for i in list(racks)[0].items.all()) == sorted(
            i.pk for i in Item.objects.filter(rack_id=list(racks)[0].pk)
        )
    assert len(queries) == 3  # the racks, their items once, then the check's own filter
    fresh = Rack.objects.filter(label="low").prefetch_related("items")
    with orm.capture_queries() as queries:
        rows = list(fresh)
        assert len(fresh) == 1 and fresh._prefetch_done
    assert len(queries) == 2 and rows[0].label == "low"


class ReadRouter:
    """Sends reads of Item to "other"; records the hints it was given."""

    seen: list = []

    def db_for_read(self, model, **hints):
        self.seen.append((model.__name__, sorted(hints)))
        return "other" if model is Item else None


def test_routers_and_hints_still_decide(items, new_db_url, vendor):
    from tests.orm.conftest import create_tables

    ReadRouter.seen = []
    orm.configure(databases={"default": items, "other": new_db_url(vendor)},
                  routers=[ReadRouter()])
    try:
        create_tables(*MODELS, using="other")
        Item.objects.using("other").create(title="far", pages=3)
        for _ in range(6):
            assert [i.title for i in Item.objects.filter(pages=3).order_by("id")[:2]] == ["far"]
        assert ("Item", []) in ReadRouter.seen
        hinted = Item.objects.filter(pages=3)
        rack = Rack.objects.using("default").first()
        hinted._add_hints(instance=rack)
        assert hinted.db == "other" and ("Item", ["instance"]) in ReadRouter.seen
        assert Rack.objects.filter(label="top").db == "default"
        assert Item.objects.filter(pages=3).using("default").db == "default"
    finally:
        orm.configure(databases={"default": items})


def test_a_closed_connection_is_replaced_but_not_inside_an_atomic_block(items):
    first = orm.connections["default"]
    assert orm.connections["default"] is first
    first.close()
    second = orm.connections["default"]
    assert second is not first and not second.closed
    assert [_row(i) for i in Item.objects.filter(pages=8)] == [
        _row(i) for i in _ordinary(Item.objects.filter(pages=8))
    ]
    with pytest.raises(orm.exceptions.Error):
        with orm.atomic():
            inside = orm.connections["default"]
            inside.close()
            assert orm.connections["default"] is inside  # the block fails, not swaps
            list(Item.objects.filter(pages=8))
    assert not orm.connections["default"].closed
    assert len(list(Item.objects.filter(pages__gte=0))) == len(_ordinary(Item.objects.filter(pages__gte=0)))
