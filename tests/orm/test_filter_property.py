"""Property: a random filter picks exactly the rows a plain-Python evaluation of it picks.

The oracle evaluates the same predicate over the same Python rows with
Django's NULL rules (a comparison with NULL is false; a negated condition
keeps rows whose column is NULL; ``filter(x=None)`` is ``IS NULL``). No SQL
is involved in the oracle. Strings use lower-case letters plus LIKE's
special characters so that MySQL's case-insensitive default collation
cannot change ``exact``.
"""

from __future__ import annotations

import datetime
import decimal
import operator
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from orm import F, Q

from .conftest import create_tables


class Sample(orm.Model):
    num = orm.IntegerField(null=True)
    other = orm.IntegerField()
    name = orm.CharField(max_length=10, null=True)
    flag = orm.BooleanField()
    day = orm.DateField(null=True)
    price = orm.DecimalField(max_digits=6, decimal_places=2, null=True)

    class Meta:
        app_label = "propertytests"


MODELS = [Sample]

LETTERS = "ab%_\\"
small_ints = st.integers(-3, 3)
strings = st.text(alphabet=LETTERS, max_size=3)
days = st.dates(datetime.date(2020, 1, 1), datetime.date(2021, 12, 31))
prices = st.sampled_from(
    [decimal.Decimal(text) for text in ("-1.50", "0.00", "0.25", "2.00", "10.10")]
)

rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "num": st.none() | small_ints,
            "other": small_ints,
            "name": st.none() | strings,
            "flag": st.booleans(),
            "day": st.none() | days,
            "price": st.none() | prices,
        }
    ),
    max_size=12,
)

COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def _leaf(field, lookup, value):
    """A leaf predicate as (Q, python function of a row dict)."""
    key = f"{field}__{lookup}"

    def test(row):
        current = row[field]
        if lookup == "isnull":
            return (current is None) == value
        if lookup == "exact" and value is None:
            return current is None
        if current is None:
            return False
        if lookup == "exact":
            return current == value
        if lookup in COMPARE:
            return COMPARE[lookup](current, value)
        if lookup == "in":
            return current in value
        if lookup == "range":
            return value[0] <= current <= value[1]
        if lookup == "contains":
            return value in current
        if lookup == "icontains":
            return value.lower() in current.lower()
        if lookup == "startswith":
            return current.startswith(value)
        if lookup == "endswith":
            return current.endswith(value)
        if lookup == "iexact":
            return current.lower() == value.lower()
        if lookup == "istartswith":
            return current.lower().startswith(value.lower())
        if lookup == "year":
            return current.year == value
        if lookup == "month":
            return current.month == value
        raise AssertionError(lookup)

    return Q(**{key: value}), test


def _f_leaf(lookup, offset):
    """``num <lookup> other + offset``: an F comparison (``other`` is never NULL)."""
    expression = F("other") + offset if offset else F("other")

    def test(row):
        if row["num"] is None:
            return False
        return COMPARE.get(lookup, operator.eq)(row["num"], row["other"] + offset)

    return Q(**{f"num__{lookup}": expression}), test


numbers = st.one_of(
    st.tuples(st.just("num"), st.sampled_from(["exact", "gt", "gte", "lt", "lte"]), small_ints),
    st.tuples(st.just("num"), st.just("exact"), st.none()),
    st.tuples(st.just("num"), st.just("in"), st.lists(small_ints, max_size=3)),
    st.tuples(st.just("num"), st.just("range"), st.tuples(small_ints, small_ints)),
    st.tuples(st.sampled_from(["num", "name", "day", "price"]), st.just("isnull"), st.booleans()),
    st.tuples(st.just("other"), st.sampled_from(["exact", "gt", "lte"]), small_ints),
    st.tuples(st.just("flag"), st.just("exact"), st.booleans()),
    st.tuples(
        st.just("name"),
        st.sampled_from(["exact", "contains", "startswith", "endswith"]),
        strings,
    ),
    st.tuples(
        st.just("name"),
        st.sampled_from(["iexact", "icontains", "istartswith"]),
        st.text(alphabet="abAB%_", max_size=2),
    ),
    st.tuples(st.just("name"), st.just("in"), st.lists(strings, max_size=3)),
    st.tuples(st.just("day"), st.sampled_from(["gt", "lte"]), days),
    st.tuples(st.just("day"), st.just("year"), st.sampled_from([2020, 2021])),
    st.tuples(st.just("day"), st.just("month"), st.integers(1, 12)),
    st.tuples(st.just("price"), st.sampled_from(["exact", "gt", "lt"]), prices),
)

leaves = st.one_of(
    numbers.map(lambda spec: _leaf(*spec)),
    st.tuples(st.sampled_from(["exact", "gt", "lt", "gte"]), st.integers(-1, 1)).map(
        lambda spec: _f_leaf(*spec)
    ),
)


def _combine(children):
    return st.one_of(
        st.tuples(children, children).map(
            lambda pair: (
                pair[0][0] & pair[1][0],
                lambda row, a=pair[0][1], b=pair[1][1]: a(row) and b(row),
            )
        ),
        st.tuples(children, children).map(
            lambda pair: (
                pair[0][0] | pair[1][0],
                lambda row, a=pair[0][1], b=pair[1][1]: a(row) or b(row),
            )
        ),
        st.tuples(children, children).map(
            lambda pair: (
                pair[0][0] ^ pair[1][0],
                lambda row, a=pair[0][1], b=pair[1][1]: a(row) != b(row),
            )
        ),
        children.map(lambda node: (~node[0], lambda row, a=node[1]: not a(row))),
    )


predicates = st.recursive(leaves, _combine, max_leaves=6)

ORDERINGS = {
    "other": (F("other").asc(), lambda row: row["other"]),
    "-other": (F("other").desc(), lambda row: -row["other"]),
    "num_nulls_last": (
        F("num").asc(nulls_last=True),
        lambda row: (row["num"] is None, row["num"] or 0),
    ),
    "-num_nulls_last": (
        F("num").desc(nulls_last=True),
        lambda row: (row["num"] is None, -(row["num"] or 0)),
    ),
    "flag": (F("flag").asc(), lambda row: row["flag"]),
    "-day_nulls_first": (
        F("day").desc(nulls_first=True),
        lambda row: (row["day"] is not None, -(row["day"].toordinal() if row["day"] else 0)),
    ),
}

orderings = st.lists(st.sampled_from(sorted(ORDERINGS)), max_size=2, unique=True)
slices = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 4), st.none() | st.integers(0, 8)),
)


@pytest.fixture
def sample_table(orm_db):
    create_tables(Sample)
    return orm_db


@settings(
    max_examples=int(os.environ.get("MANOUCHE_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=rows_strategy,
    predicate=predicates,
    exclude=st.booleans(),
    ordering=orderings,
    window=slices,
    descending_id=st.booleans(),
)
def test_random_filters_match_python(
    sample_table, rows, predicate, exclude, ordering, window, descending_id
):
    Sample.objects.all().delete()
    objects = Sample.objects.bulk_create([Sample(**row) for row in rows])
    stored = list(Sample.objects.order_by("id"))
    assert len(stored) == len(objects)
    python_rows = [dict(row, id=obj.pk) for row, obj in zip(rows, stored, strict=True)]

    condition, test = predicate
    queryset = Sample.objects.exclude(condition) if exclude else Sample.objects.filter(condition)
    expected = [row for row in python_rows if test(row) != exclude]

    order_exprs = [ORDERINGS[name][0] for name in ordering]
    order_exprs.append("-id" if descending_id else "id")
    queryset = queryset.order_by(*order_exprs)
    expected.sort(key=lambda row: -row["id"] if descending_id else row["id"])
    for name in reversed(ordering):
        expected.sort(key=lambda row, key=ORDERINGS[name][1]: key(row))

    if window is not None:
        start, stop = window
        queryset = queryset[start:stop]
        expected = expected[start:stop]

    got = list(queryset.values_list("id", flat=True))
    assert got == [row["id"] for row in expected], str(queryset.query)
    assert queryset.count() == len(expected)
