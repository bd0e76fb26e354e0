"""get_next_by_<date field>() / get_previous_by_<date field>(), as Django's."""

from __future__ import annotations

import datetime

import pytest

import orm


class NpEvent(orm.Model):
    title = orm.CharField(max_length=20)
    day = orm.DateField()
    at = orm.DateTimeField(null=True)
    kind = orm.CharField(max_length=5, default="a")

    class Meta:
        app_label = "nextprev"


MODELS = [NpEvent]


@pytest.fixture
def events(models_db):
    d = datetime.date
    rows = [("first", d(2024, 1, 1), "a"), ("tie-a", d(2024, 2, 1), "b"), ("tie-b", d(2024, 2, 1), "a"),
            ("last", d(2024, 3, 1), "a")]
    return {title: NpEvent.objects.create(title=title, day=day, kind=kind) for title, day, kind in rows}


def test_next_and_previous_follow_the_date_then_the_pk(events):
    assert events["first"].get_next_by_day().title == "tie-a"
    assert events["tie-a"].get_next_by_day().title == "tie-b"
    assert events["tie-b"].get_next_by_day().title == "last"
    assert events["last"].get_previous_by_day().title == "tie-b"
    assert events["tie-a"].get_previous_by_day().title == "first"
    with pytest.raises(NpEvent.DoesNotExist):
        events["last"].get_next_by_day()


def test_filters_narrow_the_candidates(events):
    assert events["first"].get_next_by_day(kind="a").title == "tie-b"
    assert events["tie-b"].get_previous_by_day(kind="b").title == "tie-a"
    with pytest.raises(NpEvent.DoesNotExist):
        events["tie-a"].get_previous_by_day(kind="b")


def test_nullable_dates_get_no_methods_and_unsaved_objects_refuse():
    assert not hasattr(NpEvent, "get_next_by_at")
    with pytest.raises(ValueError, match="unsaved"):
        NpEvent(title="x", day=datetime.date(2024, 1, 1)).get_next_by_day()
