"""Text and math database functions: the same results on every backend."""

from __future__ import annotations

import decimal
import hashlib
import math

import pytest

import orm
from orm import (
    MD5,
    ACos,
    ASin,
    ATan,
    ATan2,
    Ceil,
    Chr,
    Cos,
    Cot,
    Degrees,
    Exp,
    F,
    Floor,
    Left,
    Ln,
    Log,
    LPad,
    LTrim,
    Mod,
    NullIf,
    Ord,
    Pi,
    Power,
    Radians,
    Repeat,
    Replace,
    Reverse,
    Right,
    RPad,
    RTrim,
    Sign,
    Sin,
    Sqrt,
    StrIndex,
    Substr,
    Tan,
    Trim,
    Upper,
    Value,
)


class Word(orm.Model):
    text = orm.CharField(max_length=40)
    note = orm.TextField(null=True)
    number = orm.IntegerField()
    real = orm.FloatField()
    price = orm.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        app_label = "functiontests"


MODELS = [Word]


@pytest.fixture
def words(models_db):
    Word.objects.create(text="  Django reinhardt ", note="jazz", number=7, real=2.25,
                        price=decimal.Decimal("12.40"))
    Word.objects.create(text="émile", note=None, number=-3, real=0.5, price=decimal.Decimal("-1.60"))
    return Word.objects.order_by("id")


def values(queryset, **annotations):
    return [row["value"] for row in queryset.annotate(value=annotations["value"]).values("value")]


def test_substrings(words):
    assert values(words, value=Substr("text", 3, 6)) == ["Django", "ile"]
    assert values(words, value=Substr("text", 3)) == ["Django reinhardt ", "ile"]
    assert values(words, value=Left("text", 4)) == ["  Dj", "émil"]
    assert values(words, value=Right("text", 3)) == ["dt ", "ile"]
    assert values(words, value=Right("text", 10)) == ["reinhardt ", "émile"]
    assert values(words, value=StrIndex("text", Value("i"))) == [12, 3]
    assert values(words, value=StrIndex("text", Value("zz"))) == [0, 0]
    assert values(words, value=Upper(Left("text", F("number") - 2))) == ["  DJA", ""]


def test_trimming_padding_and_repeating(words):
    assert values(words, value=Trim("text")) == ["Django reinhardt", "émile"]
    assert values(words, value=LTrim("text")) == ["Django reinhardt ", "émile"]
    assert values(words, value=RTrim("text")) == ["  Django reinhardt", "émile"]
    assert values(words, value=LPad("note", 6, Value("*"))) == ["**jazz", None]
    assert values(words, value=RPad("note", 7, Value("ab"))) == ["jazzaba", None]
    assert values(words, value=LPad("note", 2)) == ["ja", None]
    assert values(words, value=LPad(Value("x"), 3)) == ["  x", "  x"]
    assert values(words, value=Repeat("note", 3)) == ["jazzjazzjazz", None]
    assert values(words, value=Repeat("note", 0)) == ["", None]


def test_replacing_reversing_hashing(words):
    assert values(words, value=Replace("text", Value("a"), Value("4"))) == ["  Dj4ngo reinh4rdt ", "émile"]
    assert values(words, value=Replace("text", Value(" "))) == ["Djangoreinhardt", "émile"]
    assert values(words, value=Reverse("note")) == ["zzaj", None]
    assert values(words, value=Reverse(Trim("text"))) == ["tdrahnier ognajD", "elimé"]
    assert values(words, value=MD5("note")) == [hashlib.md5(b"jazz").hexdigest(), None]
    assert values(words, value=MD5("text"))[1] == hashlib.md5("émile".encode()).hexdigest()


def test_code_points_and_nullif(words):
    assert values(words, value=Ord(Trim("text"))) == [ord("D"), ord("é")]
    assert values(words, value=Chr(Value(8364))) == ["€", "€"]
    assert values(words, value=Chr(Value(0x1F3B8))) == ["\U0001F3B8", "\U0001F3B8"]
    assert values(words, value=NullIf("note", Value("jazz"))) == [None, None]
    assert values(words, value=NullIf("number", Value(-3))) == [7, None]


def test_rounding_functions_keep_the_kind(words):
    assert values(words, value=Ceil("real")) == [3.0, 1.0]
    assert values(words, value=Floor("real")) == [2.0, 0.0]
    ceilings = values(words, value=Ceil("number"))
    assert ceilings == [7, -3] and all(type(v) is int for v in ceilings)
    assert values(words, value=Sign("number")) == [1, -1]
    assert values(words, value=Mod("number", Value(4))) == [3, -3]
    prices = values(words, value=Ceil("price"))
    assert prices == [decimal.Decimal("13"), decimal.Decimal("-1")]
    assert all(isinstance(v, decimal.Decimal) for v in prices)
    assert values(words, value=Floor("price")) == [decimal.Decimal("12"), decimal.Decimal("-2")]


def test_float_functions(words):
    def close(actual, expected):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert a is None and e is None or math.isclose(a, e, rel_tol=1e-9, abs_tol=1e-12), (actual, expected)

    close(values(words, value=Power("real", Value(2))), [5.0625, 0.25])
    close(values(words, value=Sqrt("real")), [1.5, math.sqrt(0.5)])
    close(values(words, value=Exp("real")), [math.exp(2.25), math.exp(0.5)])
    close(values(words, value=Ln("real")), [math.log(2.25), math.log(0.5)])
    close(values(words, value=Log(Value(2.0), "real")), [math.log2(2.25), -1.0])
    close(values(words, value=Pi()), [math.pi, math.pi])
    close(values(words, value=Degrees("real")), [math.degrees(2.25), math.degrees(0.5)])
    close(values(words, value=Radians("real")), [math.radians(2.25), math.radians(0.5)])
    close(values(words, value=Sin("real")), [math.sin(2.25), math.sin(0.5)])
    close(values(words, value=Cos("real")), [math.cos(2.25), math.cos(0.5)])
    close(values(words, value=Tan("real")), [math.tan(2.25), math.tan(0.5)])
    close(values(words, value=Cot("real")), [1 / math.tan(2.25), 1 / math.tan(0.5)])
    close(values(words, value=ASin(Value(0.5))), [math.asin(0.5)] * 2)
    close(values(words, value=ACos(Value(0.5))), [math.acos(0.5)] * 2)
    close(values(words, value=ATan("real")), [math.atan(2.25), math.atan(0.5)])
    close(values(words, value=ATan2("real", Value(2.0))), [math.atan2(2.25, 2), math.atan2(0.5, 2)])
    assert all(type(v) is float for v in values(words, value=Power("number", Value(2))))


def test_functions_in_filters_and_ordering(words):
    assert list(words.filter(text__contains="j").annotate(n=StrIndex("text", Value("j"))).values_list("n", flat=True)) == [4]
    assert [w.number for w in Word.objects.annotate(s=Sign("number")).filter(s__lt=0)] == [-3]
    assert [w.number for w in Word.objects.order_by(Reverse(Trim("text")))] == [-3, 7]


def test_bad_arguments_raise_before_any_sql():
    with pytest.raises(ValueError, match="at least 1"):
        Substr("text", 0)
    with pytest.raises(ValueError, match="at least 1"):
        Left("text", 0)
    with pytest.raises(ValueError, match="at least 0"):
        LPad("text", -1)
    with pytest.raises(ValueError, match="at least 0"):
        Repeat("text", -2)
    with pytest.raises(TypeError):
        NullIf("text")


def test_sqlite_without_math_functions_gets_python_ones(monkeypatch):
    import sqlite3

    from backends.sqlite import sql_functions

    monkeypatch.setattr(sql_functions, "_has_math_functions", lambda: False)
    connection = sqlite3.connect(":memory:")
    try:
        sql_functions.register_functions(connection)
        row = connection.execute(
            "SELECT ceil(1.5), floor(-1.5), ln(1), log(2, 8), sign(-3), mod(7, 3), sqrt(-1), "
            "power(2, 10), atan2(1, 1), ceil(NULL)"
        ).fetchone()
    finally:
        connection.close()
    assert row == (2, -2, 0.0, 3.0, -1, 1.0, None, 1024.0, math.atan2(1, 1), None)


def test_json_object_builds_a_document(words):
    documents = values(
        words, value=orm.JSONObject(text=Trim("text"), n="number", nested=orm.JSONObject(note="note"))
    )
    assert documents == [
        {"text": "Django reinhardt", "n": 7, "nested": {"note": "jazz"}},
        {"text": "émile", "n": -3, "nested": {"note": None}},
    ]


def test_collate_orders_by_another_collation(words, vendor):
    Word.objects.create(text="apple", number=0, real=0, price=0)
    Word.objects.create(text="Banana", number=0, real=0, price=0)
    binary = {"sqlite": "BINARY", "postgresql": "C", "mysql": "utf8mb4_bin"}[vendor]
    names = [w.text for w in Word.objects.filter(number=0).order_by(orm.Collate("text", binary))]
    assert names == ["Banana", "apple"]
    if vendor == "sqlite":
        folded = Word.objects.filter(number=0).order_by(orm.Collate("text", "NOCASE"))
        assert [w.text for w in folded] == ["apple", "Banana"]
    exact = Word.objects.annotate(t=orm.Collate("text", binary)).filter(t="banana")
    assert not exact.exists()
    with pytest.raises(ValueError, match="invalid collation"):
        orm.Collate("text", 'C" ; DROP TABLE x; --')
