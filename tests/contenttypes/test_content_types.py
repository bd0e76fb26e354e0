"""ContentType: lookups, the per-database cache, flushes, removed models, post_migrate rows."""

from __future__ import annotations

import pytest

import orm
from contenttypes import ContentType, create_content_types
from orm.registry import registry

from .models import Comment, Photo, Post, ProxyPost, User


def test_get_for_model_creates_the_row_once_and_accepts_instances(ct_db):
    content_type = ContentType.objects.get_for_model(Post)
    assert (content_type.app_label, content_type.model) == ("ctapp", "post")
    assert content_type.model_class() is Post
    assert ContentType.objects.get_for_model(Post(title="x")) == content_type
    assert ContentType.objects.filter(app_label="ctapp", model="post").count() == 1
    assert str(content_type) == "ctapp.post"
    assert content_type.natural_key() == ("ctapp", "post")
    assert ContentType.objects.get_by_natural_key("ctapp", "post") == content_type


def test_proxy_models_share_the_concrete_content_type_unless_asked(ct_db):
    assert ContentType.objects.get_for_model(ProxyPost) == ContentType.objects.get_for_model(Post)
    proxy_type = ContentType.objects.get_for_model(ProxyPost, for_concrete_model=False)
    assert proxy_type.model == "proxypost"
    assert proxy_type.model_class() is ProxyPost


def test_first_lookup_is_one_query_and_later_ones_none(ct_db):
    ContentType.objects.get_for_model(Post)
    ContentType.objects.get_for_model(Photo)
    ContentType.objects.clear_cache()
    with orm.capture_queries() as first:
        post_type = ContentType.objects.get_for_model(Post)
    assert len(first) == 1
    with orm.capture_queries() as later:
        assert ContentType.objects.get_for_model(Post) is post_type
        assert ContentType.objects.get_for_id(post_type.pk) is post_type
        photo_type = ContentType.objects.get_for_model(Photo)
        assert ContentType.objects.get_for_models(Post, Photo) == {Post: post_type, Photo: photo_type}
    assert len(later) == 0


def test_get_for_models_reads_at_most_once(ct_db):
    create_content_types("default", [Post, Photo, User])
    ContentType.objects.clear_cache()
    with orm.capture_queries() as queries:
        found = ContentType.objects.get_for_models(Post, Photo, User)
    assert len(queries) == 1
    assert {model: ct.model_class() for model, ct in found.items()} == {Post: Post, Photo: Photo, User: User}


def test_get_for_id_unknown_raises_does_not_exist(ct_db):
    with pytest.raises(ContentType.DoesNotExist, match="no content type with id 999"):
        ContentType.objects.get_for_id(999)


def test_cache_is_correct_after_the_table_is_flushed_through_the_orm(ct_db):
    old = ContentType.objects.get_for_model(Post)
    ContentType.objects.all().delete()
    new = ContentType.objects.get_for_model(Post)
    assert ContentType.objects.filter(pk=new.pk).exists()
    assert ContentType.objects.get_for_id(new.pk) == new
    post = Post.objects.create(title="after flush")
    comment = Comment.objects.create(content_object=post, text="still works")
    assert Comment.objects.get(pk=comment.pk).content_object == post
    assert new is not old  # the cached instance of the deleted row is not served again


def test_stale_entries_from_a_raw_flush_are_dropped_on_the_next_miss(ct_db):
    post_type = ContentType.objects.get_for_model(Post)
    orm.connections["default"].execute(f"DELETE FROM {ContentType._meta.db_table}")
    # A miss (Photo) reloads the whole table, so Post's vanished row is forgotten too.
    photo_type = ContentType.objects.get_for_model(Photo)
    assert ContentType.objects.filter(pk=photo_type.pk).exists()
    fresh_post_type = ContentType.objects.get_for_model(Post)
    assert ContentType.objects.filter(pk=fresh_post_type.pk).exists()
    assert fresh_post_type.pk != post_type.pk


def test_cache_is_per_database(ct_db, new_db_url):
    from .conftest import create_tables

    other = new_db_url()
    orm.configure(apps=["contenttypes"], databases={"default": ct_db, "other": other})
    create_tables(ContentType, using="other")
    ContentType.objects.get_for_model(Photo)  # id 1 on default
    on_other = ContentType.objects.db_manager("other").get_for_model(Post)  # id 1 on other
    on_default = ContentType.objects.get_for_model(Post)
    assert on_other._state.db == "other" and on_default._state.db == "default"
    assert ContentType.objects.db_manager("other").get_for_id(on_other.pk).model == "post"
    assert ContentType.objects.get_for_id(on_default.pk).model == "post"
    assert ContentType.objects.get_for_id(1).model == "photo"


def test_removed_model_gives_none_never_a_crash(ct_db):
    ghost = ContentType.objects.create(app_label="ctapp", model="ghost")
    assert ghost.model_class() is None
    assert ghost.name == "ghost"
    with pytest.raises(LookupError, match="ctapp.ghost"):
        ghost.get_object_for_this_type(pk=1)
    comment = Comment(content_type=ghost, object_id="1", text="orphan")
    comment.save()
    assert Comment.objects.get(pk=comment.pk).content_object is None


def test_get_object_for_this_type_and_all_objects(ct_db):
    first = Post.objects.create(title="a")
    Post.objects.create(title="b")
    content_type = ContentType.objects.get_for_model(Post)
    assert content_type.get_object_for_this_type(title="a") == first
    assert sorted(p.title for p in content_type.get_all_objects_for_this_type()) == ["a", "b"]
    assert list(content_type.get_all_objects_for_this_type(title="b").values_list("title", flat=True)) == ["b"]


def test_create_content_types_fills_every_installed_model(ct_db):
    created = create_content_types("default")
    labels = {(ct.app_label, ct.model) for ct in ContentType.objects.all()}
    for model in registry.get_models():
        assert (model._meta.app_label, model._meta.model_name) in labels
    assert len(created) == len(labels)
    assert create_content_types("default") == []


def test_post_migrate_creates_rows(ct_db):
    orm.post_migrate.send(sender=None, using="default", app_config=registry.get_app_config("contenttypes"))
    assert ContentType.objects.filter(app_label="contenttypes", model="contenttype").exists()
    orm.post_migrate.send(sender=None, using="default")
    assert ContentType.objects.filter(app_label="ctapp", model="comment").exists()


def test_get_for_model_rejects_non_models(ct_db):
    with pytest.raises(TypeError, match="model class or instance"):
        ContentType.objects.get_for_model("ctapp.Post")
