"""``QuerySet.dates()`` and ``datetimes()`` on every backend."""

from __future__ import annotations

import datetime

import pytest

import orm

UTC = datetime.timezone.utc


class Entry(orm.Model):
    title = orm.CharField(max_length=20)
    day = orm.DateField(null=True)
    stamp = orm.DateTimeField(null=True)

    class Meta:
        app_label = "datestests"
        ordering = ["title"]


MODELS = [Entry]


@pytest.fixture
def entries(models_db):
    rows = [
        ("a", datetime.date(2024, 1, 31), datetime.datetime(2024, 1, 31, 23, 59, 58, tzinfo=UTC)),
        ("b", datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 31, 23, 10, tzinfo=UTC)),
        ("c", datetime.date(2024, 3, 15), datetime.datetime(2024, 3, 15, 8, 0, 5, tzinfo=UTC)),
        ("d", datetime.date(2023, 12, 25), datetime.datetime(2023, 12, 25, 8, 0, 5, 123456, tzinfo=UTC)),
        ("e", None, None),
    ]
    Entry.objects.bulk_create(Entry(title=t, day=d, stamp=s) for t, d, s in rows)


def test_dates_of_a_date_field(entries):
    D = datetime.date
    assert list(Entry.objects.dates("day", "year")) == [D(2023, 1, 1), D(2024, 1, 1)]
    assert list(Entry.objects.dates("day", "month")) == [D(2023, 12, 1), D(2024, 1, 1), D(2024, 3, 1)]
    assert list(Entry.objects.dates("day", "month", order="DESC")) == [
        D(2024, 3, 1), D(2024, 1, 1), D(2023, 12, 1)
    ]
    assert list(Entry.objects.dates("day", "day")) == [
        D(2023, 12, 25), D(2024, 1, 2), D(2024, 1, 31), D(2024, 3, 15)
    ]
    # ISO weeks start on Monday: 2024-01-02 is in the week of 2024-01-01.
    assert D(2024, 1, 1) in list(Entry.objects.dates("day", "week"))
    assert all(type(value) is D for value in Entry.objects.dates("day", "day"))


def test_dates_of_a_datetime_field_and_filters(entries):
    D = datetime.date
    assert list(Entry.objects.filter(title__in=["a", "b"]).dates("stamp", "day")) == [D(2024, 1, 31)]
    assert Entry.objects.dates("stamp", "month").count() == 3


def test_datetimes(entries):
    T = datetime.datetime
    assert list(Entry.objects.datetimes("stamp", "hour")) == [
        T(2023, 12, 25, 8, tzinfo=UTC), T(2024, 1, 31, 23, tzinfo=UTC), T(2024, 3, 15, 8, tzinfo=UTC)
    ]
    assert list(Entry.objects.datetimes("stamp", "second", order="DESC"))[:1] == [
        T(2024, 3, 15, 8, 0, 5, tzinfo=UTC)
    ]
    assert list(Entry.objects.datetimes("stamp", "year", tzinfo=UTC)) == [
        T(2023, 1, 1, tzinfo=UTC), T(2024, 1, 1, tzinfo=UTC)
    ]


def test_bad_arguments(entries):
    with pytest.raises(ValueError, match="kind must be one of"):
        Entry.objects.dates("day", "hour")
    with pytest.raises(ValueError, match="order must be"):
        Entry.objects.dates("day", "year", order="up")
    with pytest.raises(orm.FieldError, match="expected DateTimeField"):
        Entry.objects.datetimes("day", "hour")
    with pytest.raises(orm.FieldError, match="expected DateField or DateTimeField"):
        Entry.objects.dates("title", "year")
    with pytest.raises(orm.NotSupportedError, match="UTC"):
        Entry.objects.datetimes("stamp", "hour", tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
