"""Prefetched many-to-many managers built without a manager per instance give what the slow path gives."""

from __future__ import annotations

import pytest

import orm
from associations import Prefetch, prefetch_related_objects
from orm import signals

APP = "assoc_perf_prefetch"


class Colour(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP
        ordering = ["name"]


class ShadeQuerySet(orm.QuerySet):
    def filter(self, *args, **kwargs):
        # A QuerySet class overriding filter(): the related QuerySet must go through it.
        type(self).filter_calls += 1
        return super().filter(*args, **kwargs)

    filter_calls = 0


class ShadeManager(orm.Manager.from_queryset(ShadeQuerySet)):  # type: ignore[misc]
    pass


class Shade(orm.Model):
    name = orm.CharField(max_length=20)
    hidden = orm.BooleanField(default=False)

    objects = ShadeManager()

    class Meta:
        app_label = APP


class VisibleManager(orm.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(hidden=False)


class Finish(orm.Model):
    name = orm.CharField(max_length=20)
    hidden = orm.BooleanField(default=False)

    objects = VisibleManager()

    class Meta:
        app_label = APP


class Car(orm.Model):
    name = orm.CharField(max_length=20)
    colours = orm.ManyToManyField(Colour, related_name="cars")
    shades = orm.ManyToManyField(Shade, related_name="cars")
    finishes = orm.ManyToManyField(Finish, related_name="cars")

    class Meta:
        app_label = APP
        ordering = ["name"]


MODELS = (Colour, Shade, Finish, Car)
CARS = 600  # above the size where the prefetch pauses the cyclic GC


@pytest.fixture
def garage(setup_models):
    setup_models(*MODELS)
    colours = [Colour.objects.create(name=f"c{i}") for i in range(5)]
    shades = [Shade.objects.create(name=f"s{i}", hidden=i == 0) for i in range(3)]
    finishes = [Finish.objects.create(name=f"f{i}", hidden=i == 0) for i in range(3)]
    cars = Car.objects.bulk_create([Car(name=f"car{i:04}") for i in range(CARS)])
    links = Car.colours.through
    links.objects.bulk_create(
        [links(car_id=car.pk, colour_id=colours[(i + k) % 5].pk) for i, car in enumerate(cars) for k in range(i % 3)]
    )
    for car in cars[:5]:
        car.shades.add(*shades)
        car.finishes.add(*finishes)
    return colours, cars


def _names(queryset) -> list[str]:
    return sorted(obj.name for obj in queryset)


def test_prefetched_many_to_many_equals_lazy_loading_over_many_instances(garage):
    lazy = {car.name: _names(car.colours.all()) for car in Car.objects.all()}
    with orm.capture_queries() as queries:
        cars = list(Car.objects.prefetch_related("colours"))
        prefetched = {car.name: _names(car.colours.all()) for car in cars}
    assert len(queries) == 2
    assert prefetched == lazy
    assert sum(1 for names in prefetched.values() if not names) == CARS // 3


def test_prefetched_queryset_filters_and_counts_like_a_fresh_one(garage):
    cars = list(Car.objects.prefetch_related("colours"))
    car = next(car for car in cars if car.colours.count() == 2)
    with orm.capture_queries() as queries:
        assert car.colours.all()._result_cache is not None
        first = car.colours.all()[0].name
        narrowed = _names(car.colours.filter(name=first))
        excluded = _names(car.colours.exclude(name=first))
    assert narrowed == [first] and len(excluded) == 1
    assert len(queries) == 2  # the filter and exclude run; indexing the cached rows does not
    assert car.colours.all().db == "default"


def test_reverse_many_to_many_prefetch_and_the_prefetched_rows_point_back(garage):
    colours, _cars = garage
    lazy = {colour.name: _names(colour.cars.all()) for colour in Colour.objects.all()}
    with orm.capture_queries() as queries:
        loaded = {colour.name: _names(colour.cars.all()) for colour in Colour.objects.prefetch_related("cars")}
    assert loaded == lazy and len(queries) == 2


def test_add_remove_clear_drop_the_prefetched_rows(garage):
    colours, _cars = garage
    cars = list(Car.objects.prefetch_related("colours"))
    car = next(car for car in cars if not car.colours.all())
    car.colours.add(colours[0])
    assert _names(car.colours.all()) == ["c0"]
    cars = list(Car.objects.prefetch_related("colours").filter(pk=car.pk))
    cars[0].colours.remove(colours[0])
    assert _names(cars[0].colours.all()) == []
    cars = list(Car.objects.prefetch_related("colours").filter(pk=car.pk))
    cars[0].colours.add(colours[1])
    cars = list(Car.objects.prefetch_related("colours").filter(pk=car.pk))
    cars[0].colours.clear()
    assert _names(cars[0].colours.all()) == []


def test_custom_queryset_filter_and_custom_get_queryset_still_apply(garage):
    ShadeQuerySet.filter_calls = 0
    cars = list(Car.objects.prefetch_related("shades", "finishes").filter(name__in=["car0000", "car0001"]))
    assert ShadeQuerySet.filter_calls >= len(cars)
    for car in cars:
        assert isinstance(car.shades.all(), ShadeQuerySet)
        assert _names(car.shades.all()) == ["s0", "s1", "s2"]
        # The model's default manager hides hidden finishes, lazily and prefetched alike.
        assert _names(car.finishes.all()) == ["f1", "f2"]
        assert _names(Car.objects.get(pk=car.pk).finishes.all()) == ["f1", "f2"]


def test_prefetch_objects_with_to_attr_queryset_and_nesting(garage):
    with orm.capture_queries() as queries:
        cars = list(
            Car.objects.filter(name__lt="car0010").prefetch_related(
                Prefetch("colours", queryset=Colour.objects.filter(name__in=["c1", "c2"]), to_attr="some"),
                Prefetch("colours", queryset=Colour.objects.filter(name="c1")),
                "colours__cars",
            )
        )
    assert len(queries) == 4
    for car in cars:
        lazy = _names(Car.objects.get(pk=car.pk).colours.all())
        assert _names(car.some) == [name for name in lazy if name in ("c1", "c2")]
        assert _names(car.colours.all()) == [name for name in lazy if name == "c1"]
        for colour in car.colours.all():
            assert _names(colour.cars.all()) == _names(Colour.objects.get(pk=colour.pk).cars.all())


def test_prefetch_with_using_reads_the_other_database(setup_models, new_db_url):
    from .conftest import create_tables

    default = setup_models(*MODELS)
    other = new_db_url()
    create_tables(other, MODELS)
    orm.configure(apps=[], databases={"default": default, "other": other})
    car = Car.objects.using("other").create(name="far")
    colour = Colour.objects.using("other").create(name="remote")
    car.colours.add(colour)
    Car.objects.create(name="near")
    cars = list(Car.objects.using("other").prefetch_related("colours"))
    assert [c.name for c in cars] == ["far"]
    assert _names(cars[0].colours.all()) == ["remote"]
    assert cars[0].colours.all().db == "other"
    assert _names(cars[0].colours.filter(name="remote")) == ["remote"]


def test_unsaved_instance_in_prefetch_raises_like_the_manager(garage):
    with pytest.raises(ValueError, match="needs a primary key value"):
        prefetch_related_objects([Car(name="new")], "colours")
    with pytest.raises(ValueError, match="Car.colours"):
        Car(name="new").colours.all()


def test_prefetch_inside_a_transaction_sees_uncommitted_links(garage):
    colours, cars = garage
    with orm.atomic():
        target = Car.objects.create(name="tx")
        target.colours.add(colours[4])
        loaded = list(Car.objects.filter(name="tx").prefetch_related("colours"))
        assert _names(loaded[0].colours.all()) == ["c4"]


def test_m2m_changed_listener_sees_the_same_actions_after_prefetch(garage):
    colours, _cars = garage
    seen = []

    def receiver(sender, action, **kwargs):
        seen.append(action)

    signals.m2m_changed.connect(receiver, sender=Car.colours.through)
    try:
        car = list(Car.objects.prefetch_related("colours")[:1])[0]
        car.colours.add(colours[0], colours[1])
        car.colours.clear()
    finally:
        signals.m2m_changed.disconnect(receiver, sender=Car.colours.through)
    assert seen[-2:] == ["pre_clear", "post_clear"]


class Pilot(orm.Model):
    name = orm.CharField(max_length=20)
    friends = orm.ManyToManyField("self", blank=True)
    follows = orm.ManyToManyField("self", symmetrical=False, related_name="followers", blank=True)

    class Meta:
        app_label = APP


def test_self_referencing_prefetch_equals_lazy_in_both_directions(setup_models):
    setup_models(Pilot)
    pilots = [Pilot.objects.create(name=f"p{i}") for i in range(6)]
    pilots[0].friends.add(pilots[1], pilots[2])
    pilots[3].friends.add(pilots[0])
    pilots[4].follows.add(pilots[0], pilots[5])
    pilots[5].follows.add(pilots[0])

    def lazy(accessor):
        return {p.name: _names(getattr(p, accessor).all()) for p in Pilot.objects.all()}

    for accessor in ("friends", "follows", "followers"):
        loaded = {p.name: _names(getattr(p, accessor).all()) for p in Pilot.objects.prefetch_related(accessor)}
        assert loaded == lazy(accessor), accessor
    assert lazy("friends")["p0"] == ["p1", "p2", "p3"]
    assert lazy("followers")["p0"] == ["p4", "p5"]
