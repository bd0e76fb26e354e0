"""``__in`` lists sent as one array (``= ANY(%s::type[])``, PostgreSQL) select what ``IN`` lists select.

The prefetch queries filter on ``__in`` lists of keys; on PostgreSQL a list
of values of one type the column takes goes as one array parameter. Every
case is checked against rows filtered in Python, on every backend.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

import orm
from associations import prefetch_related_objects

APP = "assoc_perf_prefetch_in_arrays"

UTC = datetime.timezone.utc


class Sample(orm.Model):
    small = orm.SmallIntegerField(null=True)
    number = orm.IntegerField(null=True)
    big = orm.BigIntegerField(null=True)
    label = orm.CharField(max_length=10, null=True)
    text = orm.TextField(default="")
    day = orm.DateField(null=True)
    moment = orm.DateTimeField(null=True)
    amount = orm.DecimalField(max_digits=8, decimal_places=2, null=True)
    ratio = orm.FloatField(null=True)
    flag = orm.BooleanField(default=False)
    token = orm.UUIDField(null=True)

    class Meta:
        app_label = APP


class Keyed(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Holder(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    name = orm.CharField(max_length=20)
    keyed = orm.ManyToManyField(Keyed, related_name="holders")
    sample = orm.ForeignKey(Sample, on_delete=orm.CASCADE, null=True, related_name="holders")

    class Meta:
        app_label = APP


class ReversedField(orm.CharField):
    """Stores text reversed through its adapter (not get_db_prep_value)."""

    def get_internal_type(self) -> str:
        return "CharField"

    def get_db_adapter(self, connection):
        return lambda value: value[::-1]


class Word(orm.Model):
    text = ReversedField(max_length=10)

    class Meta:
        app_label = APP


MODELS = (Sample, Keyed, Holder, Word)
TOKENS = [uuid.UUID(int=index + 1) for index in range(6)]


def _rows():
    rows = []
    for index in range(6):
        rows.append(Sample.objects.create(
            small=index, number=index * 1000, big=index * 10**12, label=f"l{index}'\"{{,}}",
            text=f"t{index}", day=datetime.date(2024, 1, 1 + index),
            moment=datetime.datetime(2024, 1, 1, index, tzinfo=UTC),
            amount=decimal.Decimal(f"{index}.25"), ratio=index / 4, flag=index % 2 == 0, token=TOKENS[index],
        ))
    rows.append(Sample.objects.create())  # every nullable column NULL
    return rows


def _ids(queryset) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


def _expected(rows, name, values) -> list[int]:
    return sorted(row.pk for row in rows if getattr(row, name) is not None and getattr(row, name) in values)


CASES = [  # (field, values, sent as one array on PostgreSQL)
    ("small", [0, 2, 5], True),
    ("number", [1000, 4000, 99], True),
    ("big", [2 * 10**12, 5 * 10**12], True),
    ("big", [10**12, 2**63 - 1, -(2**63)], True),
    ("number", [3000, 2**40], True),  # beyond the integer column: no match, no error
    ("big", [10**12, 2**70], False),  # beyond 64 bits (sqlite3 refuses such an int)
    ("label", ["l1'\"{,}", "l3'\"{,}", "nope"], True),
    ("text", ["t0", "t4", ""], True),
    # Values other than int, str, float, bool take the ordinary IN list.
    ("day", [datetime.date(2024, 1, 2), datetime.date(2024, 1, 6)], False),
    ("moment", [datetime.datetime(2024, 1, 1, 3, tzinfo=UTC)], False),
    ("amount", [decimal.Decimal("1.25"), decimal.Decimal("4.25")], False),
    ("amount", [2, decimal.Decimal("3.25")], False),
    ("ratio", [0.25, 1.0], True),
    ("flag", [True], True),
    ("token", [TOKENS[1], TOKENS[4]], False),
    ("token", [str(TOKENS[2])], False),
    ("number", [1000, "2000"], True),  # strings the field turns into integers
    ("number", [2000, None, 2000], True),  # None and duplicates dropped
    ("label", ["l1'\"{,}", 5], True),  # an int the field turns into a string
]


@pytest.mark.parametrize(("name", "values", "array"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_in_list_selects_what_python_selects(setup_models, vendor, name, values, array):
    if vendor == "sqlite" and any(isinstance(v, int) and v >= 2**63 for v in values):
        pytest.skip("sqlite3 cannot bind an integer beyond 64 bits")
    setup_models(*MODELS)
    rows = _rows()
    expected = _expected(rows, name, [Sample._meta.get_field(name).to_python(v) for v in values if v is not None])
    with orm.capture_queries() as queries:
        assert _ids(Sample.objects.filter(**{f"{name}__in": values})) == expected
    assert ("= ANY(" in queries[0].sql) is (array and vendor == "postgresql")
    # As in Django, exclude() keeps the rows whose column is NULL.
    excluded = sorted(row.pk for row in rows if row.pk not in expected)
    assert _ids(Sample.objects.exclude(**{f"{name}__in": values})) == excluded


def test_postgresql_sends_one_array_and_others_an_in_list(setup_models, vendor):
    setup_models(*MODELS)
    rows = _rows()
    with orm.capture_queries() as queries:
        assert _ids(Sample.objects.filter(number__in=[1000, 2000])) == [rows[1].pk, rows[2].pk]
        assert _ids(Sample.objects.filter(number__in=[1000, orm.F("number")])) == [row.pk for row in rows[:6]]
        assert _ids(Sample.objects.filter(pk__in=Sample.objects.filter(small__lt=2).values("pk"))) == [
            rows[0].pk, rows[1].pk,
        ]
    simple, with_expression, subquery = (query.sql for query in queries)
    if vendor == "postgresql":
        assert "= ANY(%s::bigint[])" in simple and " IN " not in simple
        assert queries[0].params[-1] == [1000, 2000]
    else:
        assert " IN (%s, %s)" in simple
    assert " IN (" in with_expression and " IN (" in subquery


def test_empty_and_single_value_lists(setup_models):
    setup_models(*MODELS)
    rows = _rows()
    assert _ids(Sample.objects.filter(number__in=[])) == []
    assert _ids(Sample.objects.filter(number__in=[None])) == []
    assert _ids(Sample.objects.filter(number__in=[3000])) == [rows[3].pk]
    assert _ids(Sample.objects.filter(label__in=("l2'\"{,}",))) == [rows[2].pk]
    assert _ids(Sample.objects.exclude(pk__in=[]).filter(small__in={1, 2})) == [rows[1].pk, rows[2].pk]


def test_prefetch_over_uuid_keys_and_foreign_keys(setup_models):
    setup_models(*MODELS)
    rows = _rows()
    keyed = [Keyed.objects.create(name=f"k{i}") for i in range(4)]
    holders = [Holder.objects.create(name=f"h{i}", sample=rows[i]) for i in range(3)]
    holders[0].keyed.add(*keyed[:3])
    holders[1].keyed.add(keyed[3])
    lazy = {holder.name: sorted(k.name for k in holder.keyed.all()) for holder in Holder.objects.all()}
    loaded = list(Holder.objects.all())
    prefetch_related_objects(loaded, "keyed", "sample")
    with orm.capture_queries() as queries:
        assert {h.name: sorted(k.name for k in h.keyed.all()) for h in loaded} == lazy
        assert {h.name: h.sample.small for h in loaded} == {"h0": 0, "h1": 1, "h2": 2}
    assert not queries
    samples = list(Sample.objects.filter(pk__in=[row.pk for row in rows[:3]]))
    prefetch_related_objects(samples, "holders")
    assert sorted(s.holders.all()[0].name for s in samples) == ["h0", "h1", "h2"]
    reverse = list(Keyed.objects.all())
    prefetch_related_objects(reverse, "holders")
    assert {k.name: [h.name for h in k.holders.all()] for k in reverse} == {
        "k0": ["h0"], "k1": ["h0"], "k2": ["h0"], "k3": ["h1"],
    }


def test_dialect_takes_one_array_only_for_values_of_one_type_the_column_takes():
    from backends.postgresql.dialect import Dialect

    dialect = Dialect()
    assert dialect.in_array_type("integer", [1, 2]) == "bigint[]"
    assert dialect.in_array_type("smallint", [2**40]) == "bigint[]"
    assert dialect.in_array_type("bigint", [1, 2**63]) is None
    assert dialect.in_array_type("bigint", [1, True]) is None
    assert dialect.in_array_type("bigint", [1, "2"]) is None
    assert dialect.in_array_type("varchar(10)", ["a", "b"]) == "text[]"
    assert dialect.in_array_type("uuid", ["a"]) is None
    assert dialect.in_array_type("jsonb", [1]) is None
    assert dialect.in_array_type("numeric(8, 2)", [1, 2]) == "numeric[]"
    assert dialect.in_array_type("double precision", [1.5]) == "double precision[]"
    assert dialect.in_array_type("double precision", [1]) is None
    assert dialect.in_array_type(None, [1]) is None
    assert dialect.in_array_type("integer", []) is None


def test_in_list_values_go_through_the_fields_adapter(setup_models):
    setup_models(*MODELS)
    for text in ("abc", "xyz", "cba"):
        Word.objects.create(text=text)

    def pks(queryset):
        return sorted(queryset.values_list("pk", flat=True))

    for values in (["abc"], ["abc", "nope"], ["abc", "xyz"], ["cba", "abc", "xyz"]):
        exact = sorted({pk for value in values for pk in pks(Word.objects.filter(text=value))})
        assert pks(Word.objects.filter(text__in=values)) == exact
        assert pks(Word.objects.exclude(text__in=values)) == [pk for pk in pks(Word.objects.all()) if pk not in exact]
    assert len(pks(Word.objects.filter(text__in=["abc", "xyz"]))) == 2
