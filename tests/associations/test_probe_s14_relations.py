"""Association behaviours found by probing on every backend (helper H3's round, session 14)."""

from __future__ import annotations

import pytest

import orm
from orm import Prefetch


class SNode(orm.Model):
    name = orm.CharField(max_length=30)
    friends = orm.ManyToManyField("self", blank=True)
    follows = orm.ManyToManyField("self", symmetrical=False, related_name="followers", blank=True)

    class Meta:
        app_label = "assoc_s14"
        ordering = ["name"]


def default_owner():
    return SOwner.objects.get_or_create(name="default")[0].pk


class SOwner(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14"
        ordering = ["name"]


class SThing(orm.Model):
    name = orm.CharField(max_length=30)
    owner = orm.ForeignKey(SOwner, on_delete=orm.CASCADE, related_name="things", related_query_name="thing")
    keeper = orm.ForeignKey(SOwner, on_delete=orm.SET_NULL, null=True, related_name="kept")
    holder = orm.ForeignKey(SOwner, on_delete=orm.SET(default_owner), null=True, related_name="held")
    guard = orm.ForeignKey(SOwner, on_delete=orm.PROTECT, null=True, related_name="guarded")

    class Meta:
        app_label = "assoc_s14"
        ordering = ["name"]


class SCard(orm.Model):
    owner = orm.OneToOneField(SOwner, on_delete=orm.CASCADE, related_name="card")
    number = orm.IntegerField(default=0)

    class Meta:
        app_label = "assoc_s14"


MODELS = [SNode, SOwner, SThing, SCard]  # and SBadge, appended below (its key to SOwner needs its table)


@pytest.fixture
def s14(setup_models):
    setup_models(*MODELS)


def test_symmetrical_self_m2m(s14):
    a = SNode.objects.create(name="a")
    b = SNode.objects.create(name="b")
    c = SNode.objects.create(name="c")
    a.friends.add(b, c)
    assert [n.name for n in b.friends.all()] == ["a"]
    assert [n.name for n in a.friends.all()] == ["b", "c"]
    b.friends.remove(a)
    assert [n.name for n in a.friends.all()] == ["c"]
    c.friends.clear()
    assert list(a.friends.all()) == []
    a.friends.set([b])
    assert [n.name for n in b.friends.all()] == ["a"]
    d = b.friends.create(name="d")
    assert [n.name for n in d.friends.all()] == ["b"]
    assert SNode.objects.filter(friends=a).count() == 1


def test_asymmetrical_self_m2m(s14):
    a = SNode.objects.create(name="a")
    b = SNode.objects.create(name="b")
    a.follows.add(b)
    assert list(b.follows.all()) == []
    assert [n.name for n in b.followers.all()] == ["a"]
    assert [n.name for n in SNode.objects.filter(followers__name="a")] == ["b"]


def test_prefetch_symmetrical(s14):
    a = SNode.objects.create(name="a")
    b = SNode.objects.create(name="b")
    c = SNode.objects.create(name="c")
    a.friends.add(b, c)
    nodes = list(SNode.objects.prefetch_related("friends"))
    assert {n.name: [f.name for f in n.friends.all()] for n in nodes} == {"a": ["b", "c"], "b": ["a"], "c": ["a"]}


def test_related_query_name(s14):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="t", owner=o)
    assert list(SOwner.objects.filter(thing__name="t")) == [o]
    assert list(SOwner.objects.filter(thing__name="t").values_list("thing__name", flat=True)) == ["t"]


def test_set_callable_and_set_null_and_protect(s14):
    o = SOwner.objects.create(name="o")
    p = SOwner.objects.create(name="p")
    t = SThing.objects.create(name="t", owner=p, keeper=o, holder=o)
    o.delete()
    t = SThing.objects.get(pk=t.pk)
    assert t.keeper_id is None
    assert t.holder.name == "default"
    g = SOwner.objects.create(name="g")
    t.guard = g
    t.save()
    with pytest.raises(orm.ProtectedError):
        g.delete()
    with pytest.raises(orm.ProtectedError):
        SOwner.objects.filter(name="g").delete()
    assert SOwner.objects.filter(name="g").exists()


def test_reverse_one_to_one(s14):
    o = SOwner.objects.create(name="o")
    with pytest.raises(SCard.DoesNotExist):
        _ = o.card
    with pytest.raises(SOwner.card.RelatedObjectDoesNotExist):
        _ = SOwner.objects.get(pk=o.pk).card
    assert not hasattr(o, "card")
    c = SCard.objects.create(owner=o, number=3)
    o = SOwner.objects.get(pk=o.pk)
    assert o.card == c
    assert o.card.owner is o
    owners = list(SOwner.objects.select_related("card"))
    assert owners[0].card.number == 3
    p = SOwner.objects.create(name="p")
    owners = list(SOwner.objects.select_related("card").order_by("name"))
    with pytest.raises(SCard.DoesNotExist):
        _ = owners[1].card
    owners = list(SOwner.objects.prefetch_related("card").order_by("name"))
    assert owners[0].card.number == 3
    with pytest.raises(SCard.DoesNotExist):
        _ = owners[1].card
    assert p


def test_reverse_fk_manager_ops(s14):
    o = SOwner.objects.create(name="o")
    p = SOwner.objects.create(name="p")
    k1 = SThing.objects.create(name="k1", owner=p, keeper=p)
    k2 = SThing.objects.create(name="k2", owner=p)
    o.kept.add(k1, k2)
    assert [t.name for t in o.kept.all()] == ["k1", "k2"]
    assert k1.keeper_id == o.pk
    o.kept.remove(k1)
    assert SThing.objects.get(pk=k1.pk).keeper_id is None
    o.kept.set([k1])
    assert [t.name for t in o.kept.all()] == ["k1"]
    o.kept.clear()
    assert o.kept.count() == 0
    with pytest.raises(AttributeError):
        _ = o.things.remove
    with pytest.raises(AttributeError):
        _ = o.things.clear
    t = o.things.create(name="new")
    assert t.owner_id == o.pk
    obj, created = o.things.get_or_create(name="new")
    assert not created and obj == t
    obj, created = o.things.update_or_create(name="z", defaults={"name": "z"})
    assert created and obj.owner_id == o.pk


def test_prefetch_to_attr_and_queryset(s14):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="b", owner=o)
    SThing.objects.create(name="a", owner=o)
    owners = list(SOwner.objects.prefetch_related(
        Prefetch("things", queryset=SThing.objects.filter(name="a"), to_attr="only_a")
    ))
    assert [t.name for t in owners[0].only_a] == ["a"]
    owners = list(SOwner.objects.prefetch_related(
        Prefetch("things", queryset=SThing.objects.order_by("-name"))
    ))
    with orm.capture_queries() as queries:
        assert [t.name for t in owners[0].things.all()] == ["b", "a"]
    assert len(queries) == 0
    things = list(SThing.objects.prefetch_related("owner__things"))
    assert [t.name for t in things[0].owner.things.all()] == ["a", "b"]


def test_select_related_nullable_and_depth(s14):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="a", owner=o)
    SThing.objects.create(name="b", owner=o, keeper=o)
    things = list(SThing.objects.select_related("keeper", "owner").order_by("name"))
    with orm.capture_queries() as queries:
        assert things[0].keeper is None
        assert things[1].keeper.name == "o"
        assert things[0].owner.name == "o"
    assert len(queries) == 0
    things = list(SThing.objects.select_related().order_by("name"))
    with orm.capture_queries() as queries:
        assert things[0].owner.name == "o"
    assert len(queries) == 0


def test_m2m_set_and_clear_via_reverse(s14):
    a = SNode.objects.create(name="a")
    b = SNode.objects.create(name="b")
    c = SNode.objects.create(name="c")
    a.follows.set([b, c.pk])
    assert [n.name for n in a.follows.all()] == ["b", "c"]
    b.followers.clear()
    assert [n.name for n in a.follows.all()] == ["c"]
    a.follows.set([])
    assert a.follows.count() == 0


def test_fk_assign_unsaved_then_save_raises(s14):
    o = SOwner(name="unsaved")
    t = SThing(name="t", owner=o)
    with pytest.raises(ValueError):
        t.save()


def test_fk_assign_wrong_type(s14):
    t = SThing(name="t")
    with pytest.raises((ValueError, TypeError)):
        t.owner = SNode(name="x")


def test_fk_id_change_invalidates_cache(s14):
    o = SOwner.objects.create(name="o")
    p = SOwner.objects.create(name="p")
    t = SThing.objects.create(name="t", owner=o)
    assert t.owner.name == "o"
    t.owner_id = p.pk
    assert t.owner.name == "p"


def test_delete_cascade_counts(s14):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="a", owner=o)
    SCard.objects.create(owner=o)
    count, per_model = o.delete()
    assert count == 3
    assert per_model == {"assoc_s14.SOwner": 1, "assoc_s14.SThing": 1, "assoc_s14.SCard": 1}
    assert o.pk is None


def test_one_to_one_assign_reverse(s14):
    o = SOwner.objects.create(name="o")
    c = SCard.objects.create(owner=o)
    p = SOwner.objects.create(name="p")
    c.owner = p
    c.save()
    assert SOwner.objects.get(pk=p.pk).card == c
    with pytest.raises(SCard.DoesNotExist):
        _ = SOwner.objects.get(pk=o.pk).card


def test_symmetrical_m2m_annotate_and_prefetch_to_attr(s14):
    a = SNode.objects.create(name="a")
    b = SNode.objects.create(name="b")
    c = SNode.objects.create(name="c")
    a.friends.add(b, c)
    counts = dict(SNode.objects.annotate(n=orm.Count("friends")).values_list("name", "n"))
    assert counts == {"a": 2, "b": 1, "c": 1}
    nodes = list(SNode.objects.prefetch_related(
        Prefetch("friends", queryset=SNode.objects.exclude(name="c"), to_attr="not_c")
    ))
    assert {n.name: [f.name for f in n.not_c] for n in nodes} == {"a": ["b"], "b": ["a"], "c": ["a"]}
    assert SNode.friends.through.objects.count() == 4
    b.delete()
    assert SNode.friends.through.objects.count() == 2


def test_prefetch_of_a_key_already_selected_runs_no_query(s14):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="t", owner=o)
    with orm.capture_queries() as queries:
        things = list(SThing.objects.select_related("owner").prefetch_related("owner", "owner__things"))
        assert [t.name for t in things[0].owner.things.all()] == ["t"]
    assert len(queries) == 2


def test_reverse_fk_bulk_false_saves_each_row(s14):
    o = SOwner.objects.create(name="o")
    p = SOwner.objects.create(name="p")
    a = SThing.objects.create(name="a", owner=p)
    b = SThing.objects.create(name="b", owner=p)
    saved = []

    def receiver(sender, instance, **kwargs):
        saved.append((instance.name, instance.keeper_id))

    orm.post_save.connect(receiver, sender=SThing)
    try:
        o.kept.add(a, b, bulk=False)
        o.kept.remove(a, bulk=False)
        o.kept.set([a], bulk=False)
        o.kept.clear(bulk=False)
    finally:
        orm.post_save.disconnect(receiver, sender=SThing)
    assert saved == [("a", o.pk), ("b", o.pk), ("a", None), ("b", None), ("a", o.pk), ("a", None)]
    assert not SThing.objects.filter(keeper__isnull=False).exists()


class SBadge(orm.Model):
    owner = orm.OneToOneField(SOwner, on_delete=orm.SET_NULL, null=True, related_name="badge")
    label = orm.CharField(max_length=10, default="")

    class Meta:
        app_label = "assoc_s14"


MODELS.append(SBadge)


def test_nullable_one_to_one(s14):
    o = SOwner.objects.create(name="o")
    SBadge.objects.create(owner=None, label="loose")
    badge = SBadge.objects.create(owner=o, label="mine")
    assert SOwner.objects.get().badge == badge
    assert list(SOwner.objects.filter(badge__label="mine")) == [o]
    assert list(SOwner.objects.filter(badge__isnull=True)) == []
    badges = list(SBadge.objects.select_related("owner").order_by("label"))
    assert [b.owner for b in badges] == [None, o]
    owners = list(SOwner.objects.prefetch_related(Prefetch("badge", to_attr="the_badge")))
    assert owners[0].the_badge == badge
    o.delete()
    assert SBadge.objects.get(label="mine").owner_id is None
