"""The QuerySet chain's fast paths give what the ordinary paths give, on every backend.

* ``Model.objects.filter(**kwargs)`` makes the filtered plan QuerySet in one
  step when the manager and its QuerySet class are stock (else it calls
  ``get_queryset().filter()``, so overrides are honoured);
* plan steps (filter, order_by, slice, get) are looked up in a tree of shapes
  per model; planned QuerySets copy, deep-copy and pickle;
* ``select_related`` loaders store the related object straight into the
  relation cache (a field overriding the cache methods is still called).

The oracle is the ordinary path: reading ``QuerySet.query`` drops the plan.
"""

from __future__ import annotations

import copy
import datetime
import pickle

import pytest

import orm
from orm import signals
from orm.exceptions import FieldError


class Shelf(orm.Model):
    label = orm.CharField(max_length=40)

    class Meta:
        app_label = "perfchain"


class Volume(orm.Model):
    title = orm.CharField(max_length=60, null=True)
    pages = orm.IntegerField(null=True)
    rating = orm.FloatField(null=True)
    issued = orm.DateField(null=True)
    shelf = orm.ForeignKey(Shelf, on_delete=orm.CASCADE, null=True, related_name="volumes")

    class Meta:
        app_label = "perfchain"


class ThickQuerySet(orm.QuerySet):
    def thick(self):
        return self.filter(pages__gte=50)


class ThickManager(orm.Manager):
    """A manager whose get_queryset narrows every query."""

    def get_queryset(self):
        return super().get_queryset().filter(pages__gte=50)


class OnlyEvenFilterQuerySet(orm.QuerySet):
    """A QuerySet class overriding filter(): the manager must call it."""

    def filter(self, *args, **kwargs):
        return super().filter(*args, **kwargs).exclude(pages=0)


class InitQuerySet(orm.QuerySet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.marker = "made by __init__"


class Catalogue(orm.Model):
    title = orm.CharField(max_length=60)
    pages = orm.IntegerField()

    objects = orm.Manager()
    thick = ThickManager()
    custom = ThickQuerySet.as_manager()
    filtering = orm.Manager.from_queryset(OnlyEvenFilterQuerySet)()
    initialised = orm.Manager.from_queryset(InitQuerySet)()

    class Meta:
        app_label = "perfchain"


class Cover(orm.Model):
    volume = orm.OneToOneField(Volume, on_delete=orm.CASCADE, related_name="cover")
    colour = orm.CharField(max_length=20)

    class Meta:
        app_label = "perfchain"


MODELS = [Shelf, Volume, Catalogue, Cover]


@pytest.fixture
def volumes(models_db):
    shelves = [Shelf.objects.create(label=label) for label in ("top", "low")]
    for i in range(40):
        volume = Volume.objects.create(
            title=None if i % 7 == 0 else f"v{i % 9}",
            pages=None if i % 5 == 0 else i * 3,
            rating=None if i % 6 == 0 else i / 8,
            issued=None if i % 4 == 0 else datetime.date(2023, 1 + i % 12, 1 + i % 27),
            shelf=None if i % 3 == 0 else shelves[i % 2],
        )
        if i % 2:
            Cover.objects.create(volume=volume, colour=f"c{i}")
    for i in range(12):
        Catalogue.objects.create(title=f"c{i}", pages=i * 10)
    return models_db


def _row(volume):
    return (volume.pk, volume.title, volume.pages, volume.rating, volume.issued, volume.shelf_id)


def _ordinary(queryset):
    queryset.query  # noqa: B018 - reading it materializes the Query and drops the plan
    assert queryset._plan is None
    return queryset


@pytest.mark.parametrize(
    "build",
    [
        lambda: Volume.objects.filter(pages__gte=30),
        lambda: Volume.objects.filter(shelf_id=1, pages__lt=90).order_by("-rating", "id"),
        lambda: Volume.objects.filter(title="v1").order_by("issued", "-id")[1:4],
        lambda: Volume.objects.filter(rating__gt=0.5, rating__lte=3.0).order_by("id")[:5],
        lambda: Volume.objects.filter(pk=3),
        lambda: Volume.objects.filter(shelf=None).order_by("id"),  # not a plan: None
        lambda: Volume.objects.filter(title__startswith="v").order_by("id"),  # not a plan
        lambda: Volume.objects.filter(pages__gte=0).order_by("shelf__label", "id"),  # not a plan
        lambda: Volume.objects.filter(pages__gte=0).order_by("id")[3:],
        lambda: Volume.objects.filter(pages__gte=0).order_by("id")[0:0],
    ],
)
def test_manager_filter_chains_equal_the_ordinary_path(volumes, build):
    for _ in range(7):  # past psycopg's prepare threshold
        assert [_row(v) for v in build()] == [_row(v) for v in _ordinary(build())]


def test_manager_filter_makes_the_same_queryset_as_get_queryset_filter(volumes):
    fast = Volume.objects.filter(pages__gte=30, title="v3")
    slow = Volume.objects.get_queryset().filter(pages__gte=30, title="v3")
    assert type(fast) is type(slow) and fast._plan == slow._plan
    assert fast.db == slow.db == "default" and fast._hints == {} and fast._hints is not slow._hints
    fast._add_hints(instance=None)
    assert Volume.objects.filter(pages__gte=30, title="v3")._hints == {}
    assert fast.ordered is False and fast.exists() == slow.exists()


def test_custom_get_queryset_and_queryset_classes_are_honoured(volumes):
    assert sorted(c.pages for c in Catalogue.thick.filter(pages__lt=90)) == [50, 60, 70, 80]
    assert sorted(c.pages for c in Catalogue.custom.filter(pages__lt=30)) == [0, 10, 20]
    assert sorted(c.pages for c in Catalogue.custom.filter(pages__lt=70).thick()) == [50, 60]
    assert isinstance(Catalogue.custom.filter(pages=10), ThickQuerySet)
    assert sorted(c.pages for c in Catalogue.filtering.filter(pages__lt=30)) == [10, 20]
    made = Catalogue.initialised.filter(pages=10)
    assert made.marker == "made by __init__" and [c.title for c in made] == ["c1"]


def test_using_and_db_manager_are_kept(volumes, new_db_url, vendor):
    from tests.orm.conftest import create_tables

    orm.configure(databases={"default": volumes, "other": new_db_url(vendor)})
    create_tables(*MODELS, using="other")
    Volume.objects.using("other").create(title="far", pages=5)
    for _ in range(6):
        assert [v.title for v in Volume.objects.db_manager("other").filter(pages=5)] == ["far"]
        assert [v.title for v in Volume.objects.filter(pages=5).using("other")] == ["far"]
        assert [v.pk for v in Volume.objects.filter(pages=5)] == []
        far = Volume.objects.db_manager("other").filter(pages=5).order_by("id")[:1]
        assert far.db == "other" and far[0]._state.db == "other"


def test_plans_continue_into_ordinary_steps(volumes):
    base = Volume.objects.filter(pages__gte=30)
    assert [_row(v) for v in base.select_related("shelf").order_by("id")] == [
        _row(v) for v in _ordinary(Volume.objects.filter(pages__gte=30)).order_by("id")
    ]
    deferred = list(base.order_by("id").only("title"))
    assert [v.title for v in deferred] == [v.title for v in base.order_by("id")]
    assert all("pages" not in v.__dict__ for v in deferred)
    assert [v.pages for v in deferred] == [v.pages for v in base.order_by("id")]
    chained = base.filter(title="v3").exclude(rating=None).order_by("-id")
    assert [v.pk for v in chained] == [
        v.pk for v in _ordinary(Volume.objects.filter(pages__gte=30, title="v3")).exclude(rating=None).order_by("-id")
    ]
    assert base.filter(pages__gte=30).count() == len(list(base))
    assert list(base.values_list("pk", flat=True).order_by("pk")) == sorted(v.pk for v in base)


def test_slices_and_errors_are_those_of_the_ordinary_path(volumes):
    ordered = Volume.objects.filter(pages__gte=0).order_by("id")
    every = [v.pk for v in _ordinary(Volume.objects.filter(pages__gte=0).order_by("id"))]
    assert [v.pk for v in ordered[2:5]] == every[2:5]
    assert [v.pk for v in ordered[True:3]] == every[1:3]
    assert [v.pk for v in ordered[:3][1:]] == every[1:3]
    assert [v.pk for v in ordered[::2]] == every[::2]
    assert ordered[4].pk == every[4]
    with pytest.raises(ValueError):
        ordered[-1:]
    with pytest.raises(ValueError):
        ordered[:-2]
    with pytest.raises(TypeError):
        ordered["a":]
    with pytest.raises(TypeError):
        ordered[:3].filter(pages=3)
    with pytest.raises(TypeError):
        ordered[:3].order_by("pk")
    with pytest.raises(FieldError):
        list(Volume.objects.filter(nope=3))
    with pytest.raises(FieldError):
        list(Volume.objects.filter(pages=3).order_by("nope"))


def test_planned_querysets_copy_deepcopy_and_pickle(volumes):
    planned = Volume.objects.filter(pages__gte=30).order_by("-id")[:4]
    expected = [_row(v) for v in _ordinary(Volume.objects.filter(pages__gte=30).order_by("-id")[:4])]
    duplicate = copy.deepcopy(planned)
    assert duplicate._plan == planned._plan and [_row(v) for v in duplicate] == expected
    loaded = pickle.loads(pickle.dumps(planned))
    assert [_row(v) for v in loaded] == expected
    assert [_row(v) for v in planned] == expected
    fresh = pickle.loads(pickle.dumps(Volume.objects.filter(title="v1")))
    assert [v.pk for v in fresh.order_by("id")] == [
        v.pk for v in _ordinary(Volume.objects.filter(title="v1")).order_by("id")
    ]


def test_post_init_receivers_see_manager_filtered_instances(volumes):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    signals.post_init.connect(receiver, sender=Volume)
    try:
        loaded = list(Volume.objects.filter(pages__gte=60).order_by("id"))
    finally:
        signals.post_init.disconnect(receiver, sender=Volume)
    assert seen == [v.pk for v in loaded] and loaded


def test_select_related_stores_into_the_relation_cache_like_set_cached_value(volumes):
    def build():
        return Volume.objects.select_related("shelf").order_by("id")

    fast = list(build())
    receiver = lambda sender, instance, **kwargs: None  # noqa: E731
    signals.post_init.connect(receiver)
    try:
        generic = list(build())  # the generic loop calls set_cached_value
    finally:
        signals.post_init.disconnect(receiver)
    assert [(_row(v), v._state.fields_cache) for v in fast] == [
        (_row(v), v._state.fields_cache) for v in generic
    ]
    assert fast[0].shelf is None and fast[0]._state.fields_cache == {"shelf": None}
    with orm.capture_queries() as queries:
        labels = [v.shelf.label for v in fast if v.shelf_id is not None]
    assert not queries and set(labels) == {"top", "low"}
    covers = list(Cover.objects.select_related("volume").order_by("id"))
    with orm.capture_queries() as queries:
        assert all(c.volume.cover is c for c in covers)  # the reverse side is set too
    assert not queries
    assert Volume._meta.get_field("shelf").fields_cache_key() == "shelf"


def test_a_relation_field_overriding_the_cache_methods_is_called(volumes, monkeypatch):
    field = Volume._meta.get_field("shelf")
    stored = []
    original = type(field).set_cached_value

    class Recording(type(field)):
        def set_cached_value(self, instance, value):
            stored.append(value)
            original(self, instance, value)

    monkeypatch.setattr(field, "__class__", Recording)
    assert field.fields_cache_key() is None
    loaded = list(Volume.objects.select_related("shelf").order_by("id"))
    assert len(stored) == len(loaded) and stored[0] is None and loaded[1].shelf is stored[1]
