"""Expressions whose SQL differs per backend give the same values everywhere."""

from __future__ import annotations

import decimal

import pytest

import orm
from orm import Concat, Exists, ExpressionWrapper, F, OuterRef, Q, Round, Value


class Reading(orm.Model):
    label = orm.CharField(max_length=10)
    n = orm.IntegerField()
    ratio = orm.FloatField()
    amount = orm.DecimalField(max_digits=6, decimal_places=2)
    flag = orm.BooleanField(default=False)

    class Meta:
        app_label = "portabilitytests"


MODELS = [Reading]


@pytest.fixture
def readings(models_db):
    Reading.objects.create(label="a", n=7, ratio=2.345, amount=decimal.Decimal("3.25"), flag=True)
    Reading.objects.create(label="b", n=-7, ratio=-0.57, amount=decimal.Decimal("-1.10"))
    return Reading.objects.order_by("label")


def column(queryset, expression):
    return list(queryset.annotate(value=expression).values_list("value", flat=True))


def test_concat_turns_numbers_into_text(readings):
    assert column(readings, Concat("label", Value(":"), "n")) == ["a:7", "b:-7"]
    assert column(readings, Concat("n", "label")) == ["7a", "-7b"]


def test_integer_remainder_keeps_the_dividend_sign_and_type(readings):
    remainders = column(readings, F("n") % 3)
    assert remainders == [1, -1] and all(type(value) is int for value in remainders)
    assert column(readings, F("n") % Value(4)) == [3, -3]


def test_round_a_float_to_places(readings):
    assert column(readings, Round("ratio", 1)) == [2.3, -0.6]
    assert all(type(value) is float for value in column(readings, Round("ratio", 2)))
    assert column(readings, Round("amount")) == [decimal.Decimal("3"), decimal.Decimal("-1")]


def test_exists_annotation_is_a_boolean(readings):
    flagged = Exists(Reading.objects.filter(pk=OuterRef("pk"), flag=True))
    assert column(readings, flagged) == [True, False]
    assert column(readings, ~flagged) == [False, True]


def test_filter_on_a_boolean_expression_wrapper(readings):
    positive = ExpressionWrapper(Q(n__gt=0), output_field=orm.BooleanField())
    assert list(readings.filter(positive).values_list("label", flat=True)) == ["a"]
    assert list(readings.exclude(positive).values_list("label", flat=True)) == ["b"]
    assert column(readings, positive) == [True, False]
    with pytest.raises(TypeError, match="not a condition"):
        readings.filter(ExpressionWrapper(F("n") + 1, output_field=orm.IntegerField()))
