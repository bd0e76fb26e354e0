"""GenericForeignKey: assignment, reading, filtering by it, bad definitions and bad values."""

from __future__ import annotations

import uuid

import pytest

import orm
from contenttypes import ContentType, GenericForeignKey
from orm.registry import registry

from .models import Comment, Like, Photo, Post, Tag, User


def test_create_read_reassign_clear(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    comment = Comment.objects.create(content_object=post, text="t")
    assert comment.content_type_id == ContentType.objects.get_for_model(Post).pk
    assert comment.object_id == str(post.pk)
    loaded = Comment.objects.get(pk=comment.pk)
    with orm.capture_queries() as queries:
        assert loaded.content_object == post
        assert loaded.content_object == post
    assert len(queries) == 1  # fetched once, then cached
    loaded.content_object = photo
    loaded.save()
    again = Comment.objects.get(pk=comment.pk)
    assert isinstance(again.content_object, Photo) and again.content_object == photo
    tag = Tag.objects.create(content_object=post, name="x")
    tag.content_object = None
    assert (tag.content_type_id, tag.object_id, tag.content_object) == (None, None, None)
    tag.save()
    assert Tag.objects.get(pk=tag.pk).content_object is None


def test_uuid_primary_keys_in_text_and_uuid_object_ids(ct_db):
    user = User.objects.create(name="ann")
    comment = Comment.objects.create(content_object=user, text="hi")
    like = Like.objects.create(content_object=user)
    assert comment.object_id == user.pk.hex
    assert like.object_id == user.pk
    assert Comment.objects.get(pk=comment.pk).content_object == user
    assert Like.objects.get(pk=like.pk).content_object == user
    assert list(user.comments.all()) == [comment]
    assert list(user.likes.all()) == [like]
    assert list(User.objects.filter(comments__text="hi")) == [user]
    assert list(User.objects.filter(likes__isnull=False)) == [user]


def test_changing_the_columns_invalidates_the_cached_target(ct_db):
    first, second = Post.objects.create(title="1"), Post.objects.create(title="2")
    comment = Comment.objects.create(content_object=first)
    assert comment.content_object == first
    comment.object_id = str(second.pk)
    assert comment.content_object == second


def test_deleted_target_reads_as_none(ct_db):
    photo = Photo.objects.create(caption="gone")
    tag = Tag.objects.create(content_object=photo, name="x")
    Photo.objects.filter(pk=photo.pk).update(caption="still here")
    orm.connections["default"].execute(f"DELETE FROM {Photo._meta.db_table}")
    assert Tag.objects.get(pk=tag.pk).content_object is None


def test_deleting_the_target_deletes_its_generic_rows(ct_db):
    post, photo = Post.objects.create(title="p"), Photo.objects.create(caption="c")
    Comment.objects.create(content_object=post, text="a")
    Comment.objects.create(content_object=post, text="b")
    kept = Comment.objects.create(content_object=photo, text="c")
    Tag.objects.create(content_object=post, name="t")
    total, per_label = post.delete()
    assert per_label == {"ctapp.Post": 1, "ctapp.Comment": 2, "ctapp.Tag": 1}
    assert total == 4
    assert list(Comment.objects.all()) == [kept]
    user = User.objects.create(name="u")
    Comment.objects.create(content_object=user)
    Like.objects.create(content_object=user)
    User.objects.all().delete()
    assert Like.objects.count() == 0 and list(Comment.objects.all()) == [kept]


def test_unsaved_instance_is_a_value_error(ct_db):
    with pytest.raises(ValueError, match="unsaved Post"):
        Comment(content_object=Post(title="new"))
    with pytest.raises(ValueError, match="unsaved User"):
        Comment().content_object = User(name="has a default uuid but no row")
    with pytest.raises(TypeError, match="expected a saved model instance"):
        Comment().content_object = "post"


def test_integer_object_id_cannot_hold_a_uuid_key(ct_db):
    user = User.objects.create(name="u")
    with pytest.raises(ValueError, match="ctapp.Tag.object_id.*UUIDField"):
        Tag(content_object=user)


def test_filter_exclude_and_in_by_the_generic_foreign_key(ct_db):
    post, photo, user = Post.objects.create(title="p"), Photo.objects.create(caption="c"), User.objects.create(name="u")
    other_post = Post.objects.create(title="q")
    on_post = Comment.objects.create(content_object=post, text="1")
    on_photo = Comment.objects.create(content_object=photo, text="2")
    on_user = Comment.objects.create(content_object=user, text="3")
    on_other = Comment.objects.create(content_object=other_post, text="4")

    def texts(queryset):
        return sorted(comment.text for comment in queryset)

    assert texts(Comment.objects.filter(content_object=post)) == ["1"]
    assert texts(Comment.objects.filter(content_object__exact=user)) == ["3"]
    assert texts(Comment.objects.filter(content_object__in=[post, photo, user])) == ["1", "2", "3"]
    assert texts(Comment.objects.filter(content_object__in=Post.objects.all())) == ["1", "4"]
    assert texts(Comment.objects.filter(content_object__in=[])) == []
    assert texts(Comment.objects.exclude(content_object=post)) == ["2", "3", "4"]
    assert texts(Comment.objects.exclude(content_object__in=[post, user])) == ["2", "4"]
    assert texts(Comment.objects.filter(orm.Q(content_object=photo) | orm.Q(text="4"))) == ["2", "4"]
    assert {on_post, on_photo, on_user, on_other} == set(Comment.objects.all())
    with orm.capture_queries() as queries:
        list(Comment.objects.filter(content_object=post))
    assert len(queries) == 1
    assert "content_type_id" in queries[0].sql and "object_id" in queries[0].sql


def test_filter_by_the_generic_foreign_key_with_null_columns(ct_db):
    post = Post.objects.create(title="p")
    pointing = Tag.objects.create(content_object=post, name="pointing")
    loose = Tag.objects.create(name="loose")
    assert list(Tag.objects.filter(content_object=None)) == [loose]
    assert list(Tag.objects.filter(content_object__isnull=True)) == [loose]
    assert list(Tag.objects.filter(content_object__isnull=False)) == [pointing]
    # exclude() keeps rows whose columns are NULL, as it does for a foreign key.
    assert list(Tag.objects.exclude(content_object=post)) == [loose]


def test_unsupported_lookup_on_the_generic_foreign_key(ct_db):
    post = Post.objects.create(title="p")
    with pytest.raises(orm.FieldError, match="unsupported lookup 'gt'"):
        Comment.objects.filter(content_object__gt=post)
    with pytest.raises(ValueError, match="unsaved"):
        Comment.objects.filter(content_object=Post(title="x"))


def test_prefetch_content_object_is_one_query_per_content_type(ct_db):
    posts = [Post.objects.create(title=f"p{i}") for i in range(3)]
    photos = [Photo.objects.create(caption=f"c{i}") for i in range(2)]
    users = [User.objects.create(name=f"u{i}") for i in range(2)]
    for target in [*posts, *photos, *users, posts[0]]:
        Comment.objects.create(content_object=target, text=str(target.pk))
    Comment.objects.create(content_type=ContentType.objects.get_for_model(Post), object_id="999999")
    with orm.capture_queries() as queries:
        comments = list(Comment.objects.order_by("pk").prefetch_related("content_object"))
        targets = [comment.content_object for comment in comments]
    assert len(queries) == 1 + 3
    assert targets == [*posts, *photos, *users, posts[0], None]


def test_prefetch_with_a_prefetch_object_queryset(ct_db):
    keep, drop = Post.objects.create(title="keep"), Post.objects.create(title="drop")
    Comment.objects.create(content_object=keep)
    Comment.objects.create(content_object=drop)
    comments = list(
        Comment.objects.order_by("pk").prefetch_related(
            orm.Prefetch("content_object", queryset=Post.objects.filter(title="keep"))
        )
    )
    with orm.capture_queries() as queries:
        assert [c.content_object for c in comments] == [keep, None]
    assert len(queries) == 0


def test_model_gone_from_the_registry_reads_as_none(ct_db):
    class Ephemeral(orm.Model):
        name = orm.CharField(max_length=10)

        class Meta:
            app_label = "ctgone"

    from .conftest import create_tables

    create_tables(Ephemeral)
    thing = Ephemeral.objects.create(name="x")
    comment = Comment.objects.create(content_object=thing, text="on a model about to vanish")
    registry.unregister_model("ctgone", "ephemeral")
    try:
        content_type = ContentType.objects.get_for_id(comment.content_type_id)
        assert content_type.model_class() is None
        assert Comment.objects.get(pk=comment.pk).content_object is None
        assert [c.content_object for c in Comment.objects.prefetch_related("content_object")] == [None]
    finally:
        registry.all_models.pop("ctgone", None)


def _define(ct_field="content_type", fk_field="object_id", content_type=True):
    attrs = {
        "__module__": __name__,
        "object_id": orm.PositiveBigIntegerField(),
        "target": GenericForeignKey(ct_field, fk_field),
        "Meta": type("Meta", (), {"app_label": "ctbad"}),
    }
    if content_type:
        attrs["content_type"] = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
    else:
        attrs["content_type"] = orm.ForeignKey(Post, on_delete=orm.CASCADE, related_name="+")
    return type("BadComment", (orm.Model,), attrs)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"fk_field": "missing_id"}, r"ctbad\.BadComment\.target: the object id field 'missing_id' does not exist on BadComment"),
        ({"ct_field": "kind"}, r"ctbad\.BadComment\.target: the content type field 'kind' does not exist on BadComment"),
        ({"ct_field": "object_id"}, r"BadComment\.object_id is not a ForeignKey to contenttypes\.ContentType"),
        ({"content_type": False}, r"BadComment\.content_type is not a ForeignKey to contenttypes\.ContentType"),
    ],
)
def test_misconfigured_generic_foreign_key_names_the_model(arguments, message):
    try:
        with pytest.raises(orm.ImproperlyConfigured, match=message):
            _define(**arguments)
    finally:
        registry.all_models.pop("ctbad", None)
        # The rejected class's foreign key already registered its reverse relation.
        for target in (ContentType, Post):
            opts = target._meta
            opts.related_objects = [r for r in opts.related_objects if r.field.model._meta.app_label != "ctbad"]
            opts._expire_cache()


def test_generic_foreign_key_is_not_a_column(ct_db):
    field = Comment._meta.get_field("content_object")
    assert field in Comment._meta.private_fields
    assert field not in Comment._meta.concrete_fields
    assert Comment(object_id="1").content_object is None
    assert isinstance(Comment.content_object, GenericForeignKey)
    assert uuid.UUID(int=0) is not None
