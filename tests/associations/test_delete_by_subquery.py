"""QuerySet.delete() of rows whose relations only cascade to junction rows: two DELETEs, no SELECT."""

from __future__ import annotations

import orm
from orm import signals

APP = "assoc_subquery_delete"


class Label(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Item(orm.Model):
    name = orm.CharField(max_length=20)
    rank = orm.IntegerField()
    labels = orm.ManyToManyField(Label, related_name="items")

    class Meta:
        app_label = APP


class Box(orm.Model):
    labels = orm.ManyToManyField(Label, related_name="boxes")

    class Meta:
        app_label = APP


class Note(orm.Model):
    box = orm.ForeignKey(Box, on_delete=orm.CASCADE, related_name="notes")

    class Meta:
        app_label = APP


def _fill():
    labels = [Label.objects.create(name=f"l{i}") for i in range(3)]
    items = [Item.objects.create(name=f"i{i}", rank=i) for i in range(6)]
    for item in items:
        item.labels.add(*labels[: item.rank % 3 + 1])
    return labels, items


def test_junction_rows_go_by_subquery_without_loading_the_rows(setup_models):
    setup_models(Label, Item)
    _fill()
    through = Item.labels.through
    expected_links = through.objects.filter(item__rank__lt=4).count()
    with orm.capture_queries() as queries:
        total, per_model = Item.objects.filter(rank__lt=4).delete()
    statements = [query.sql.split()[0].upper() for query in queries]
    assert statements.count("DELETE") == 2
    assert "SELECT" not in statements
    assert per_model == {through._meta.label: expected_links, Item._meta.label: 4}
    assert total == expected_links + 4
    assert sorted(Item.objects.values_list("rank", flat=True)) == [4, 5]
    assert through.objects.count() == sum(rank % 3 + 1 for rank in (4, 5))
    assert Label.objects.count() == 3


def test_a_foreign_key_to_a_leaf_model_cascades_by_subquery_too(setup_models):
    setup_models(Label, Box, Note)
    label = Label.objects.create(name="l")
    boxes = [Box.objects.create() for _ in range(2)]
    boxes[0].labels.add(label)
    Note.objects.create(box=boxes[0])
    total, per_model = Box.objects.filter(pk=boxes[0].pk).delete()
    assert per_model[Note._meta.label] == 1 and per_model[Box._meta.label] == 1
    assert per_model[Box.labels.through._meta.label] == 1
    assert Note.objects.count() == 0 and Box.objects.count() == 1


def test_delete_signals_make_it_load_the_objects(setup_models):
    setup_models(Label, Item)
    _fill()
    deleted = []

    def receiver(sender, instance, **kwargs):
        deleted.append(instance.rank)

    signals.post_delete.connect(receiver, sender=Item)
    try:
        Item.objects.filter(rank__gte=3).delete()
    finally:
        signals.post_delete.disconnect(receiver, sender=Item)
    assert sorted(deleted) == [3, 4, 5]
    assert Item.labels.through.objects.filter(item__rank__gte=3).count() == 0
