"""Steps on a QuerySet nothing else refers to are recorded on it, with the results of copies.

* ``order_by()`` and a plain slice of a plan QuerySet that is only the result
  of a call (``Model.objects.filter(...).order_by(...)[:10]``) move that
  QuerySet on instead of copying it (``statement_cache.TEMPORARY_REFCOUNT``);
  a QuerySet held anywhere else (a variable, a list, a bound method, a
  caller's frame) is copied and left as it was;
* a temporary whose results were already fetched forgets them;
* ``QuerySet.db`` (and the plan fetch) answer the default alias without
  calling the router when no router is configured and there are no hints;
  configured routers and hints still decide;
* plan filter steps are keyed by the names then the value types, flat.

The oracle is the ordinary path: reading ``QuerySet.query`` drops the plan.
"""

from __future__ import annotations

import datetime
import gc

import pytest

import orm
from orm.query import statement_cache
from orm.query.queryset import QuerySet
from orm.routers import router


class Shelf(orm.Model):
    label = orm.CharField(max_length=40)

    class Meta:
        app_label = "perfh2"


class Volume(orm.Model):
    title = orm.CharField(max_length=60, null=True)
    pages = orm.IntegerField(null=True)
    rating = orm.FloatField(null=True)
    issued = orm.DateField(null=True)
    shelf = orm.ForeignKey(Shelf, on_delete=orm.CASCADE, null=True, related_name="volumes")

    class Meta:
        app_label = "perfh2"


MODELS = [Shelf, Volume]

TEMPORARIES_COUNTED = statement_cache.TEMPORARY_REFCOUNT > 0


@pytest.fixture
def volumes(models_db):
    shelves = [Shelf.objects.create(label=label) for label in ("top", "low")]
    for i in range(24):
        Volume.objects.create(
            title=None if i % 7 == 0 else f"t{i % 4}",
            pages=None if i % 6 == 0 else i * 3,
            rating=None if i % 5 == 0 else i / 4,
            issued=None if i % 4 == 0 else datetime.date(2024, 1 + i % 12, 1 + i % 27),
            shelf=None if i % 9 == 0 else shelves[i % 2],
        )
    return models_db


def _rows(queryset):
    return [(v.pk, v.title, v.pages, v.rating, v.issued, v.shelf_id) for v in queryset]


def _ordinary(queryset):
    queryset.query  # noqa: B018 - reading it materializes the Query and drops the plan
    assert queryset._plan is None
    return queryset


def _chain(shelf_id, pages):
    return Volume.objects.filter(shelf_id=shelf_id, pages__gte=pages).order_by("-issued", "id")[:5]


def test_a_temporary_chain_equals_the_ordinary_path(volumes):
    for _ in range(12):  # past psycopg's prepare threshold and CPython's specialization
        for shelf_id, pages in ((1, 0), (2, 9), (1, 30), (3, 0)):
            fast = _chain(shelf_id, pages)
            slow = _ordinary(
                Volume.objects.filter(shelf_id=shelf_id, pages__gte=pages).order_by("-issued", "id")[:5]
            )
            assert _rows(fast) == _rows(slow)


@pytest.mark.skipif(not TEMPORARIES_COUNTED, reason="this Python does not count references so")
def test_steps_on_a_temporary_reuse_it(monkeypatch):
    copies = []
    copy = statement_cache._derive

    def counted(queryset, shape, values=()):
        copies.append(shape)
        return copy(queryset, shape, values)

    monkeypatch.setattr(statement_cache, "_derive", counted)
    for _ in range(12):  # the slice is seen as a temporary once CPython specialized it
        copies.clear()
        sliced = Volume.objects.filter(pages__gte=3).order_by("id")[:4]
    assert copies == []
    assert sliced._plan[0].ops == (
        ("filter", ("pages__gte",), (int,)), ("order_by", ("id",)), ("slice", None, 4),
    )
    held = Volume.objects.filter(pages__gte=3)
    held.order_by("id")
    held[:4]
    assert len(copies) == 2


def test_a_queryset_held_elsewhere_is_copied_and_left_as_it_was(volumes):
    for _ in range(12):
        base = Volume.objects.filter(pages__gte=3)
        plan = base._plan
        ordered = base.order_by("-pages")
        assert ordered is not base and base._plan == plan
        sliced = ordered[:2]
        assert sliced is not ordered and not ordered._plan[0].sliced
        held = [Volume.objects.filter(pages__gte=3).order_by("id")]
        first = held[0][:3]
        assert first is not held[0] and not held[0]._plan[0].sliced
        method = Volume.objects.filter(pages__gte=3).order_by
        assert method("id") is not method.__self__
        assert len(_rows(base)) == len(_rows(_ordinary(Volume.objects.filter(pages__gte=3))))
        assert _rows(sliced) == _rows(_ordinary(Volume.objects.filter(pages__gte=3).order_by("-pages")[:2]))
        assert len(_rows(ordered)) == len(_rows(base))


def _fetched():
    queryset = Volume.objects.filter(pages__gte=0)
    list(queryset)
    return queryset


def test_a_temporary_with_fetched_results_forgets_them(volumes):
    for _ in range(12):
        ordered = _fetched().order_by("-pages", "id")
        assert ordered._result_cache is None and not ordered._prefetch_done
        assert _rows(ordered) == _rows(_ordinary(Volume.objects.filter(pages__gte=0).order_by("-pages", "id")))
        prefetched = Shelf.objects.filter(label="top").prefetch_related("volumes")
        list(prefetched)
        sliced = prefetched.order_by("id")
        assert sliced is not prefetched  # held by a variable
        shelves = list(Shelf.objects.filter(id__gte=0).prefetch_related("volumes").order_by("id")[:1])
        assert shelves[0].label == "top"
        assert sorted(v.pk for v in shelves[0].volumes.all()) == sorted(
            v.pk for v in _ordinary(Volume.objects.filter(shelf_id=shelves[0].pk))
        )


def test_steps_from_other_frames_and_generators_copy(volumes):
    def order(queryset):
        return queryset.order_by("id")

    def steps():
        queryset = Volume.objects.filter(pages__gte=6)
        yield queryset.order_by("-id")
        yield queryset[:2]
        yield queryset

    for _ in range(12):
        base = Volume.objects.filter(pages__gte=6)
        assert order(base) is not base
        descending, two, original = steps()
        assert descending is not original and two is not original
        assert not original._plan[0].ops[1:] and not original._plan[0].sliced
    gc.collect()


class ShelfRouter:
    """Reads of Volume go to "other"."""

    def db_for_read(self, model, **hints):
        return "other" if model is Volume else None


def test_default_alias_without_routers_and_routers_still_decide(volumes, new_db_url, vendor):
    from tests.orm.conftest import create_tables

    assert Volume.objects.filter(pages=3).db == "default"
    assert router.default_only
    orm.configure(databases={"default": volumes, "other": new_db_url(vendor)}, routers=[ShelfRouter()])
    try:
        assert not router.default_only
        create_tables(*MODELS, using="other")
        Volume.objects.using("other").create(title="far", pages=3)
        for _ in range(7):
            assert [v.title for v in Volume.objects.filter(pages=3).order_by("id")[:2]] == ["far"]
            assert Volume.objects.filter(pages=3).db == "other"
            assert Shelf.objects.filter(label="top").db == "default"
        assert not router.default_only
    finally:
        orm.configure(databases={"default": volumes})
    assert not router.default_only  # until the routers are loaded again
    assert Volume.objects.filter(pages=3).db == "default" and router.default_only
    hinted = Volume.objects.filter(pages=3)
    shelf = Shelf.objects.first()
    hinted._add_hints(instance=shelf)
    assert hinted.db == "default"
    assert _rows(hinted) == _rows(_ordinary(Volume.objects.filter(pages=3)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pages": 9},
        {"pages": "9"},
        {"pages__gte": 9, "shelf_id": 1},
        {"pages__gte": 9.0, "shelf_id": "1"},
        {"title": "t1", "pages__lte": 60, "shelf_id": 2},
        {"title": "t2", "pages__gt": 0, "rating__gte": 0.5, "shelf_id": 1},
    ],
)
def test_flat_filter_keys_equal_the_ordinary_path(volumes, kwargs):
    for _ in range(7):
        fast = Volume.objects.filter(**kwargs).order_by("id")
        again = QuerySet(model=Volume).filter(**kwargs).order_by("id")
        slow = _ordinary(Volume.objects.filter(**kwargs).order_by("id"))
        assert _rows(fast) == _rows(again) == _rows(slow)
    names = tuple(kwargs)
    types = tuple(type(value) for value in kwargs.values())
    plan = Volume.objects.filter(**kwargs)._plan
    if plan is not None:
        assert plan[0].ops[-1] == ("filter", names, types)
        assert statement_cache._root(Volume).filters[(*names, *types)] is plan[0]
