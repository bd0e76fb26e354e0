"""``select_for_update()`` is refused outside a transaction where it would lock (as Django)."""

from __future__ import annotations

import pytest

import orm


class Seat(orm.Model):
    number = orm.IntegerField()

    class Meta:
        app_label = "lockingtests"


MODELS = [Seat]


@pytest.fixture
def seats(models_db):
    Seat.objects.bulk_create(Seat(number=n) for n in range(3))


def test_outside_a_transaction_it_is_refused_where_rows_would_lock(vendor, seats):
    locking = Seat.objects.select_for_update().filter(number__gte=1)
    assert "SELECT" in str(locking.query)  # building and printing it is fine
    evaluations = (
        lambda: list(locking),
        lambda: locking.get(number=1),
        lambda: locking.first(),
        lambda: list(locking.iterator(chunk_size=1)),
        lambda: list(locking.values_list("number", flat=True)),
    )
    for evaluate in evaluations:
        if vendor == "sqlite":  # SQLite has no row locks: nothing to pretend
            evaluate()
        else:
            with pytest.raises(orm.ProgrammingError, match="inside orm.atomic"):
                evaluate()


def test_inside_a_transaction_it_locks_and_update_or_create_uses_it(seats):
    with orm.atomic():
        assert len(Seat.objects.select_for_update().filter(number__gte=1)) == 2
        assert list(Seat.objects.select_for_update().iterator(chunk_size=2))
    seat, created = Seat.objects.update_or_create(number=2, defaults={"number": 5})
    assert not created and seat.number == 5
