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


class ProbeShift(orm.Model):
    starts = orm.TimeField()

    class Meta:
        app_label = "probep1"


MODELS.append(ProbeShift)


def test_time_field_hour_minute_second_lookups(models_db):
    import datetime

    ProbeShift.objects.create(starts=datetime.time(13, 45, 1, 500))
    ProbeShift.objects.create(starts=datetime.time(9, 5, 7))
    assert ProbeShift.objects.filter(starts__hour=13).count() == 1
    assert ProbeShift.objects.filter(starts__minute=5, starts__second=7).count() == 1
    rows = ProbeShift.objects.order_by("starts").values_list("starts__hour", "starts__minute", "starts__second")
    assert list(rows) == [(9, 5, 7), (13, 45, 1)]
