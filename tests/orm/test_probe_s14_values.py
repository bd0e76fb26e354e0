"""Values compared and shown alike on every backend (helper H2's round, session 14)."""

from __future__ import annotations

import decimal

import pytest

import orm


class ValueItem(orm.Model):
    data = orm.JSONField(null=True)
    ip = orm.GenericIPAddressField(null=True)
    amount = orm.DecimalField(max_digits=10, decimal_places=2, null=True)

    class Meta:
        app_label = "probes14"


MODELS = [ValueItem]

STORED = [1, "1", True, False, 1.0, 1.5, None, "true", "null", "x", {"k": 1}, [1]]


@pytest.mark.parametrize(
    "wanted, matches",
    [
        (1, [1, 1.0]),
        ("1", ["1"]),
        (True, [True]),
        (False, [False]),
        (1.0, [1, 1.0]),
        (1.5, [1.5]),
        (None, [None]),
        ("true", ["true"]),
        ("null", ["null"]),
        ({"k": 1}, [{"k": 1}]),
        ([1], [[1]]),
    ],
)
def test_json_key_exact_compares_type_and_value(models_db, wanted, matches):
    made = [ValueItem.objects.create(data={"s": value}) for value in STORED]
    ValueItem.objects.create(data={})
    ValueItem.objects.create(data=None)
    position = {item.pk: number for number, item in enumerate(made)}
    found = sorted(position[pk] for pk in ValueItem.objects.filter(data__s=wanted).values_list("pk", flat=True))
    assert [STORED[number] for number in found] == matches
    assert ValueItem.objects.exclude(data__s=wanted).count() == len(STORED) + 2 - len(matches)
    expected_in = sorted({*found, *(STORED.index(m) for m in ["x"])})
    found_in = ValueItem.objects.filter(data__s__in=[wanted, "x"]).values_list("pk", flat=True)
    assert sorted(position[pk] for pk in found_in) == expected_in


@pytest.mark.parametrize("key", ['a"b', "a\\b", "a\nb", "a.b", "é", 'x"', "a b", "a[0]", "*", "it's", "$"])
def test_json_key_with_any_characters(models_db, key):
    item = ValueItem.objects.create(data={key: {"inner": 1}, "other": 2})
    ValueItem.objects.create(data={"other": 2})
    assert list(ValueItem.objects.filter(**{f"data__{key}__inner": 1}).values_list("pk", flat=True)) == [item.pk]
    assert list(ValueItem.objects.filter(data__has_key=key).values_list("pk", flat=True)) == [item.pk]
    assert list(ValueItem.objects.filter(data__has_keys=[key, "other"]).values_list("pk", flat=True)) == [item.pk]
    assert ValueItem.objects.filter(**{f"data__{key}__isnull": True}).count() == 1
    assert list(ValueItem.objects.filter(pk=item.pk).values_list(f"data__{key}", flat=True)) == [{"inner": 1}]
    assert list(ValueItem.objects.filter(pk=item.pk).values_list(f"data__{key}__inner", flat=True)) == [1]


def test_text_functions_read_a_json_key_unquoted(models_db):
    from orm import Concat, Length, Lower, Upper, Value

    ValueItem.objects.create(data={"name": "Bob", "n": 12, "list": [1]})
    ValueItem.objects.create(data={"other": 1})
    ValueItem.objects.create(data={"name": None, "n": True})
    rows = ValueItem.objects.order_by("pk").annotate(
        label=Concat("data__name", Value("!")),
        number=Concat(Value("#"), "data__n"),
        low=Lower("data__name"),
        up=Upper("data__name"),
        size=Length("data__name"),
    ).values_list("label", "number", "low", "up", "size")
    assert list(rows) == [
        ("Bob!", "#12", "bob", "BOB", 3),
        ("!", "#", None, None, None),
        ("!", "#true", None, None, None),
    ]
    assert ValueItem.objects.annotate(size=Length("data__name")).filter(size=3).count() == 1
    assert ValueItem.objects.filter(data__n__iexact="TRUE").count() == 1
    assert ValueItem.objects.filter(data__name__icontains="nul").count() == 0


def test_length_and_concat_of_an_address_are_of_its_text(models_db):
    from orm import Concat, Length, Lower, Value

    ValueItem.objects.create(ip="192.168.0.1")
    ValueItem.objects.create(ip="2001:DB8::1")
    rows = ValueItem.objects.order_by("pk").annotate(
        size=Length("ip"), text=Concat("ip", Value("!")), low=Lower("ip")
    ).values_list("ip", "size", "text", "low")
    assert list(rows) == [
        ("192.168.0.1", 11, "192.168.0.1!", "192.168.0.1"),
        ("2001:db8::1", 11, "2001:db8::1!", "2001:db8::1"),
    ]


def test_other_text_functions_read_a_json_key_and_an_address_as_text(models_db):
    from orm import Left, Replace, Value

    ValueItem.objects.create(data={"name": "Bob"}, ip="10.0.0.1")
    row = ValueItem.objects.annotate(
        first=Left("data__name", 2), swapped=Replace("ip", Value("."), Value("-"))
    ).values_list("first", "swapped").get()
    assert row == ("Bo", "10-0-0-1")


@pytest.mark.parametrize("bad", [decimal.Decimal("NaN"), decimal.Decimal("-Infinity"), decimal.Decimal("sNaN"), float("nan"), "Infinity"])
def test_decimal_nan_and_infinity_are_refused_before_any_sql(models_db, bad):
    with pytest.raises(orm.ValidationError, match=r"ValueItem\.amount: expected a finite decimal number"):
        ValueItem.objects.create(amount=bad)
    item = ValueItem.objects.create(amount=decimal.Decimal("1.5"))
    item.amount = bad
    with pytest.raises(orm.ValidationError, match="ValueItem.amount"):
        item.save()
    with pytest.raises(orm.ValidationError, match="ValueItem.amount"):
        ValueItem.objects.filter(amount=bad).count()
    with pytest.raises(orm.ValidationError, match="ValueItem.amount"):
        ValueItem.objects.update(amount=bad)
    with pytest.raises(orm.ValidationError, match="ValueItem.amount"):
        ValueItem(amount=bad).full_clean()
    assert list(ValueItem.objects.values_list("amount", flat=True)) == [decimal.Decimal("1.50")]


def test_text_lookups_on_an_address_see_it_without_netmask(models_db):
    ValueItem.objects.create(ip="192.168.0.1")
    ValueItem.objects.create(ip="2001:db8::1")
    ValueItem.objects.create(ip="10.0.0.1")
    assert ValueItem.objects.filter(ip__iexact="192.168.0.1").count() == 1
    assert ValueItem.objects.filter(ip__endswith="168.0.1").count() == 1
    assert ValueItem.objects.filter(ip__startswith="10.").count() == 1
    assert ValueItem.objects.filter(ip__icontains="DB8").count() == 1
    assert ValueItem.objects.filter(ip__regex=r"^192\.168\.0\.1$").count() == 1
    assert ValueItem.objects.filter(ip="10.0.0.1").count() == 1
