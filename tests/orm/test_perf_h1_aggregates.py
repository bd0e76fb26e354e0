"""Aggregates built without ``super()`` hops: the same objects, SQL and results as before.

``Aggregate.__init__`` and ``Func.__init__`` share ``init_func`` (no chain of
``super().__init__`` calls, a field name becomes ``F`` without a frame for
``F.__init__``), and ``Expression.__new__`` calls ``object.__new__`` directly
unless a base after ``Expression`` defines ``__new__``. The cached
aggregate statements refuse aggregates whose output field is set on the
object. Backend-facing tests run on every backend.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import orm
from orm.query.expressions import F, Func, Star, Value
from orm.query.plan_statements import _signature


class Gadget(orm.Model):
    size = orm.IntegerField()
    weight = orm.FloatField(null=True)

    class Meta:
        app_label = "perfh1aggregates"


MODELS = [Gadget]


@pytest.mark.parametrize("aggregate_class", [orm.Count, orm.Sum, orm.Avg, orm.Min, orm.Max])
def test_a_field_name_becomes_a_plain_f_and_the_constructor_arguments_are_kept(aggregate_class):
    aggregate = aggregate_class("size")
    (source,) = aggregate.source_expressions
    assert type(source) is F and source.name == "size" and source == F("size")
    assert aggregate._constructor_args == (("size",), {})
    assert aggregate.deconstruct() == (
        f"orm.query.aggregates.{aggregate_class.__name__}", ("size",), {}
    )
    assert aggregate.extra == {} and aggregate.filter is None and aggregate.default is None
    assert not aggregate.distinct and "_output_field" not in aggregate.__dict__


def test_other_arguments_are_parsed_as_before():
    value = orm.Max(Value(3))
    assert type(value.source_expressions[0]) is Value
    expression = F("size") * 2
    assert orm.Sum(expression).source_expressions == [expression]
    assert isinstance(orm.Count("*").source_expressions[0], Star)
    assert type(Func(7, function="ABS").source_expressions[0]) is Value

    class Name(str):
        pass

    assert type(orm.Sum(Name("size")).source_expressions[0]) is F


def test_arity_output_field_distinct_and_extra_are_checked_and_kept():
    from orm import fields

    class Pair(Func):
        function = "PAIR"
        arity = 2

    with pytest.raises(TypeError, match="takes exactly 2 argument"):
        Pair("a")
    field = fields.FloatField()
    aggregate = orm.Sum("size", output_field=field, distinct=True, template="%(function)s(%(expressions)s)")
    assert aggregate._output_field is field and aggregate.distinct
    assert aggregate.extra == {"template": "%(function)s(%(expressions)s)"}
    assert aggregate._constructor_args[1]["output_field"] is field
    with pytest.raises(TypeError, match="does not allow distinct"):
        orm.Max("size", distinct=True)
    assert orm.StdDev("size", sample=True).function == "STDDEV_SAMP"
    assert orm.Variance("size").function == "VAR_POP"


def test_a_base_with_its_own_new_is_still_called():
    made = []

    class Recording:
        def __new__(cls, *args, **kwargs):
            made.append(cls)
            return super().__new__(cls)

    class RecordedCount(orm.Count, Recording):
        pass

    assert orm.Count._plain_new and not RecordedCount._plain_new
    aggregate = RecordedCount("size", distinct=True)
    assert made == [RecordedCount]
    assert aggregate._constructor_args == (("size",), {"distinct": True}) and aggregate.distinct


@given(
    names=st.lists(st.sampled_from(["size", "weight", "id", "*"]), min_size=1, max_size=4),
    distinct=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_signature_is_the_class_names_and_distinct_of_plain_aggregates(names, distinct):
    aggregates = {}
    expected = []
    for position, name in enumerate(names):
        classes = [orm.Count] if name == "*" else [orm.Count, orm.Sum, orm.Avg, orm.Min, orm.Max]
        aggregate_class = classes[position % len(classes)]
        flag = distinct[position] and aggregate_class.allow_distinct
        aggregates[f"a{position}"] = (
            aggregate_class(name, distinct=True) if flag else aggregate_class(name)
        )
        expected += [f"a{position}", aggregate_class, (name,), flag]
    assert _signature(aggregates, None) == (None, *expected)


def test_signature_refuses_what_the_cached_statement_cannot_express():
    from orm import fields

    refused = [
        orm.Sum("size", output_field=fields.FloatField()),
        orm.Count("size", filter=orm.Q(size__gt=1)),
        orm.Sum("size", default=0),
        orm.Sum(F("size")),
        orm.Sum("size", template="%(function)s(%(expressions)s)"),
        orm.StdDev("size", sample=True),
    ]
    for aggregate in refused:
        assert _signature({"x": aggregate}, None) is None, aggregate
    worked_out = orm.Avg("size")
    worked_out._output_field = fields.FloatField()  # as output_field does once asked
    assert _signature({"x": worked_out}, None) is None


def test_plan_aggregates_of_fresh_objects_equal_the_ordinary_path(models_db):
    Gadget.objects.bulk_create(
        [Gadget(size=i % 7, weight=None if i % 3 == 0 else i / 4) for i in range(30)]
    )

    def aggregates():
        return {"n": orm.Count("id"), "mean": orm.Avg("weight"), "top": orm.Max("size"),
                "kinds": orm.Count("size", distinct=True), "total": orm.Sum("size")}

    for bound in (0, 3, 6, 9):
        planned = Gadget.objects.filter(size__gte=bound).aggregate(**aggregates())
        ordinary_queryset = Gadget.objects.filter(size__gte=bound)
        ordinary_queryset.query  # noqa: B018 - drops the plan
        ordinary = ordinary_queryset.aggregate(**aggregates())
        assert planned.keys() == ordinary.keys()
        for key, value in planned.items():
            other = ordinary[key]
            assert type(value) is type(other), key
            assert value == other or abs(value - other) < 1e-9, key


def test_count_keeps_its_star_default_positional_filter_and_options():
    condition = orm.Q(size__gt=1)
    assert isinstance(orm.Count().source_expressions[0], Star)
    positional = orm.Count("size", condition)
    assert positional.filter is condition and positional._constructor_args == (("size", condition), {})
    keyword = orm.Count("size", filter=condition, distinct=True)
    assert keyword.filter is condition and keyword.distinct
    assert keyword.deconstruct() == (
        "orm.query.aggregates.Count", ("size",), {"filter": condition, "distinct": True}
    )
    assert orm.Count("id").filter is None and orm.Count("id").extra == {}


def test_arguments_are_parsed_on_first_read_of_source_expressions_then_kept():
    aggregate = orm.Avg("weight")
    assert "source_expressions" not in aggregate.__dict__  # nothing built by the constructor
    first = aggregate.source_expressions
    assert first == [F("weight")] and aggregate.source_expressions is first
    aggregate.set_source_expressions([F("size")])
    assert aggregate.source_expressions == [F("size")]
    assert Func("size", 2, function="POWER").source_expressions == [F("size"), Value(2)]


def test_copies_and_pickles_made_before_the_first_read_parse_the_same_arguments():
    import copy
    import pickle

    aggregate = orm.Sum("size", distinct=True)
    clone = aggregate.copy()
    clone.source_expressions.append(F("weight"))
    assert aggregate.source_expressions == [F("size")]  # the clone's list is its own
    assert copy.deepcopy(orm.Max("size")).source_expressions == [F("size")]
    restored = pickle.loads(pickle.dumps(orm.Count("size", distinct=True)))
    assert restored.source_expressions == [F("size")] and restored.distinct
    assert restored.identity() == orm.Count("size", distinct=True).identity()


def test_a_subclass_setting_its_own_sources_is_not_reparsed():
    class Pair(Func):
        function = "COALESCE"

        def __init__(self, left, right):
            super().__init__(left, right)
            self.source_expressions = [F(left), Value(right)]

    pair = Pair("weight", 0)
    assert pair.source_expressions == [F("weight"), Value(0)]


@given(st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
                 st.decimals(allow_nan=False, allow_infinity=False)))
def test_a_skipped_converter_would_have_returned_the_value_unchanged(value):
    from orm.query.plan_statements import _RESULT_TYPES

    for converter, result_type in _RESULT_TYPES.items():
        if type(value) is result_type:  # the cached aggregate() path skips the call
            converted = converter(value)
            assert type(converted) is result_type and converted == value
