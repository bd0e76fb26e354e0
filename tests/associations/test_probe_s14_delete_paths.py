"""QuerySet.delete() gives the same result by subquery and by collecting rows (H3, session 14)."""

from __future__ import annotations

import pytest

import orm

from .test_probe_s14_more import MODELS, RAward, RBadge, RLeaf, RMid, RTop
from .test_probe_s14_relations import MODELS as OWNER_MODELS
from .test_probe_s14_relations import SCard, SOwner, SThing


@pytest.fixture(params=["subquery", "collected"])
def path(request, setup_models):
    setup_models(*MODELS, *OWNER_MODELS)
    if request.param == "collected":
        def receiver(sender, instance, **kwargs):
            pass

        orm.pre_delete.connect(receiver)
        yield request.param
        orm.pre_delete.disconnect(receiver)
    else:
        yield request.param


def test_cascade_set_null_set_default_counts(path):
    top = RTop.objects.create(name="t")
    other = RTop.objects.create(name="o")
    mid = RMid.objects.create(name="m", top=top)
    RLeaf.objects.create(name="a", mid=mid, code_top=other)
    RLeaf.objects.create(name="b", code_top=top)
    badge = RBadge.objects.create(name="x")
    badge.leaves.add(*RLeaf.objects.all())
    total, per = RTop.objects.filter(name="t").delete()
    assert (total, per) == (4, {"assoc_s14b.RTop": 1, "assoc_s14b.RMid": 1, "assoc_s14b.RLeaf": 1, "assoc_s14b.RAward": 1})
    assert list(RLeaf.objects.values_list("name", "code_top")) == [("b", None)]
    assert RAward.objects.count() == 1


def test_restrict_through_queryset(path):
    top = RTop.objects.create(name="t")
    other = RTop.objects.create(name="o")
    RMid.objects.create(name="m", top=other, alt=top)
    with pytest.raises(orm.RestrictedError):
        RTop.objects.filter(name="t").delete()
    assert RTop.objects.all().delete()[0] == 3


def test_set_callable_and_protect_through_queryset(path):
    o = SOwner.objects.create(name="o")
    p = SOwner.objects.create(name="p")
    SThing.objects.create(name="t", owner=p, keeper=o, holder=o)
    SCard.objects.create(owner=o)
    total, per = SOwner.objects.filter(name="o").delete()
    assert per == {"assoc_s14.SOwner": 1, "assoc_s14.SCard": 1}
    thing = SThing.objects.get()
    assert thing.keeper_id is None and thing.holder.name == "default"
    thing.guard = p
    thing.save()
    with pytest.raises(orm.ProtectedError):
        SOwner.objects.filter(name="p").delete()
    assert SOwner.objects.filter(name="p").exists()
