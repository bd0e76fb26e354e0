"""Behaviours found by probing the QuerySet on every backend (helper P1's round)."""

from __future__ import annotations

import pytest

import orm


class ProbeTag(orm.Model):
    name = orm.CharField(max_length=20, unique=True)
    uses = orm.IntegerField(default=0)

    class Meta:
        app_label = "probep1"


MODELS = [ProbeTag]


def test_bulk_create_update_conflicts_sets_pks_where_returned(models_db, vendor):
    existing = ProbeTag.objects.create(name="x")
    objs = ProbeTag.objects.bulk_create(
        [ProbeTag(name="x", uses=5), ProbeTag(name="new")],
        update_conflicts=True, unique_fields=["name"], update_fields=["uses"],
    )
    assert ProbeTag.objects.count() == 2
    assert ProbeTag.objects.get(name="x").uses == 5
    if vendor == "mysql":
        pytest.skip("MySQL does not return rows from INSERT ... ON DUPLICATE KEY UPDATE")
    assert objs[0].pk == existing.pk
    assert objs[1].pk == ProbeTag.objects.get(name="new").pk
