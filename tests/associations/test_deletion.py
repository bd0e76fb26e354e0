"""The on-delete matrix: every action, cascade chains, PROTECT/RESTRICT, cycles, trees, junctions."""

from __future__ import annotations

import pytest

import orm

APP = "assoc_delete"


def _default_owner():
    return Owner.objects.get(name="default").pk


class Owner(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Cascaded(orm.Model):
    owner = orm.ForeignKey(Owner, on_delete=orm.CASCADE)

    class Meta:
        app_label = APP


class Grandchild(orm.Model):
    parent = orm.ForeignKey(Cascaded, on_delete=orm.CASCADE)

    class Meta:
        app_label = APP


class Protected(orm.Model):
    owner = orm.ForeignKey(Owner, on_delete=orm.PROTECT, null=True)

    class Meta:
        app_label = APP


class ProtectsGrandchild(orm.Model):
    grandchild = orm.ForeignKey(Grandchild, on_delete=orm.PROTECT, null=True)

    class Meta:
        app_label = APP


class Restricted(orm.Model):
    owner = orm.ForeignKey(Owner, on_delete=orm.RESTRICT, null=True)
    cascaded = orm.ForeignKey(Cascaded, on_delete=orm.CASCADE, null=True)

    class Meta:
        app_label = APP


class Nulled(orm.Model):
    owner = orm.ForeignKey(Owner, on_delete=orm.SET_NULL, null=True)

    class Meta:
        app_label = APP


class Defaulted(orm.Model):
    owner = orm.ForeignKey(Owner, on_delete=orm.SET_DEFAULT, default=_default_owner, related_name="+")

    class Meta:
        app_label = APP


class SetToValue(orm.Model):
    owner = orm.ForeignKey(Owner, on_delete=orm.SET(_default_owner), related_name="set_values")

    class Meta:
        app_label = APP


class Ignored(orm.Model):
    owner_ref = orm.ForeignKey(Owner, on_delete=orm.DO_NOTHING, db_constraint=False, null=True)

    class Meta:
        app_label = APP


class Node(orm.Model):
    parent = orm.ForeignKey("self", on_delete=orm.CASCADE, null=True, related_name="children")
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Left(orm.Model):
    right = orm.ForeignKey("Right", on_delete=orm.CASCADE, null=True, related_name="lefts")

    class Meta:
        app_label = APP


class Right(orm.Model):
    left = orm.ForeignKey(Left, on_delete=orm.CASCADE, null=True, related_name="rights")

    class Meta:
        app_label = APP


class Label(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Labelled(orm.Model):
    labels = orm.ManyToManyField(Label, related_name="items")

    class Meta:
        app_label = APP


MODELS = [
    Owner, Cascaded, Grandchild, Protected, ProtectsGrandchild, Restricted, Nulled, Defaulted,
    SetToValue, Ignored, Node, Left, Right, Label, Labelled,
]


@pytest.fixture
def db_models(setup_models):
    setup_models(*MODELS)
    Owner.objects.create(name="default")


def label(model) -> str:
    return model._meta.label


def test_cascade_chain_deletes_and_counts_everything(db_models):
    owner = Owner.objects.create(name="o")
    children = [Cascaded.objects.create(owner=owner) for _ in range(3)]
    for child in children:
        Grandchild.objects.create(parent=child)
        Grandchild.objects.create(parent=child)
    total, counts = owner.delete()
    assert counts == {label(Owner): 1, label(Cascaded): 3, label(Grandchild): 6}
    assert total == 10
    assert Cascaded.objects.count() == 0 and Grandchild.objects.count() == 0
    assert owner.pk is None


def test_cascade_is_batched_not_a_query_per_object(db_models):
    owner = Owner.objects.create(name="o")
    for _ in range(30):
        Grandchild.objects.create(parent=Cascaded.objects.create(owner=owner))
    with orm.capture_queries() as queries:
        owner.delete()
    statements = [q.sql for q in queries if q.sql.split()[0].upper() in ("SELECT", "DELETE", "UPDATE")]
    assert len(statements) < 20


def test_protect_blocks_and_deletes_nothing(db_models):
    owner = Owner.objects.create(name="o")
    blocker = Protected.objects.create(owner=owner)
    Cascaded.objects.create(owner=owner)
    with pytest.raises(orm.ProtectedError) as info:
        owner.delete()
    assert info.value.protected_objects == [blocker]
    assert "Protected.owner" in str(info.value)
    assert Owner.objects.filter(pk=owner.pk).exists() and Cascaded.objects.count() == 1


def test_cascade_reaching_protect_deletes_nothing(db_models):
    owner = Owner.objects.create(name="o")
    grandchild = Grandchild.objects.create(parent=Cascaded.objects.create(owner=owner))
    ProtectsGrandchild.objects.create(grandchild=grandchild)
    with pytest.raises(orm.ProtectedError):
        Owner.objects.filter(pk=owner.pk).delete()
    assert (Owner.objects.count(), Cascaded.objects.count(), Grandchild.objects.count()) == (2, 1, 1)


def test_restrict_blocks_unless_reached_by_cascade(db_models):
    owner = Owner.objects.create(name="o")
    restricted = Restricted.objects.create(owner=owner)
    with pytest.raises(orm.RestrictedError) as info:
        owner.delete()
    assert info.value.restricted_objects == [restricted]
    # Deleted through another CASCADE in the same delete: allowed.
    restricted.cascaded = Cascaded.objects.create(owner=owner)
    restricted.save()
    total, counts = owner.delete()
    assert counts[label(Restricted)] == 1 and Restricted.objects.count() == 0


def test_set_null_set_default_set_and_do_nothing(db_models):
    default = Owner.objects.get(name="default")
    owner = Owner.objects.create(name="o")
    nulled = Nulled.objects.create(owner=owner)
    defaulted = Defaulted.objects.create(owner=owner)
    set_value = SetToValue.objects.create(owner=owner)
    ignored = Ignored.objects.create(owner_ref=owner)
    owner_pk = owner.pk
    total, counts = owner.delete()
    assert counts == {label(Owner): 1} and total == 1
    assert Nulled.objects.get(pk=nulled.pk).owner_id is None
    assert Defaulted.objects.get(pk=defaulted.pk).owner_id == default.pk
    assert SetToValue.objects.get(pk=set_value.pk).owner_id == default.pk
    assert Ignored.objects.get(pk=ignored.pk).owner_ref_id == owner_pk


def test_queryset_delete_without_relations_is_one_delete_statement(db_models):
    owner = Owner.objects.create(name="o")
    for _ in range(5):
        Ignored.objects.create(owner_ref=owner)
    with orm.capture_queries() as queries:
        assert Ignored.objects.filter(owner_ref=owner).delete() == (5, {label(Ignored): 5})
    assert [q.sql.split()[0].upper() for q in queries] == ["DELETE"]


def test_delete_signals_per_object_only_with_receivers(db_models):
    owner = Owner.objects.create(name="o")
    first, second = Cascaded.objects.create(owner=owner), Cascaded.objects.create(owner=owner)
    seen = []

    def before(sender, instance, **kwargs):
        seen.append(("pre", instance.pk))

    def after(sender, instance, **kwargs):
        seen.append(("post", instance.pk))

    orm.pre_delete.connect(before, sender=Cascaded)
    orm.post_delete.connect(after, sender=Cascaded)
    try:
        owner.delete()
    finally:
        orm.pre_delete.disconnect(before, sender=Cascaded)
        orm.post_delete.disconnect(after, sender=Cascaded)
    assert sorted(seen) == sorted([("pre", first.pk), ("pre", second.pk), ("post", first.pk), ("post", second.pk)])


def test_self_referential_tree(db_models):
    root = Node.objects.create(name="root")
    level = [root]
    for depth in range(3):
        level = [Node.objects.create(name=f"{depth}", parent=parent) for parent in level for _ in range(2)]
    other = Node.objects.create(name="other")
    total, counts = root.delete()
    assert counts == {label(Node): 15} and total == 15
    assert list(Node.objects.all()) == [other]


def test_deleting_a_whole_tree_queryset(db_models):
    root = Node.objects.create(name="root")
    child = Node.objects.create(name="c", parent=root)
    Node.objects.create(name="g", parent=child)
    assert Node.objects.all().delete() == (3, {label(Node): 3})


def test_foreign_key_cycle(db_models):
    left = Left.objects.create()
    right = Right.objects.create(left=left)
    left.right = right
    left.save()
    total, counts = left.delete()
    assert counts == {label(Left): 1, label(Right): 1}
    assert Left.objects.count() == 0 and Right.objects.count() == 0


def test_many_to_many_junction_rows_are_counted_under_their_own_label(db_models):
    item = Labelled.objects.create()
    red, blue = Label.objects.create(name="red"), Label.objects.create(name="blue")
    item.labels.add(red, blue)
    other = Labelled.objects.create()
    other.labels.add(red)
    total, counts = item.delete()
    assert counts == {label(Labelled): 1, label(Labelled.labels.through): 2}
    assert total == 3
    assert list(red.items.all()) == [other]
    total, counts = Label.objects.filter(name="red").delete()
    assert counts == {label(Label): 1, label(Labelled.labels.through): 1}


def test_failed_delete_rolls_back_inside_one_transaction(db_models):
    owner = Owner.objects.create(name="o")
    Cascaded.objects.create(owner=owner)

    def explode(sender, instance, **kwargs):
        raise RuntimeError("stop")

    orm.post_delete.connect(explode, sender=Owner)
    try:
        with pytest.raises(RuntimeError):
            owner.delete()
    finally:
        orm.post_delete.disconnect(explode, sender=Owner)
    assert Owner.objects.filter(name="o").exists() and Cascaded.objects.count() == 1
