"""Ordering and values across relations (H3, session 14)."""

from __future__ import annotations

import pytest

from .test_probe_s14_relations import MODELS, SOwner, SThing


@pytest.fixture
def things(setup_models):
    setup_models(*MODELS)
    zed = SOwner.objects.create(name="zed")
    amy = SOwner.objects.create(name="amy")
    SThing.objects.create(name="t1", owner=zed)
    SThing.objects.create(name="t2", owner=amy, keeper=zed)
    SThing.objects.create(name="t3", owner=amy, keeper=amy)
    return zed, amy


def test_order_by_relation_uses_the_related_ordering(things):
    # As Django: order_by("owner") sorts by SOwner.Meta.ordering (name), not by owner_id.
    assert list(SThing.objects.order_by("owner", "name").values_list("name", flat=True)) == ["t2", "t3", "t1"]
    assert list(SThing.objects.order_by("-owner", "name").values_list("name", flat=True)) == ["t1", "t2", "t3"]
    assert list(SThing.objects.order_by("owner_id", "name").values_list("name", flat=True)) == ["t1", "t2", "t3"]


def test_values_of_relations_give_keys(things):
    zed, amy = things
    assert list(SThing.objects.order_by("name").values_list("owner", flat=True)) == [zed.pk, amy.pk, amy.pk]
    assert sorted(SOwner.objects.filter(name="amy").values_list("thing", flat=True)) == sorted(
        SThing.objects.filter(owner=amy).values_list("pk", flat=True)
    )
    assert list(SThing.objects.filter(keeper__isnull=True).values_list("name", flat=True)) == ["t1"]
    assert list(SOwner.objects.filter(kept__isnull=True).values_list("name", flat=True)) == []
    assert list(SOwner.objects.exclude(kept__name="t2").values_list("name", flat=True)) == ["amy"]
