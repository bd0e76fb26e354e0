"""``delete()`` of a statement-cache plan: the collector's unloaded DELETEs kept with the shape.

Each test compares the kept statements with the ordinary path (forced by
reading ``QuerySet.query``, which drops the plan) and checks that what the
collector decided is asked again when it may have changed: receivers,
relations, installed apps. Every backend (the ``db_url`` fixture).
"""

from __future__ import annotations

import pytest

import orm
from orm import signals
from orm.query import plan_statements

APP = "assoc_perf_h1_delete"


class Tag(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Entry(orm.Model):
    title = orm.CharField(max_length=20)
    rank = orm.IntegerField()
    score = orm.FloatField(null=True)
    tags = orm.ManyToManyField(Tag, related_name="entries")

    class Meta:
        app_label = APP


class Lone(orm.Model):
    rank = orm.IntegerField()

    class Meta:
        app_label = APP


def _fill():
    tags = [Tag.objects.create(name=f"t{i}") for i in range(3)]
    entries = [
        Entry.objects.create(title=f"e{i % 4}", rank=i, score=None if i % 3 == 0 else i / 2)
        for i in range(12)
    ]
    for entry in entries:
        entry.tags.add(*tags[: entry.rank % 3 + 1])
    Lone.objects.bulk_create([Lone(rank=i) for i in range(10)])


def _state():
    through = Entry.tags.through
    return (
        sorted(Entry.objects.values_list("rank", flat=True)),
        sorted(through.objects.values_list("entry_id", "tag_id")),
        sorted(Lone.objects.values_list("rank", flat=True)),
        Tag.objects.count(),
    )


def _kinds(queries) -> list[str]:
    """The first word of each statement, MariaDB's ``START TRANSACTION`` as ``BEGIN``."""
    kinds = [query.sql.split()[0].upper() for query in queries]
    return ["BEGIN" if kind == "START" else kind for kind in kinds]


def _ordinary(queryset):
    queryset.query  # noqa: B018 - reading it builds the Query and drops the plan
    assert queryset._plan is None
    return queryset.delete()


@pytest.fixture
def entries(setup_models):
    setup_models(Tag, Entry, Lone)
    _fill()


def _compiles(monkeypatch) -> list:
    calls: list = []
    original = plan_statements._compile_delete

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(plan_statements, "_compile_delete", counting)
    return calls


@pytest.mark.parametrize(
    "filters",
    [
        {"rank__lte": 4},
        {"rank__gt": 7},
        {"rank__gte": 100},
        {"title": "e1"},
        {"title": "e2", "rank__lt": 9},
        {"score__gte": 2.0},
    ],
)
def test_plan_delete_is_the_ordinary_delete(entries, filters):
    """Counts per model, total and the rows left equal the ordinary path's, then again from cache."""
    snapshot = _state()
    through = Entry.tags.through
    with orm.atomic():
        planned = Entry.objects.filter(**filters).delete()
        after_planned = _state()
        orm.set_rollback(True)
    assert _state() == snapshot
    with orm.atomic():
        ordinary = _ordinary(Entry.objects.filter(**filters))
        after_ordinary = _state()
        orm.set_rollback(True)
    assert planned == ordinary
    assert after_planned == after_ordinary
    if planned[0]:
        assert list(planned[1]) == [through._meta.label, Entry._meta.label]
    # The kept statements, second run: the same outcome.
    assert Entry.objects.filter(**filters).delete() == ordinary
    assert _state() == after_ordinary


def test_statements_are_compiled_once_per_shape_and_rebound(entries, monkeypatch):
    # Shapes live on the model class: an earlier test may have kept this one's statements.
    monkeypatch.delattr(Entry._meta, "_statement_shapes", raising=False)
    calls = _compiles(monkeypatch)
    assert Entry.objects.filter(rank__lte=1).delete()[1][Entry._meta.label] == 2
    with orm.capture_queries() as queries:
        total, per_model = Entry.objects.filter(rank__lte=5).delete()
    assert len(calls) == 1
    assert per_model[Entry._meta.label] == 4
    assert total == per_model[Entry._meta.label] + per_model[Entry.tags.through._meta.label]
    assert _kinds(queries) == ["BEGIN", "DELETE", "DELETE", "COMMIT"]
    assert sorted(Entry.objects.values_list("rank", flat=True)) == list(range(6, 12))


def test_a_model_without_relations_is_one_statement_without_a_transaction(entries):
    assert Lone.objects.filter(rank__lt=3).delete() == (3, {Lone._meta.label: 3})
    with orm.capture_queries() as queries:
        assert Lone.objects.filter(rank__lt=6).delete() == (3, {Lone._meta.label: 3})
        assert Lone.objects.filter(rank__lt=6).delete() == (0, {})
    assert [query.sql.split()[0].upper() for query in queries] == ["DELETE", "DELETE"]
    assert sorted(Lone.objects.values_list("rank", flat=True)) == [6, 7, 8, 9]


def test_a_receiver_connected_later_sees_the_objects(entries):
    Entry.objects.filter(rank__lte=0).delete()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.rank)

    signals.pre_delete.connect(receiver, sender=Entry)
    try:
        total, per_model = Entry.objects.filter(rank__lte=3).delete()
    finally:
        signals.pre_delete.disconnect(receiver, sender=Entry)
    assert sorted(seen) == [1, 2, 3]
    assert per_model[Entry._meta.label] == 3
    # Disconnected: the kept statements again.
    assert Entry.objects.filter(rank__lte=5).delete()[1][Entry._meta.label] == 2
    assert sorted(seen) == [1, 2, 3]


def test_an_m2m_changed_receiver_makes_it_load_the_rows(entries):
    Entry.objects.filter(rank__lte=0).delete()

    def receiver(sender, **kwargs):
        pass

    signals.m2m_changed.connect(receiver)
    try:
        with orm.capture_queries() as queries:
            total, per_model = Entry.objects.filter(rank__lte=2).delete()
    finally:
        signals.m2m_changed.disconnect(receiver)
    assert "SELECT" in [query.sql.split()[0].upper() for query in queries]
    assert per_model == {Entry.tags.through._meta.label: 2 + 3, Entry._meta.label: 2}
    assert Entry.tags.through.objects.filter(entry__rank__lte=2).count() == 0


def test_a_relation_declared_later_cascades(entries, db_url):
    from tests.associations.conftest import create_tables

    assert Entry.objects.filter(rank__lte=0).delete()[0] == 2

    class Comment(orm.Model):
        entry = orm.ForeignKey(Entry, on_delete=orm.CASCADE, related_name="comments")

        class Meta:
            app_label = APP

    class Pin(orm.Model):
        entry = orm.ForeignKey(Entry, on_delete=orm.PROTECT, related_name="pins")

        class Meta:
            app_label = APP

    try:
        create_tables(db_url, [Comment, Pin])
        Comment.objects.create(entry=Entry.objects.get(rank=1))
        Comment.objects.create(entry=Entry.objects.get(rank=7))
        total, per_model = Entry.objects.filter(rank__lte=2).delete()
        assert per_model[Comment._meta.label] == 1
        assert list(Comment.objects.values_list("entry__rank", flat=True)) == [7]
        Pin.objects.create(entry=Entry.objects.get(rank=4))
        with pytest.raises(orm.ProtectedError):
            Entry.objects.filter(rank__lte=5).delete()
        assert Entry.objects.filter(rank__lte=5).count() == 3
    finally:
        from orm.registry import registry

        for model in (Comment, Pin):
            registry.unregister_model(APP, model.__name__)
    # The relations are gone again: back to the two statements.
    with orm.capture_queries() as queries:
        Entry.objects.filter(rank__lte=3).delete()
    assert _kinds(queries) == ["BEGIN", "DELETE", "DELETE", "COMMIT"]


def test_inside_atomic_the_deletes_roll_back_with_the_block(entries):
    Entry.objects.filter(rank__lte=0).delete()
    snapshot = _state()
    with pytest.raises(RuntimeError):
        with orm.atomic():
            Entry.objects.filter(rank__lte=6).delete()
            assert Entry.objects.filter(rank__lte=6).count() == 0
            raise RuntimeError("undo")
    assert _state() == snapshot
    with orm.atomic():
        with orm.atomic():
            Entry.objects.filter(rank__lte=3).delete()
        assert Entry.objects.filter(rank__lte=3).count() == 0
    assert Entry.objects.count() == 8


def test_ordering_using_and_the_usual_refusals(entries):
    assert Entry.objects.filter(rank__lte=2).order_by("-rank").delete()[1][Entry._meta.label] == 3
    assert Entry.objects.using("default").filter(rank__lte=4).delete()[1][Entry._meta.label] == 2
    with pytest.raises(TypeError):
        Entry.objects.filter(rank__lte=6)[:2].delete()
    with pytest.raises(TypeError):
        Entry.objects.filter(rank__lte=6).values("rank").delete()
    assert Entry.objects.count() == 7


def test_the_same_value_twice_takes_the_ordinary_path(entries):
    bound = 5
    total, per_model = Entry.objects.filter(rank__gte=bound, rank__lte=bound).delete()
    assert per_model[Entry._meta.label] == 1
    total, per_model = Entry.objects.filter(rank__gte=2, rank__lte=6).delete()
    assert per_model[Entry._meta.label] == 4
    assert sorted(Entry.objects.values_list("rank", flat=True)) == [0, 1, 7, 8, 9, 10, 11]
