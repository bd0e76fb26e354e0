"""Nested prefetch past a generic key whose targets are of several models (H3, session 14)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import orm
from contenttypes import ContentType, GenericForeignKey
from orm.registry import registry

from .conftest import create_tables

APP = "ctapp_s14m"


def define_models() -> SimpleNamespace:
    """The models of these tests (defined per test: their key to ContentType must not outlive them)."""

    class Pin(orm.Model):
        content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE, related_name="+")
        object_id = orm.PositiveBigIntegerField()
        target = GenericForeignKey()
        label = orm.CharField(max_length=20)

        class Meta:
            app_label = APP
            ordering = ["label"]

    class Painter(orm.Model):
        name = orm.CharField(max_length=20)

        class Meta:
            app_label = APP

    class Writer(orm.Model):
        name = orm.CharField(max_length=20)

        class Meta:
            app_label = APP

    class Painting(orm.Model):
        title = orm.CharField(max_length=20)
        author = orm.ForeignKey(Painter, on_delete=orm.CASCADE, related_name="works")

        class Meta:
            app_label = APP
            ordering = ["title"]

    class Novel(orm.Model):
        title = orm.CharField(max_length=20)
        author = orm.ForeignKey(Writer, on_delete=orm.CASCADE, related_name="works")

        class Meta:
            app_label = APP
            ordering = ["title"]

    return SimpleNamespace(Pin=Pin, Painter=Painter, Writer=Writer, Painting=Painting, Novel=Novel)


@pytest.fixture
def m(ct_db):
    models = define_models()
    create_tables(models.Pin, models.Painter, models.Writer, models.Painting, models.Novel)
    try:
        yield models
    finally:
        for name in ("pin", "painter", "writer", "painting", "novel"):
            registry.unregister_model(APP, name)
        registry.all_models.pop(APP, None)


@pytest.fixture
def pins(m):
    painter = m.Painter.objects.create(name="Django")
    writer = m.Writer.objects.create(name="Stephane")
    assert painter.pk == writer.pk
    painting = m.Painting.objects.create(title="Nuages", author=painter)
    novel = m.Novel.objects.create(title="Minor swing", author=writer)
    m.Pin.objects.create(target=painting, label="a painting")
    m.Pin.objects.create(target=novel, label="a novel")
    m.Pin.objects.create(target=painter, label="a painter")
    m.Pin.objects.create(target=writer, label="a writer")
    return m


def test_forward_key_of_each_model(pins):
    # Painting.author and Novel.author point at different models with the same keys: the nested
    # level used the first target's relation for all (a Novel got a Painter as author).
    pins_ = list(pins.Pin.objects.filter(label__in=["a painting", "a novel"]).prefetch_related("target__author"))
    with orm.capture_queries() as queries:
        got = [(p.label, type(p.target.author).__name__, p.target.author.name) for p in pins_]
    assert got == [("a novel", "Writer", "Stephane"), ("a painting", "Painter", "Django")]
    assert len(queries) == 0


def test_reverse_key_of_each_model(pins):
    pins_ = list(pins.Pin.objects.filter(label__in=["a painter", "a writer"]).prefetch_related("target__works"))
    with orm.capture_queries() as queries:
        got = [(p.label, [w.title for w in p.target.works.all()]) for p in pins_]
    assert got == [("a painter", ["Nuages"]), ("a writer", ["Minor swing"])]
    assert len(queries) == 0


def test_three_levels_and_a_missing_relation(pins):
    pins_ = list(pins.Pin.objects.filter(label__in=["a painting", "a novel"]).prefetch_related("target__author__works"))
    with orm.capture_queries() as queries:
        got = [[w.title for w in p.target.author.works.all()] for p in pins_]
    assert got == [["Minor swing"], ["Nuages"]]
    assert len(queries) == 0
    with pytest.raises(AttributeError, match="Cannot find 'works' on (Novel|Painting) object"):
        list(pins.Pin.objects.prefetch_related("target__works"))


def test_targets_already_loaded(pins):
    pins_ = list(pins.Pin.objects.filter(label__in=["a painting", "a novel"]))
    for pin in pins_:
        assert pin.target is not None
    orm.prefetch_related_objects(pins_, "target__author")
    with orm.capture_queries() as queries:
        got = [(p.label, type(p.target.author).__name__) for p in pins_]
    assert got == [("a novel", "Writer"), ("a painting", "Painter")]
    assert len(queries) == 0
