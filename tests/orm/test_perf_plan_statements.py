"""``aggregate()`` and ``update()`` of a statement-cache plan: compiled once per shape, then reused.

Each test compares the cached path with the ordinary one (forced by reading
``QuerySet.query``, which drops the plan), on every backend.
"""

from __future__ import annotations

import decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from orm.exceptions import FieldError


class Maker(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "perfaggregate"


class Widget(orm.Model):
    maker = orm.ForeignKey(Maker, on_delete=orm.CASCADE)
    size = orm.IntegerField()
    weight = orm.FloatField(null=True)
    price = orm.DecimalField(max_digits=8, decimal_places=2)
    label = orm.CharField(max_length=20)

    class Meta:
        app_label = "perfaggregate"


MODELS = [Maker, Widget]


@pytest.fixture
def widgets(models_db):
    makers = [Maker.objects.create(name=name) for name in ("acme", "bolt", "crux")]
    Widget.objects.bulk_create(
        [
            Widget(maker=makers[i % 3], size=i % 9, weight=None if i % 4 == 0 else i / 8,
                   price=decimal.Decimal(i) / 4, label=f"w{i % 5}")
            for i in range(45)
        ]
    )
    return makers


def ordinary(queryset, **aggregates):
    """``queryset.aggregate(**aggregates)`` through the ordinary path (no plan)."""
    queryset.query  # noqa: B018 - reading it materializes the Query and drops the plan
    assert queryset._plan is None
    return queryset.aggregate(**aggregates)


def plain():
    return {
        "n": orm.Count("id"), "rows": orm.Count("*"), "sizes": orm.Count("size", distinct=True),
        "total": orm.Sum("size"), "mean": orm.Avg("weight"), "top": orm.Max("price"),
        "low": orm.Min("label"), "money": orm.Sum("price"), "avg_price": orm.Avg("price"),
    }


def _close(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        other = right[key]
        if isinstance(value, float) or isinstance(other, float):
            assert other is not None and value is not None and abs(value - other) < 1e-9, key
        else:
            assert value == other and type(value) is type(other), key


def test_plan_aggregate_is_the_ordinary_result_and_compiles_once(widgets):
    queryset = Widget.objects.filter(size__gte=3)
    first = queryset.aggregate(**plain())
    _close(first, ordinary(Widget.objects.filter(size__gte=3), **plain()))
    with orm.capture_queries() as queries:
        second = Widget.objects.filter(size__gte=5).aggregate(**plain())
    assert len(queries) == 1
    _close(second, ordinary(Widget.objects.filter(size__gte=5), **plain()))
    assert isinstance(second["money"], decimal.Decimal) and isinstance(second["n"], int)


def test_no_matching_rows_gives_count_zero_and_none(widgets):
    values = Widget.objects.filter(size__gt=100).aggregate(**plain())
    assert values == ordinary(Widget.objects.filter(size__gt=100), **plain())
    assert values["n"] == 0 and values["total"] is None and values["mean"] is None


def test_aggregate_over_a_relation_and_ordered_plans(widgets):
    aggregates = {"makers": orm.Count("maker__name", distinct=True), "top": orm.Max("size")}
    for _ in range(3):  # first compile, then cached
        queryset = Widget.objects.filter(label="w2").order_by("-size")
        assert queryset.aggregate(**aggregates) == ordinary(
            Widget.objects.filter(label="w2").order_by("-size"), **aggregates
        )


def test_options_the_cache_does_not_key_on_take_the_ordinary_path(widgets):
    empty = Widget.objects.filter(size__gt=100)
    assert empty.aggregate(total=orm.Sum("size"))["total"] is None
    # Same alias and source, different default / filter / output: never the cached statement.
    assert Widget.objects.filter(size__gt=100).aggregate(total=orm.Sum("size", default=0)) == {
        "total": 0
    }
    filtered = Widget.objects.filter(size__gte=0).aggregate(
        total=orm.Count("id", filter=orm.Q(label="w1"))
    )
    assert filtered == {"total": 9}
    as_float = Widget.objects.filter(size__gte=0).aggregate(
        total=orm.Sum("size", output_field=orm.FloatField())
    )
    assert as_float["total"] == ordinary(Widget.objects.filter(size__gte=0),
                                         total=orm.Sum("size"))["total"]


def test_sliced_plans_and_positional_aggregates_use_the_ordinary_path(widgets):
    sliced = Widget.objects.filter(size__gte=1).order_by("id")[:5]
    assert sliced.aggregate(n=orm.Count("id")) == {"n": 5}
    assert Widget.objects.filter(size=2).aggregate(orm.Count("id")) == {"id__count": 5}


def test_the_same_value_object_twice_is_still_correct(widgets):
    value = 3
    for _ in range(3):
        got = Widget.objects.filter(size__gte=value, id__gte=value).aggregate(n=orm.Count("id"))
        assert got == ordinary(Widget.objects.filter(size__gte=value, id__gte=value),
                               n=orm.Count("id"))


def test_errors_are_the_ordinary_paths(widgets):
    with pytest.raises(TypeError, match="not an aggregate"):
        Widget.objects.filter(size=1).aggregate(x=orm.F("size"))
    with pytest.raises(FieldError):
        Widget.objects.filter(size=1).aggregate(x=orm.Sum("nope"))
    # The failed compile is not cached as a statement; the next call still reports it.
    with pytest.raises(FieldError):
        Widget.objects.filter(size=1).aggregate(x=orm.Sum("nope"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=-1, max_value=10),
    label=st.sampled_from(["w0", "w1", "w3", "zz"]),
    lookup=st.sampled_from(["size", "size__gt", "size__lte"]),
)
def test_cached_aggregates_match_the_ordinary_path(widgets, size, label, lookup):
    kwargs = {lookup: size, "label": label}
    _close_or_none(Widget.objects.filter(**kwargs).aggregate(**plain()),
                   ordinary(Widget.objects.filter(**kwargs), **plain()))


def _close_or_none(left: dict, right: dict) -> None:
    if left["n"] == 0:
        assert left == right
    else:
        _close({k: v for k, v in left.items() if v is not None},
               {k: v for k, v in right.items() if v is not None})


def test_keyword_spellings_of_the_source_are_not_confused_with_count_star(widgets):
    assert Widget.objects.filter(size__gte=0).aggregate(n=orm.Count()) == {"n": 45}
    assert Widget.objects.filter(size__gte=0).aggregate(n=orm.Count(expression="weight")) == {
        "n": ordinary(Widget.objects.filter(size__gte=0), n=orm.Count("weight"))["n"]
    }


def test_plan_update_matches_the_ordinary_update(widgets):
    for round_number in range(3):  # compile, then cached
        label = f"r{round_number}"
        changed = Widget.objects.filter(size__gte=4, label="w1").update(label=label, size=7)
        queryset = Widget.objects.filter(label=label)
        queryset.query  # noqa: B018 - ordinary path
        assert changed == len(list(queryset)) > 0
        assert {w.size for w in queryset} == {7}
        Widget.objects.filter(label=label).update(label="w1", size=4)
    with orm.capture_queries() as queries:
        assert Widget.objects.filter(id__lte=3).update(weight=2.5) == 3
    assert len(queries) == 1 and queries[0].sql.startswith("UPDATE")
    assert sorted(w.weight for w in Widget.objects.filter(id__lte=3)) == [2.5, 2.5, 2.5]


def test_plan_update_edge_cases_take_the_ordinary_path(widgets):
    with pytest.raises(TypeError, match="slice"):
        Widget.objects.filter(size=1)[:2].update(size=3)
    assert Widget.objects.filter(size=1).update(weight=None) == 5
    assert Widget.objects.filter(weight__isnull=True, size=1).count() == 5
    assert Widget.objects.filter(size=1).update(price=decimal.Decimal("1.50")) == 5
    assert Widget.objects.filter(size=1).update(price=2.25) == 5  # a float a DecimalField converts
    assert {w.price for w in Widget.objects.filter(size=1)} == {decimal.Decimal("2.25")}
    value = 6
    assert Widget.objects.filter(size=value).update(size=value) == 5  # same object twice
    with pytest.raises(FieldError):
        Widget.objects.filter(size=1).update(nope=1)
    assert Widget.objects.filter(size=100).update(size=1) == 0


def test_a_shape_compiles_once_per_aggregates_and_assigned_fields(widgets, monkeypatch):
    from orm.query import persistence, plan_statements

    calls = {"update": 0, "aggregate": 0}
    real_update, real_select = persistence.update_statement, plan_statements.select_aggregates

    def counting_update(*args):
        calls["update"] += 1
        return real_update(*args)

    def counting_select(*args):
        calls["aggregate"] += 1
        return real_select(*args)

    monkeypatch.setattr(persistence, "update_statement", counting_update)
    monkeypatch.setattr(plan_statements, "select_aggregates", counting_select)
    for size in (11, 12, 13):
        Widget.objects.filter(size__lt=size, label="w4").update(weight=float(size))
        Widget.objects.filter(size__lt=size, label="w3").aggregate(top=orm.Max("weight"))
    assert calls == {"update": 1, "aggregate": 1}
