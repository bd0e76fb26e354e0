"""Content types and generic relations on a second database (helper H3's round, session 15).

``default`` is the backend under test; ``other`` is a second database of that
backend (``pair="same"``) or SQLite (``pair="mixed"``).
"""

from __future__ import annotations

import pytest

import orm
from contenttypes import ContentType
from contenttypes.sync import create_content_types

from .conftest import create_tables
from .models import ALL_MODELS, Comment, Photo, Post


@pytest.fixture(params=["same", "mixed"])
def pair(request, vendor):
    if request.param == "mixed" and vendor == "sqlite":
        pytest.skip("the mixed pair of SQLite is the same pair")
    return request.param


@pytest.fixture
def routed(ct_db, new_db_url, pair):
    """Configure ``default`` and ``other`` (with the routers given), with every table on both."""
    other = new_db_url("sqlite") if pair == "mixed" else new_db_url()

    def configure(*routers):
        orm.configure(apps=["contenttypes"], databases={"default": ct_db, "other": other}, routers=list(routers))
        ContentType.objects.clear_cache()
        create_tables(*ALL_MODELS, using="other")

    yield configure
    ContentType.objects.clear_cache()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def db_for_read(self, model, **hints):
        self.calls.append(("read", model, hints.get("instance")))

    def db_for_write(self, model, **hints):
        self.calls.append(("write", model, hints.get("instance")))


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return "other"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True


class NoContentTypesOnOther:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == "other" and app_label == "contenttypes" else None


def test_content_type_rows_are_per_database(routed):
    routed()
    create_content_types("default")
    Photo.objects.using("other").create(caption="x")
    # On "other" the rows are made on demand, with their own ids.
    photo_type = ContentType.objects.db_manager("other").get_for_model(Photo)
    assert photo_type._state.db == "other"
    assert ContentType.objects.using("other").count() == 1
    assert ContentType.objects.count() > 1
    assert ContentType.objects.get_for_model(Photo)._state.db == "default"
    created = create_content_types("other")
    assert {ct._state.db for ct in created} <= {"other"}
    assert ContentType.objects.using("other").count() == ContentType.objects.count()


def test_generic_foreign_key_of_an_object_read_from_other(routed):
    routed()
    Post.objects.create(title="default's post, same id")
    post = Post.objects.using("other").create(title="there")
    Photo.objects.using("other").create(caption="shifts nothing")
    comment = Comment(content_object=post, text="c")
    # As Django: the content type of "other" is assigned, so the new row follows it there.
    assert comment._state.db == "other"
    comment.save()
    loaded = Comment.objects.using("other").get()
    assert loaded.content_object == post and loaded.content_object._state.db == "other"
    assert loaded.content_type._state.db == "other"
    assert loaded.content_type.get_object_for_this_type(pk=post.pk)._state.db == "other"
    assert [c.text for c in post.comments.all()] == ["c"]
    made = post.comments.create(text="via the relation")
    assert made._state.db == "other"
    assert Comment.objects.using("other").count() == 2 and Comment.objects.count() == 0
    prefetched = list(Post.objects.using("other").prefetch_related("comments"))
    assert sorted(c.text for c in prefetched[0].comments.all()) == ["c", "via the relation"]
    generic = list(Comment.objects.using("other").prefetch_related("content_object"))
    assert {c.content_object._state.db for c in generic} == {"other"}


def test_generic_relation_asks_the_routers_with_the_instance(routed):
    recorder = Recorder()
    routed(recorder)
    post = Post.objects.using("other").create(title="there")
    post.comments.create(text="c")
    recorder.calls.clear()
    assert [c.text for c in post.comments.all()] == ["c"]
    assert ("read", Comment, post) in recorder.calls
    assert post.comments.all()[0]._state.db == "other"


def test_generic_relation_reads_where_the_router_says(routed):
    routed(ReplicaRouter())
    post = Post.objects.using("default").create(title="on primary")
    Post.objects.using("other").create(pk=post.pk, title="on replica")
    Comment.objects.using("other").create(
        content_type=ContentType.objects.db_manager("other").get_for_model(Post), object_id=str(post.pk), text="replica"
    )
    assert [c.text for c in post.comments.all()] == ["replica"]  # the router sends reads to "other"
    made = post.comments.create(text="primary")
    assert made._state.db == "default"
    assert Comment.objects.using("default").get().content_type_id == ContentType.objects.get_for_model(Post).pk


def test_migrate_creates_no_content_types_where_the_router_refuses(routed):
    routed(NoContentTypesOnOther())
    orm.post_migrate.send(sender=None, using="other")
    assert ContentType.objects.using("other").count() == 0
    orm.post_migrate.send(sender=None, using="default")
    assert ContentType.objects.using("default").count() > 0
