"""Multi-valued relation probes (helper H3's round, session 14)."""

from __future__ import annotations

import pytest

import orm

from .test_probe_s14_more import MODELS, RAward, RBadge, RLeaf, RMid, RTop
from .test_probe_s14_relations import MODELS as NODE_MODELS
from .test_probe_s14_relations import SNode, SOwner, SThing


@pytest.fixture
def s14b(setup_models):
    setup_models(*MODELS, *NODE_MODELS)


def make(s):
    badge1 = RBadge.objects.create(name="b1")
    badge2 = RBadge.objects.create(name="b2")
    a = RLeaf.objects.create(name="a")
    b = RLeaf.objects.create(name="b")
    c = RLeaf.objects.create(name="c")
    badge1.leaves.add(a, b)
    badge2.leaves.add(b)
    return badge1, badge2, a, b, c


def test_chained_filters_make_separate_joins(s14b):
    badge1, badge2, a, b, c = make(s14b)
    assert list(RLeaf.objects.filter(badges__name="b1").filter(badges__name="b2")) == [b]
    assert list(RLeaf.objects.filter(badges__name="b1", badges__name__startswith="b2")) == []


def test_exclude_multi_valued(s14b):
    badge1, badge2, a, b, c = make(s14b)
    assert list(RLeaf.objects.exclude(badges__name="b2")) == [a, c]
    assert list(RLeaf.objects.exclude(badges__name="b1", badges__level=1) if False else []) == []
    assert list(RLeaf.objects.filter(badges=None)) == [c]
    assert list(RLeaf.objects.filter(badges__isnull=False).distinct()) == [a, b]
    assert list(RLeaf.objects.exclude(badges=None)) == [a, b]


def test_filter_in_queryset_and_update_fk(s14b):
    top = RTop.objects.create(name="t")
    other = RTop.objects.create(name="o")
    RMid.objects.create(name="m", top=top)
    assert list(RMid.objects.filter(top__in=RTop.objects.filter(name="t"))) == [RMid.objects.get()]
    RMid.objects.update(top=other)
    assert RMid.objects.get().top == other
    assert RTop.objects.filter(mids__isnull=True).count() == 1


def test_reverse_fk_remove_unrelated_raises(s14b):
    a = SOwner.objects.create(name="a")
    b = SOwner.objects.create(name="b")
    t = SThing.objects.create(name="t", owner=a, keeper=b)
    with pytest.raises(Exception) as info:
        a.kept.remove(t)
    assert "not related" in str(info.value) or isinstance(info.value, SThing.DoesNotExist)
    assert SThing.objects.get(pk=t.pk).keeper_id == b.pk


def test_m2m_add_wrong_type(s14b):
    badge = RBadge.objects.create(name="b")
    top = RTop.objects.create(name="t")
    with pytest.raises(TypeError):
        badge.leaves.add(top)


def test_delete_symmetrical_node(s14b):
    a = SNode.objects.create(name="a")
    b = SNode.objects.create(name="b")
    a.friends.add(b)
    a.follows.add(b)
    b.follows.add(a)
    a.delete()
    assert list(b.friends.all()) == []
    assert list(b.follows.all()) == []
    assert list(b.followers.all()) == []
    assert SNode.friends.through.objects.count() == 0


def test_m2m_changed_signals_for_reverse_and_clear(s14b):
    badge1, badge2, a, b, c = make(s14b)
    sent = []

    def receiver(sender, instance, action, reverse, model, pk_set, **kwargs):
        sent.append((action, instance.name, reverse, model.__name__, pk_set))

    orm.m2m_changed.connect(receiver, sender=RAward)
    try:
        b.badges.remove(badge1)
        b.badges.clear()
    finally:
        orm.m2m_changed.disconnect(receiver, sender=RAward)
    assert sent == [
        ("pre_remove", "b", True, "RBadge", {badge1.pk}),
        ("post_remove", "b", True, "RBadge", {badge1.pk}),
        ("pre_clear", "b", True, "RBadge", None),
        ("post_clear", "b", True, "RBadge", None),
    ]


def test_refresh_from_db_clears_fk_cache(s14b):
    top = RTop.objects.create(name="t")
    other = RTop.objects.create(name="o")
    mid = RMid.objects.create(name="m", top=top)
    assert mid.top == top
    RMid.objects.filter(pk=mid.pk).update(top=other)
    mid.refresh_from_db()
    assert mid.top == other


def test_bulk_create_with_fk_objects(s14b):
    top = RTop.objects.create(name="t")
    mids = RMid.objects.bulk_create([RMid(name="x", top=top), RMid(name="y", top=top)])
    assert all(m.top_id == top.pk for m in mids)
    assert top.mids.count() == 2


def test_fk_to_unsaved_assigned_then_saved_parent(s14b):
    top = RTop(name="t")
    mid = RMid(name="m", top=top)
    top.save()
    mid.save()
    assert RMid.objects.get().top_id == top.pk


def test_m2m_values_and_annotate_count(s14b):
    badge1, badge2, a, b, c = make(s14b)
    counts = dict(RLeaf.objects.annotate(n=orm.Count("badges")).values_list("name", "n"))
    assert counts == {"a": 1, "b": 2, "c": 0}
    counts = dict(RBadge.objects.annotate(n=orm.Count("leaves")).values_list("name", "n"))
    assert counts == {"b1": 2, "b2": 1}


def test_in_bulk_and_prefetch_reverse_m2m(s14b):
    badge1, badge2, a, b, c = make(s14b)
    leaves = list(RLeaf.objects.prefetch_related("badges"))
    with orm.capture_queries() as queries:
        assert {leaf.name: [x.name for x in leaf.badges.all()] for leaf in leaves} == {
            "a": ["b1"], "b": ["b1", "b2"], "c": []}
    assert len(queries) == 0


def test_m2m_changed_for_set_and_create(s14b):
    badge1, badge2, a, b, c = make(s14b)
    sent = []

    def receiver(sender, instance, action, reverse, model, pk_set, **kwargs):
        sent.append((action, instance.name, reverse, pk_set))

    orm.m2m_changed.connect(receiver, sender=RAward)
    try:
        badge1.leaves.set([b, c])
        d = badge1.leaves.create(name="d")
    finally:
        orm.m2m_changed.disconnect(receiver, sender=RAward)
    assert sent == [
        ("pre_remove", "b1", False, {a.pk}),
        ("post_remove", "b1", False, {a.pk}),
        ("pre_add", "b1", False, {c.pk}),
        ("post_add", "b1", False, {c.pk}),
        ("pre_add", "b1", False, {d.pk}),
        ("post_add", "b1", False, {d.pk}),
    ]


def test_reverse_m2m_set_and_create(s14b):
    badge1, badge2, a, b, c = make(s14b)
    c.badges.set([badge2])
    assert list(c.badges.all()) == [badge2]
    new = c.badges.create(name="b3")
    assert list(new.leaves.all()) == [c]
    a.badges.set([badge1.pk, badge2.pk])
    assert list(a.badges.all()) == [badge1, badge2]
