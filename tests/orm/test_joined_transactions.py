"""``atomic`` inside a transaction opened by hand (``connection.begin()``, as a migration's).

The block joins that transaction inside a savepoint: it never commits it (its
opener does), and an error in the block undoes the block only.
"""

from __future__ import annotations

import pytest

import orm


class Entry(orm.Model):
    name = orm.CharField(max_length=30, unique=True)

    class Meta:
        app_label = "txjoin"


MODELS = [Entry]


def names():
    return sorted(Entry.objects.values_list("name", flat=True))


def test_atomic_in_a_hand_opened_transaction_leaves_the_commit_to_its_opener(models_db):
    connection = orm.connections["default"]
    connection.begin()
    with orm.atomic():
        Entry.objects.create(name="inside")
    assert connection.in_transaction
    connection.rollback()
    assert names() == []


def test_error_in_a_joined_atomic_block_undoes_that_block_only(models_db):
    connection = orm.connections["default"]
    connection.begin()
    Entry.objects.create(name="before")
    with pytest.raises(orm.IntegrityError):
        with orm.atomic():
            Entry.objects.create(name="doomed")
            Entry.objects.create(name="before")
    # get_or_create (an atomic block) works inside, as in a RunPython data migration.
    Entry.objects.get_or_create(name="after")
    connection.commit()
    assert names() == ["after", "before"]
