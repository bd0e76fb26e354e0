"""The statement cache (orm/query/statement_cache.py): simple QuerySets skip building a Query.

Every test compares the cached path with the ordinary one (forced by reading
``QuerySet.query``, which drops the plan), on every backend.
"""

from __future__ import annotations

import datetime
import decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from orm import signals


class Gadget(orm.Model):
    name = orm.CharField(max_length=50)
    size = orm.IntegerField()
    weight = orm.FloatField()
    price = orm.DecimalField(max_digits=6, decimal_places=2)
    active = orm.BooleanField(default=True)
    made = orm.DateField(null=True)

    class Meta:
        app_label = "statementcache"


MODELS = [Gadget]

NAMES = ["ant", "bee", "cat", "dog", "eel", "fox"]


@pytest.fixture
def gadgets(models_db):
    Gadget.objects.bulk_create(
        [
            Gadget(
                name=NAMES[i % 6],
                size=i % 7,
                weight=i / 4,
                price=decimal.Decimal(i) / 4,
                active=i % 3 != 0,
                made=datetime.date(2024, 1, 1 + i % 28) if i % 5 else None,
            )
            for i in range(40)
        ]
    )
    return models_db


def ordinary(queryset):
    """The results of ``queryset`` through the ordinary path (no plan)."""
    queryset.query  # noqa: B018 - reading it materializes the Query and drops the plan
    assert queryset._plan is None
    return [(g.pk, g.name, g.size, g.weight, g.price, g.active, g.made) for g in queryset]


def cached(queryset, planned=True):
    assert (queryset._plan is not None) is planned
    return [(g.pk, g.name, g.size, g.weight, g.price, g.active, g.made) for g in queryset]


def test_second_run_of_a_shape_reuses_the_sql_with_new_parameters(gadgets):
    with orm.capture_queries() as queries:
        first = list(Gadget.objects.filter(size=3, weight__gte=1.0).order_by("-weight", "id")[:3])
        second = list(Gadget.objects.filter(size=4, weight__gte=2.5).order_by("-weight", "id")[:3])
    assert len(queries) == 2
    assert queries[0].sql == queries[1].sql
    assert list(queries[1].params) == [4, 2.5]
    assert [g.size for g in first] == [3, 3, 3] and [g.size for g in second] == [4, 4, 4]
    assert all(g.weight >= 2.5 for g in second)
    assert [g.weight for g in second] == sorted((g.weight for g in second), reverse=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.integers(-2, 9),
    weight=st.floats(-1, 12, allow_nan=False),
    name=st.sampled_from(NAMES + ["zebra", ""]),
    lookup=st.sampled_from(["", "__gt", "__gte", "__lt", "__lte", "__exact"]),
    ordering=st.sampled_from([(), ("size",), ("-weight", "id"), ("name", "-pk")]),
    bounds=st.sampled_from([(None, None), (None, 5), (2, 6), (3, None)]),
)
def test_cached_results_equal_the_ordinary_path(
    gadgets, size, weight, name, lookup, ordering, bounds
):
    def build():
        queryset = (
            Gadget.objects.filter(**{f"size{lookup}": size})
            .filter(weight__lte=weight, name__gte=name)
            .order_by(*ordering, "id")
        )
        low, high = bounds
        return queryset[low:high] if bounds != (None, None) else queryset

    assert cached(build()) == ordinary(build())
    assert cached(build()) == ordinary(build())  # the second time from the cache


def test_values_the_field_transforms_are_not_cached_wrongly(gadgets):
    # price is a DecimalField: an int or a float becomes a Decimal, so the shape is not cached.
    for value in (2, 3, 5.0, 2):
        assert cached(Gadget.objects.filter(price__gte=value).order_by("id"), False) == ordinary(
            Gadget.objects.filter(price__gte=value).order_by("id")
        )
    # bool into an IntegerField, an int into a FloatField, a str into an IntegerField
    for field, value in (("size", True), ("weight", 2), ("size", "3"), ("active", False)):
        assert cached(Gadget.objects.filter(**{field: value}).order_by("id")) == ordinary(
            Gadget.objects.filter(**{field: value}).order_by("id")
        )


def test_the_same_value_object_twice(gadgets):
    value = 3
    first = cached(Gadget.objects.filter(size=value, id__gte=value).order_by("id"))
    second = cached(Gadget.objects.filter(size=4, id__gte=20).order_by("id"))
    assert first == ordinary(Gadget.objects.filter(size=value, id__gte=value).order_by("id"))
    assert second == ordinary(Gadget.objects.filter(size=4, id__gte=20).order_by("id"))


def test_get_through_the_cache(gadgets):
    some = Gadget.objects.order_by("id")[5:6][0]
    for _ in range(2):
        found = Gadget.objects.get(pk=some.pk)
        assert (found.pk, found.name, found.made) == (some.pk, some.name, some.made)
        assert found._state.adding is False and found._state.db == "default"
    with pytest.raises(Gadget.DoesNotExist):
        Gadget.objects.get(pk=10_000)
    with pytest.raises(Gadget.MultipleObjectsReturned):
        Gadget.objects.get(size=3)
    assert Gadget.objects.filter(size=3).get(name=some.name if some.size == 3 else "ant").size == 3


def test_reading_query_drops_the_plan_so_in_place_changes_count(gadgets):
    queryset = Gadget.objects.filter(size=2)
    queryset.query.set_limits(high=1)
    assert len(list(queryset)) == 1
    assert len(list(Gadget.objects.filter(size=2))) > 1


def test_a_chain_from_a_planned_queryset_keeps_the_parent_usable(gadgets):
    base = Gadget.objects.filter(size=1)
    with_names = base.values_list("name", flat=True)
    assert base._plan is not None
    assert sorted(with_names) == sorted(g.name for g in base)
    assert base.count() == len(list(base.all()))


def test_errors_are_raised_at_the_call_as_on_the_ordinary_path(gadgets):
    with pytest.raises(orm.FieldError):
        Gadget.objects.filter(colour=1)
    with pytest.raises(orm.FieldError):
        Gadget.objects.order_by("colour")
    with pytest.raises(TypeError):
        Gadget.objects.filter(size=1)[:2].filter(size=2)
    with pytest.raises(TypeError):
        Gadget.objects.filter(size=1)[:2].order_by("id")


def test_post_init_listeners_see_cached_instances(gadgets):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.size)

    list(Gadget.objects.filter(size=5))  # cache the shape first
    signals.post_init.connect(receiver, sender=Gadget)
    try:
        found = list(Gadget.objects.filter(size=6))
    finally:
        signals.post_init.disconnect(receiver, sender=Gadget)
    assert seen == [6] * len(found) and found


def test_empty_in_and_none_take_the_ordinary_path(gadgets):
    assert list(Gadget.objects.filter(made=None).order_by("id")) == list(
        Gadget.objects.filter(made__isnull=True).order_by("id")
    )
    assert list(Gadget.objects.filter(id__in=[])) == []


def test_loaded_instances_get_their_state_on_first_use_and_pickle(gadgets):
    import pickle

    loaded = list(Gadget.objects.filter(size=2))
    first = loaded[0]
    assert first._state.adding is False and first._state.db == "default"
    assert "_state_db" not in first.__dict__
    copy = pickle.loads(pickle.dumps(loaded[1]))
    assert copy._state.adding is False and copy._state.db == "default"
    assert "_state_db" not in copy.__dict__ and copy == loaded[1]
    fresh = Gadget(name="new", size=1, weight=1.0, price=decimal.Decimal("1.00"))
    assert fresh._state.adding is True and fresh._state.db is None
    fresh.save()
    assert fresh._state.adding is False and fresh._state.db == "default"
