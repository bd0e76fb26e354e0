"""``UniqueConstraint(deferrable=orm.Deferrable...)``: PostgreSQL defers it, elsewhere it is skipped."""

from __future__ import annotations

import warnings

import pytest

import orm
from backends.base.schema_editor import SkippedConstraintWarning

from .conftest import create_tables


class DeferSlot(orm.Model):
    name = orm.CharField(max_length=10)
    position = orm.IntegerField()
    rank = orm.IntegerField(default=0)

    class Meta:
        app_label = "deferuniq"
        constraints = [
            orm.UniqueConstraint(
                fields=["position"], name="deferslot_position_uniq", deferrable=orm.Deferrable.DEFERRED
            ),
            orm.UniqueConstraint(
                fields=["rank"], name="deferslot_rank_uniq", deferrable=orm.Deferrable.IMMEDIATE
            ),
        ]


def _unique_constraints(connection, table):
    return {c.columns for c in connection.introspection.get_constraints(table) if c.kind == "unique"} | {
        i.columns for i in connection.introspection.get_indexes(table) if i.unique
    }


def _create(vendor):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_tables(DeferSlot)
    return [w for w in caught if issubclass(w.category, SkippedConstraintWarning)]


def test_deferred_unique_constraint_is_checked_at_commit_on_postgresql(orm_db, vendor):
    skipped = _create(vendor)
    connection = orm.connections["default"]
    uniques = _unique_constraints(connection, "deferuniq_deferslot")
    if vendor != "postgresql":
        # As Django: not created (SQLite and MariaDB have no deferrable unique constraints).
        assert {str(w.message).split("'")[1] for w in skipped} == {
            "deferslot_position_uniq", "deferslot_rank_uniq",
        }
        assert "does not support deferrable unique constraints" in str(skipped[0].message)
        assert ("position",) not in uniques and ("rank",) not in uniques
        DeferSlot.objects.create(name="a", position=1)
        DeferSlot.objects.create(name="b", position=1)
        assert DeferSlot.objects.filter(position=1).count() == 2
        return
    assert skipped == []
    assert {("position",), ("rank",)} <= uniques
    a = DeferSlot.objects.create(name="a", position=1, rank=1)
    b = DeferSlot.objects.create(name="b", position=2, rank=2)
    # Swapping two positions passes through a duplicate, checked only at commit.
    with orm.atomic():
        DeferSlot.objects.filter(pk=a.pk).update(position=2)
        DeferSlot.objects.filter(pk=b.pk).update(position=1)
    assert dict(DeferSlot.objects.values_list("name", "position")) == {"a": 2, "b": 1}
    with pytest.raises(orm.IntegrityError):
        with orm.atomic():
            DeferSlot.objects.filter(pk=a.pk).update(position=1)
    # INITIALLY IMMEDIATE: checked per statement unless deferred for the transaction.
    with pytest.raises(orm.IntegrityError):
        with orm.atomic():
            DeferSlot.objects.filter(pk=a.pk).update(rank=2)
    with orm.atomic():
        connection.execute('SET CONSTRAINTS "deferslot_rank_uniq" DEFERRED')
        DeferSlot.objects.filter(pk=a.pk).update(rank=2)
        DeferSlot.objects.filter(pk=b.pk).update(rank=1)
    assert dict(DeferSlot.objects.values_list("name", "rank")) == {"a": 2, "b": 1}


def test_deferrable_argument_is_checked_and_deconstructed():
    constraint = orm.UniqueConstraint(fields=["a"], name="u", deferrable=orm.Deferrable.DEFERRED)
    path, args, kwargs = constraint.deconstruct()
    assert kwargs["deferrable"] is orm.Deferrable.DEFERRED
    assert constraint.clone() == constraint
    assert constraint != orm.UniqueConstraint(fields=["a"], name="u", deferrable=orm.Deferrable.IMMEDIATE)
    assert "deferrable=Deferrable.DEFERRED" in repr(constraint)
    with pytest.raises(TypeError, match="'u': deferrable must be orm.Deferrable"):
        orm.UniqueConstraint(fields=["a"], name="u", deferrable="deferred")
    with pytest.raises(ValueError, match="condition cannot be deferred"):
        orm.UniqueConstraint(
            fields=["a"], name="u", condition=orm.Q(a__gt=0), deferrable=orm.Deferrable.DEFERRED
        )
