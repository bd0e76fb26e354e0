"""Dates, datetimes and durations combined in SQL: the same answers on every backend."""

from __future__ import annotations

import datetime

import pytest

import orm
from orm import F, Value

UTC = datetime.timezone.utc


class Shift(orm.Model):
    name = orm.CharField(max_length=10)
    start = orm.DateTimeField(null=True)
    end = orm.DateTimeField(null=True)
    day = orm.DateField(null=True)
    other_day = orm.DateField(null=True)
    length = orm.DurationField(null=True)

    class Meta:
        app_label = "temporaltests"


MODELS = [Shift]


@pytest.fixture
def shifts(models_db):
    Shift.objects.create(
        name="night",
        start=datetime.datetime(2024, 2, 28, 22, 30, tzinfo=UTC),
        end=datetime.datetime(2024, 2, 29, 6, 15, 0, 250000, tzinfo=UTC),
        day=datetime.date(2024, 2, 28),
        other_day=datetime.date(2024, 3, 2),
        length=datetime.timedelta(hours=7, minutes=45),
    )
    Shift.objects.create(name="empty")
    return Shift.objects.order_by("name")


def column(queryset, expression):
    return list(queryset.annotate(value=expression).values_list("value", flat=True))


def test_datetime_plus_and_minus_a_duration(shifts):
    assert column(shifts, F("start") + F("length")) == [None, datetime.datetime(2024, 2, 29, 6, 15, tzinfo=UTC)]
    assert column(shifts, F("length") + F("start")) == [None, datetime.datetime(2024, 2, 29, 6, 15, tzinfo=UTC)]
    assert column(shifts, F("end") - F("length")) == [
        None, datetime.datetime(2024, 2, 28, 22, 30, 0, 250000, tzinfo=UTC)
    ]
    assert column(shifts, F("start") + Value(datetime.timedelta(days=1, microseconds=5))) == [
        None, datetime.datetime(2024, 2, 29, 22, 30, 0, 5, tzinfo=UTC)
    ]


def test_date_plus_a_duration_is_a_datetime(shifts):
    assert column(shifts, F("day") + F("length")) == [None, datetime.datetime(2024, 2, 28, 7, 45, tzinfo=UTC)]
    assert column(shifts, F("day") - Value(datetime.timedelta(days=1))) == [
        None, datetime.datetime(2024, 2, 27, tzinfo=UTC)
    ]


def test_differences_are_durations(shifts):
    assert column(shifts, F("end") - F("start")) == [None, datetime.timedelta(hours=7, minutes=45, microseconds=250000)]
    assert column(shifts, F("other_day") - F("day")) == [None, datetime.timedelta(days=3)]
    assert column(shifts, F("day") - F("other_day")) == [None, datetime.timedelta(days=-3)]


def test_filtering_on_temporal_arithmetic(shifts):
    assert list(Shift.objects.filter(end__gt=F("start") + F("length")).values_list("name", flat=True)) == ["night"]
    assert not Shift.objects.filter(end__gt=F("start") + F("length") + Value(datetime.timedelta(seconds=1))).exists()
    longer = Shift.objects.annotate(took=F("end") - F("start")).filter(took__gt=datetime.timedelta(hours=7))
    assert list(longer.values_list("name", flat=True)) == ["night"]


def test_updating_with_temporal_arithmetic(shifts):
    Shift.objects.filter(name="night").update(end=F("start") + F("length"))
    assert Shift.objects.get(name="night").end == datetime.datetime(2024, 2, 29, 6, 15, tzinfo=UTC)
