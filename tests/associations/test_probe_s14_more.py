"""More association probes (helper H3's round, session 14)."""

from __future__ import annotations

import pytest

import orm
from orm import Prefetch


class RTop(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14b"
        ordering = ["name"]


class RMid(orm.Model):
    name = orm.CharField(max_length=30)
    top = orm.ForeignKey(RTop, on_delete=orm.CASCADE, related_name="mids")
    alt = orm.ForeignKey(RTop, on_delete=orm.RESTRICT, null=True, related_name="alt_mids")

    class Meta:
        app_label = "assoc_s14b"
        ordering = ["name"]


class RLeaf(orm.Model):
    name = orm.CharField(max_length=30)
    mid = orm.ForeignKey(RMid, on_delete=orm.CASCADE, null=True, related_name="leaves")
    code_top = orm.ForeignKey(RTop, on_delete=orm.SET_DEFAULT, null=True, default=None, related_name="coded")

    class Meta:
        app_label = "assoc_s14b"
        ordering = ["name"]


class RBadge(orm.Model):
    name = orm.CharField(max_length=30)
    leaves = orm.ManyToManyField(RLeaf, through="RAward", related_name="badges")

    class Meta:
        app_label = "assoc_s14b"
        ordering = ["name"]


class RAward(orm.Model):
    badge = orm.ForeignKey(RBadge, on_delete=orm.CASCADE)
    leaf = orm.ForeignKey(RLeaf, on_delete=orm.CASCADE)
    level = orm.IntegerField(default=1)

    class Meta:
        app_label = "assoc_s14b"


MODELS = [RTop, RMid, RLeaf, RBadge, RAward]


@pytest.fixture
def s14b(setup_models):
    setup_models(*MODELS)


def test_restrict_allowed_when_also_cascaded(s14b):
    top = RTop.objects.create(name="t")
    RMid.objects.create(name="m", top=top, alt=top)
    top.delete()
    assert RMid.objects.count() == 0


def test_restrict_refused_from_other_path(s14b):
    top = RTop.objects.create(name="t")
    other = RTop.objects.create(name="o")
    RMid.objects.create(name="m", top=other, alt=top)
    with pytest.raises(orm.RestrictedError):
        top.delete()
    assert RTop.objects.count() == 2


def test_select_related_nested_through_null(s14b):
    top = RTop.objects.create(name="t")
    mid = RMid.objects.create(name="m", top=top)
    RLeaf.objects.create(name="a", mid=mid)
    RLeaf.objects.create(name="b")
    leaves = list(RLeaf.objects.select_related("mid__top"))
    with orm.capture_queries() as queries:
        assert leaves[0].mid.top.name == "t"
        assert leaves[1].mid is None
    assert len(queries) == 0
    assert RLeaf.objects.select_related("mid__top").count() == 2


def test_prefetch_nested_with_to_attr(s14b):
    top = RTop.objects.create(name="t")
    m1 = RMid.objects.create(name="m1", top=top)
    RMid.objects.create(name="m2", top=top)
    RLeaf.objects.create(name="a", mid=m1)
    RLeaf.objects.create(name="b", mid=m1)
    tops = list(RTop.objects.prefetch_related(
        Prefetch("mids", queryset=RMid.objects.filter(name="m1"), to_attr="m1s"),
        "m1s__leaves",
    ))
    with orm.capture_queries() as queries:
        assert [leaf.name for leaf in tops[0].m1s[0].leaves.all()] == ["a", "b"]
    assert len(queries) == 0
    tops = list(RTop.objects.prefetch_related("mids__leaves"))
    with orm.capture_queries() as queries:
        assert [[leaf.name for leaf in m.leaves.all()] for m in tops[0].mids.all()] == [["a", "b"], []]
    assert len(queries) == 0


def test_prefetched_manager_filter_hits_db(s14b):
    top = RTop.objects.create(name="t")
    RMid.objects.create(name="m1", top=top)
    RMid.objects.create(name="m2", top=top)
    tops = list(RTop.objects.prefetch_related("mids"))
    assert [m.name for m in tops[0].mids.filter(name="m2")] == ["m2"]
    assert tops[0].mids.count() == 2
    tops[0].mids.create(name="m3")
    assert tops[0].mids.count() == 3


def test_set_default(s14b):
    top = RTop.objects.create(name="t")
    leaf = RLeaf.objects.create(name="a", code_top=top)
    top.delete()
    assert RLeaf.objects.get(pk=leaf.pk).code_top_id is None


def test_through_add_with_defaults_and_remove(s14b):
    badge = RBadge.objects.create(name="b")
    a = RLeaf.objects.create(name="a")
    b = RLeaf.objects.create(name="b")
    badge.leaves.add(a, through_defaults={"level": 3})
    badge.leaves.add(b, through_defaults={"level": lambda: 4})
    assert sorted(RAward.objects.values_list("level", flat=True)) == [3, 4]
    badge.leaves.remove(a)
    assert [leaf.name for leaf in badge.leaves.all()] == ["b"]
    badge.leaves.set([a], through_defaults={"level": 7})
    assert list(RAward.objects.values_list("level", flat=True)) == [7]
    c = badge.leaves.create(name="c", through_defaults={"level": 9})
    assert RAward.objects.get(leaf=c).level == 9
    assert [x.name for x in a.badges.all()] == ["b"]
    assert list(RBadge.objects.filter(rawards__level=7)) if hasattr(RBadge, "rawards") else True


def test_through_filter_on_through_fields(s14b):
    badge = RBadge.objects.create(name="b")
    a = RLeaf.objects.create(name="a")
    badge.leaves.add(a, through_defaults={"level": 3})
    assert list(RLeaf.objects.filter(raward__level=3)) == [a]
    assert list(RBadge.objects.filter(leaves__raward__level=3).distinct()) == [badge]


def test_unsaved_instance_managers(s14b):
    top = RTop(name="t")
    with pytest.raises(ValueError):
        top.mids.all()
    badge = RBadge(name="b")
    with pytest.raises(ValueError):
        badge.leaves.all()


def test_reverse_fk_add_unsaved_bulk_false(s14b):
    top = RTop.objects.create(name="t")
    mid = RMid(name="m")
    with pytest.raises(ValueError):
        top.mids.add(mid)
    top.mids.add(mid, bulk=False)
    assert mid.pk is not None and mid.top_id == top.pk


def test_m2m_add_by_pk_and_duplicates(s14b):
    top = RTop.objects.create(name="t")
    a = RLeaf.objects.create(name="a")
    badge = RBadge.objects.create(name="b")
    badge.leaves.add(a.pk, a.pk)
    assert RAward.objects.count() == 1
    assert top


def test_delete_leaf_cascades_through_rows(s14b):
    badge = RBadge.objects.create(name="b")
    a = RLeaf.objects.create(name="a")
    badge.leaves.add(a)
    count, per_model = a.delete()
    assert count == 2
    assert RAward.objects.count() == 0


def test_values_across_reverse_and_m2m(s14b):
    top = RTop.objects.create(name="t")
    mid = RMid.objects.create(name="m", top=top)
    a = RLeaf.objects.create(name="a", mid=mid)
    badge = RBadge.objects.create(name="b")
    badge.leaves.add(a)
    assert list(RTop.objects.values_list("mids__leaves__badges__name", flat=True)) == ["b"]
    assert list(RBadge.objects.filter(leaves__mid__top=top)) == [badge]


def test_fk_filter_by_instance_of_wrong_model(s14b):
    top = RTop.objects.create(name="t")
    badge = RBadge.objects.create(name="b")
    with pytest.raises((ValueError, TypeError)):
        list(RMid.objects.filter(top=badge))
    assert top


def test_prefetch_unknown_raises(s14b):
    RTop.objects.create(name="t")
    with pytest.raises(AttributeError):
        list(RTop.objects.prefetch_related("nothing"))


def test_select_related_non_relational_raises(s14b):
    with pytest.raises(orm.FieldError):
        list(RMid.objects.select_related("name"))
