"""Generic relations with custom column names and proxy targets (H3, session 14)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation
from orm.registry import registry

from .conftest import create_tables

APP = "ctapp_s14"


def define_models() -> SimpleNamespace:
    """The models of these tests (defined per test: their key to ContentType must not outlive them)."""

    class Mark(orm.Model):
        kind = orm.ForeignKey(ContentType, on_delete=orm.CASCADE, related_name="+")
        target = orm.PositiveBigIntegerField()
        about = GenericForeignKey("kind", "target")
        exact = GenericForeignKey("kind", "target", for_concrete_model=False)
        label = orm.CharField(max_length=20)

        class Meta:
            app_label = APP
            ordering = ["label"]

    class Page(orm.Model):
        title = orm.CharField(max_length=20)
        marks = GenericRelation(Mark, object_id_field="target", content_type_field="kind", related_query_name="page")

        class Meta:
            app_label = APP

    class SpecialPage(Page):
        class Meta:
            app_label = APP
            proxy = True

    class Shelf(orm.Model):
        name = orm.CharField(max_length=20)
        marks = GenericRelation(Mark, object_id_field="target", content_type_field="kind")

        class Meta:
            app_label = APP

    return SimpleNamespace(Mark=Mark, Page=Page, SpecialPage=SpecialPage, Shelf=Shelf)


@pytest.fixture
def m(ct_db):
    models = define_models()
    create_tables(models.Mark, models.Page, models.Shelf)
    try:
        yield models
    finally:
        for name in ("mark", "page", "specialpage", "shelf"):
            registry.unregister_model(APP, name)
        registry.all_models.pop(APP, None)


def test_custom_column_names(m):
    page = m.Page.objects.create(title="p")
    shelf = m.Shelf.objects.create(name="s")
    mark = page.marks.create(label="a")
    assert mark.about == page and mark.kind == ContentType.objects.get_for_model(m.Page)
    m.Mark.objects.create(about=shelf, label="b")
    assert [x.label for x in page.marks.all()] == ["a"]
    assert list(m.Page.objects.filter(marks__label="a")) == [page]
    assert list(m.Page.objects.filter(marks__label="b")) == []
    assert list(m.Mark.objects.filter(page__title="p").values_list("label", flat=True)) == ["a"]
    assert list(m.Mark.objects.filter(about=shelf).values_list("label", flat=True)) == ["b"]
    pages = list(m.Page.objects.prefetch_related("marks"))
    assert [x.label for x in pages[0].marks.all()] == ["a"]
    marks = list(m.Mark.objects.prefetch_related("about"))
    assert [x.about for x in marks] == [page, shelf]
    page.delete()
    assert list(m.Mark.objects.values_list("label", flat=True)) == ["b"]


def test_for_concrete_model_false(m):
    special = m.SpecialPage.objects.create(title="p")
    mark = m.Mark.objects.create(exact=special, label="x")
    assert mark.kind == ContentType.objects.get_for_model(m.SpecialPage, for_concrete_model=False)
    assert type(m.Mark.objects.get().exact) is m.SpecialPage
    assert list(special.marks.all()) == []
    other = m.Mark.objects.create(about=special, label="y")
    assert other.kind == ContentType.objects.get_for_model(m.Page)
    assert type(m.Mark.objects.get(label="y").about) is m.Page
    assert list(m.Mark.objects.filter(exact=special).values_list("label", flat=True)) == ["x"]
    assert list(m.Mark.objects.filter(about=special).values_list("label", flat=True)) == ["y"]


@pytest.mark.parametrize("name", ["exact", "about"])
def test_prefetch_keeps_proxy_and_concrete_targets_apart(m, name):
    # Two rows point at one primary key, through the proxy's and the concrete model's content
    # type: prefetching gave both rows the object loaded last (keyed by concrete model).
    special = m.SpecialPage.objects.create(title="p")
    m.Mark.objects.create(exact=special, label="x")
    m.Mark.objects.create(about=special, label="y")
    expected = [type(getattr(x, name)) for x in m.Mark.objects.all()]
    assert expected == [m.SpecialPage, m.Page]
    marks = list(m.Mark.objects.prefetch_related(name))
    with orm.capture_queries() as queries:
        assert [type(getattr(x, name)) for x in marks] == expected
    assert len(queries) == 0


def test_prefetch_with_a_proxy_queryset_for_the_concrete_type(m):
    page = m.Page.objects.create(title="p")
    m.Mark.objects.create(about=page, label="x")
    marks = list(m.Mark.objects.prefetch_related(orm.Prefetch("about", queryset=m.SpecialPage.objects.all())))
    with orm.capture_queries() as queries:
        assert [type(x.about) for x in marks] == [m.SpecialPage]
    assert len(queries) == 0
