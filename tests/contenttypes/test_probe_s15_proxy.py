"""Generic relations declared on proxy models, probed on every backend (helper H1, session 15).

A ``GenericRelation`` on a proxy is a field of the proxy, as in Django: in
``_meta``, filterable, prefetchable, and followed when a proxy instance is
deleted. Deleting through the concrete model follows only the relations the
concrete model declares (Django's behaviour). A proxy of that proxy inherits
them (Django drops them there).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation
from migrations_engine.autodetector import detect_changes
from migrations_engine.state import ProjectState
from orm.registry import registry

from .conftest import create_tables
from .models import Post

APP = "ctproxy15"


def define_models() -> SimpleNamespace:
    """The models of this module, made by a fixture and forgotten after it: the generic model's
    foreign key to ContentType must not make other modules' deletions cascade into its table."""

    class Memo(orm.Model):
        content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
        object_id = orm.PositiveBigIntegerField()
        content_object = GenericForeignKey()
        text = orm.CharField(max_length=30)

        class Meta:
            app_label = APP

    class Anchor(orm.Model):
        """A concrete model with a generic relation of its own."""

        name = orm.CharField(max_length=30)
        memos = GenericRelation(Memo, related_query_name="anchor")

        class Meta:
            app_label = APP

    class StartsWithL(orm.Manager):
        def get_queryset(self):
            return super().get_queryset().filter(name__startswith="L")

    class NotedAnchor(Anchor):
        """A proxy with generic relations, a custom manager and a method."""

        notes = GenericRelation(Memo, related_query_name="noted_anchor")
        own_notes = GenericRelation(Memo, for_concrete_model=False, related_query_name="own_noted_anchor")
        objects = orm.Manager()
        l_names = StartsWithL()

        class Meta:
            app_label = APP
            proxy = True
            ordering = ["name"]

        def note_texts(self) -> list[str]:
            return sorted(memo.text for memo in self.notes.all())

    class DeeplyNotedAnchor(NotedAnchor):
        class Meta:
            app_label = APP
            proxy = True

    class NotedPost(Post):
        """A proxy of a model declared elsewhere, whose concrete model has generic relations too."""

        memos = GenericRelation(Memo)

        class Meta:
            app_label = APP
            proxy = True

    return SimpleNamespace(
        Memo=Memo, Anchor=Anchor, NotedAnchor=NotedAnchor, DeeplyNotedAnchor=DeeplyNotedAnchor, NotedPost=NotedPost
    )


def forget_app(label: str) -> None:
    """Unregister every model of app ``label`` and the reverse relations they registered."""
    for name in list(registry.all_models.get(label, {})):
        registry.unregister_model(label, name)


@pytest.fixture(scope="module")
def m():
    try:
        yield define_models()
    finally:
        forget_app(APP)


@pytest.fixture
def memo_db(ct_db, m):
    create_tables(m.Memo, m.Anchor)
    return ct_db


def texts(queryset) -> list[str]:
    return sorted(queryset.values_list("text", flat=True))


def memos_of(anchor) -> None:
    """One memo through each relation: ``notes``, ``own_notes`` and the concrete ``memos``."""
    anchor.notes.create(text="note")
    anchor.own_notes.create(text="own")
    anchor.memos.create(text="memo")


def test_a_generic_relation_on_a_proxy_is_one_of_its_fields(m):
    notes = m.NotedAnchor._meta.get_field("notes")
    assert isinstance(notes, GenericRelation) and notes.model is m.NotedAnchor
    assert m.NotedAnchor._meta.get_field("memos") is m.Anchor._meta.get_field("memos")
    assert [field.name for field in m.NotedAnchor._meta.get_fields()] == [
        "id", "name", "memos", "notes", "own_notes"]
    assert [field.name for field in m.DeeplyNotedAnchor._meta.get_fields()] == [
        "id", "name", "memos", "notes", "own_notes"]
    # The concrete model does not get the proxy's relations.
    assert [field.name for field in m.Anchor._meta.get_fields()] == ["id", "name", "memos"]
    assert {"anchor", "noted_anchor", "own_noted_anchor"} <= {
        field.name for field in m.Memo._meta.get_fields()}


def test_content_types_of_the_proxy_relations(memo_db, m):
    anchor = m.NotedAnchor.objects.create(name="Lalo")
    memos_of(anchor)
    rows = m.Memo.objects.order_by("text").values_list("text", "content_type__model")
    # for_concrete_model=True (the default): the concrete model's content type.
    assert list(rows) == [("memo", "anchor"), ("note", "anchor"), ("own", "notedanchor")]
    assert anchor.note_texts() == ["memo", "note"]
    assert texts(anchor.own_notes.all()) == ["own"]
    assert texts(m.Anchor.objects.get().memos.all()) == ["memo", "note"]


def test_filter_across_a_proxy_generic_relation(memo_db, m):
    lalo = m.NotedAnchor.objects.create(name="Lalo")
    memos_of(lalo)
    m.NotedAnchor.objects.create(name="Babik").notes.create(text="other")
    assert list(m.NotedAnchor.objects.filter(notes__text="note").values_list("name", flat=True)) == ["Lalo"]
    assert m.NotedAnchor.objects.filter(own_notes__text="own").count() == 1
    assert m.NotedAnchor.objects.filter(own_notes__text="note").count() == 0
    assert list(m.NotedAnchor.l_names.filter(notes__text="note").values_list("name", flat=True)) == ["Lalo"]
    assert m.NotedAnchor.l_names.filter(notes__text="other").count() == 0
    assert list(m.NotedAnchor.objects.exclude(own_notes__text="own").values_list("name", flat=True)) == ["Babik"]
    counted = m.NotedAnchor.objects.annotate(n=orm.Count("own_notes")).order_by("name").values_list("name", "n")
    assert list(counted) == [("Babik", 0), ("Lalo", 1)]
    assert sorted(m.NotedAnchor.objects.filter(name="Lalo").values_list("own_notes__text", flat=True)) == ["own"]
    # The other way, through related_query_name.
    assert texts(m.Memo.objects.filter(own_noted_anchor__name="Lalo")) == ["own"]
    assert texts(m.Memo.objects.filter(noted_anchor__name="Lalo")) == ["memo", "note"]
    assert m.DeeplyNotedAnchor.objects.filter(own_notes__text="own").count() == 1


def test_prefetch_a_proxy_generic_relation(memo_db, m):
    for name in ("Lalo", "Babik"):
        memos_of(m.NotedAnchor.objects.create(name=name))
    with orm.capture_queries() as queries:
        anchors = list(m.NotedAnchor.objects.prefetch_related("notes", "own_notes"))
        loaded = [(a.name, texts_of(a.notes.all()), texts_of(a.own_notes.all())) for a in anchors]
    assert loaded == [("Babik", ["memo", "note"], ["own"]), ("Lalo", ["memo", "note"], ["own"])]
    assert len(queries) == 3
    assert all(memo.content_object is anchors[0] for memo in anchors[0].own_notes.all())
    custom = m.NotedAnchor.objects.prefetch_related(
        orm.Prefetch("notes", queryset=m.Memo.objects.filter(text="note"), to_attr="just_notes"))
    assert [[memo.text for memo in anchor.just_notes] for anchor in custom] == [["note"], ["note"]]


def texts_of(memos) -> list[str]:
    return sorted(memo.text for memo in memos)


def test_deleting_a_proxy_instance_cascades_to_its_generic_rows(memo_db, m):
    anchor = m.NotedAnchor.objects.create(name="Lalo")
    memos_of(anchor)
    keep = m.Anchor.objects.create(name="Babik")
    keep.memos.create(text="kept")
    total, _per_model = anchor.delete()
    assert total == 4
    assert texts(m.Memo.objects.all()) == ["kept"]


def test_deleting_a_proxy_queryset_cascades_to_its_generic_rows(memo_db, m):
    for name in ("Lalo", "Loulou"):
        memos_of(m.NotedAnchor.objects.create(name=name))
    m.Anchor.objects.create(name="Babik").memos.create(text="kept")
    total, _per_model = m.NotedAnchor.l_names.all().delete()
    assert total == 8
    assert texts(m.Memo.objects.all()) == ["kept"]


def test_deleting_through_the_concrete_model_follows_the_concrete_relations_only(memo_db, m):
    # As Django: Anchor's own relation (content type "anchor") takes "memo" and "note";
    # the proxy's for_concrete_model=False relation is the proxy's alone and its row stays.
    anchor = m.NotedAnchor.objects.create(name="Lalo")
    memos_of(anchor)
    total, _per_model = m.Anchor.objects.get(pk=anchor.pk).delete()
    assert total == 3
    assert list(m.Memo.objects.values_list("text", "content_type__model")) == [("own", "notedanchor")]


def test_a_proxy_of_a_proxy_inherits_the_generic_relations(memo_db, m):
    # Django keeps only the concrete model's relations on a proxy of a proxy (its field list
    # loses them while the accessors remain); manouche keeps them all.
    deep = m.DeeplyNotedAnchor.objects.create(name="Lalo")
    memos_of(deep)
    rows = m.Memo.objects.order_by("text").values_list("text", "content_type__model")
    # A relation matches the content type of the model declaring it (for_concrete_model=False).
    assert list(rows) == [("memo", "anchor"), ("note", "anchor"), ("own", "notedanchor")]
    assert m.DeeplyNotedAnchor.objects.filter(notes__text="note").count() == 1
    assert [texts_of(a.own_notes.all()) for a in m.DeeplyNotedAnchor.objects.prefetch_related("own_notes")] == [["own"]]
    total, _per_model = deep.delete()
    assert total == 4 and m.Memo.objects.count() == 0


def test_a_proxy_relation_beside_the_concrete_models_own(memo_db, m):
    post = m.NotedPost.objects.create(title="Gypsy jazz")
    post.memos.create(text="memo")
    post.comments.create(text="comment")
    assert m.NotedPost.objects.filter(memos__text="memo", comments__text="comment").count() == 1
    total, per_model = post.delete()
    assert total == 3 and m.Memo.objects.count() == 0


def test_a_generic_relation_added_to_the_concrete_model_later_reaches_its_proxies(memo_db, m):
    class Shelf(orm.Model):
        name = orm.CharField(max_length=30)

        class Meta:
            app_label = APP
            db_table = m.Anchor._meta.db_table

    class ProxyShelf(Shelf):
        class Meta:
            app_label = APP
            proxy = True

    class ProxyProxyShelf(ProxyShelf):
        class Meta:
            app_label = APP
            proxy = True

    Shelf.add_to_class("memos", GenericRelation(m.Memo))
    assert ProxyProxyShelf._meta.get_field("memos") is Shelf._meta.get_field("memos")
    shelf = ProxyProxyShelf.objects.create(name="top")
    shelf.memos.create(text="dusty")
    assert ProxyProxyShelf.objects.filter(memos__text="dusty").count() == 1
    assert shelf.delete()[0] == 2 and m.Memo.objects.count() == 0


def test_an_abstract_parent_brings_its_generic_relation_to_a_proxy(memo_db, m):
    class Annotated(orm.Model):
        annotations = GenericRelation(m.Memo, for_concrete_model=False)

        class Meta:
            abstract = True
            app_label = APP

    class AnnotatedAnchor(Annotated, m.Anchor):
        class Meta:
            app_label = APP
            proxy = True

    relation = AnnotatedAnchor._meta.get_field("annotations")
    assert relation.model is AnnotatedAnchor and relation is not Annotated._meta.get_field("annotations")
    anchor = AnnotatedAnchor.objects.create(name="Lalo")
    anchor.annotations.create(text="a")
    assert m.Memo.objects.get().content_type.model == "annotatedanchor"
    assert AnnotatedAnchor.objects.filter(annotations__text="a").count() == 1
    assert anchor.delete()[0] == 2 and m.Memo.objects.count() == 0


def test_the_autodetector_creates_a_proxy_with_generic_relations_without_fields(m):
    state = ProjectState.from_models([m.Memo, m.Anchor, m.NotedAnchor, m.DeeplyNotedAnchor])
    assert state.get_model(APP, "NotedAnchor").fields == {}
    created = [step.operation for step in detect_changes(ProjectState(), state)]
    proxies = {op.name: op for op in created if op.options.get("proxy")}
    assert set(proxies) == {"NotedAnchor", "DeeplyNotedAnchor"}
    assert all(op.fields == [] for op in proxies.values())
    assert proxies["NotedAnchor"].bases == (f"{APP}.Anchor",)
    assert [name for name, _field in next(op for op in created if op.name == "Anchor").fields] == ["id", "name"]


SHOP = """
from contenttypes import ContentType, GenericForeignKey, GenericRelation

class Remark(orm.Model):
    content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
    object_id = orm.PositiveBigIntegerField()
    content_object = GenericForeignKey()
    text = orm.CharField(max_length=30)

class Product(orm.Model):
    name = orm.CharField(max_length=30)

class Offer(Product):
    remarks = GenericRelation(Remark, related_query_name="offer")
    cheap = orm.Manager()

    class Meta:
        proxy = True
        ordering = ["name"]
"""


def test_makemigrations_writes_a_proxy_with_a_generic_relation_as_a_bare_create_model(tmp_path, db_url, monkeypatch):
    from tests.migrations_engine.authoring_project import AuthoringProject

    monkeypatch.setenv("MANOUCHE_MIGRATION_TIMESTAMP", "2026-11-21 12:00")
    monkeypatch.chdir(tmp_path)
    project = AuthoringProject(tmp_path, db_url)
    try:
        project.models("gshop15", SHOP, reload=False)
        orm.configure(apps=["contenttypes", "gshop15"], databases={"default": db_url})
        code, output = project.makemigrations("gshop15")
        assert code == 0, output
        text = project.migration_text("gshop15", "0001_initial")
        assert (
            '        migrations.CreateModel(\n'
            '            name="Offer",\n'
            '            fields=[],\n'
            '            options={"ordering": ["name"], "proxy": True},\n'
            '            bases=("gshop15.Product",),\n'
            '        ),\n'
        ) in text
        assert "remarks" not in text
        project.migrate()
        offer_model = registry.get_model("gshop15.Offer")
        item = offer_model.objects.create(name="tie")
        item.remarks.create(text="cheap")
        assert offer_model.objects.filter(remarks__text="cheap").count() == 1
        item.delete()
        assert registry.get_model("gshop15.Remark").objects.count() == 0
        code, output = project.makemigrations("gshop15", check=True)
        assert code == 0 and output.startswith("No changes detected"), output
    finally:
        ContentType.objects.clear_cache()
        forget_app("gshop15")
        project.close()
