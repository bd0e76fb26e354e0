"""Models for the contenttypes tests: comments on posts, photos and users (UUID key)."""

from __future__ import annotations

import uuid

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation

APP = "ctapp"


class Comment(orm.Model):
    """A generic row pointing at a model with an integer or a UUID key (text object id)."""

    content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
    object_id = orm.CharField(max_length=40)
    content_object = GenericForeignKey("content_type", "object_id")
    text = orm.TextField(default="")
    score = orm.IntegerField(default=0)

    class Meta:
        app_label = APP


class Tag(orm.Model):
    """A generic row with an integer object id (points at models with integer keys)."""

    content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE, null=True)
    object_id = orm.PositiveBigIntegerField(null=True)
    content_object = GenericForeignKey()
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class Like(orm.Model):
    """A generic row with a UUID object id (points at users)."""

    content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
    object_id = orm.UUIDField()
    content_object = GenericForeignKey()

    class Meta:
        app_label = APP


class Post(orm.Model):
    title = orm.CharField(max_length=100)
    comments = GenericRelation(Comment, related_query_name="post")
    tags = GenericRelation(Tag)

    class Meta:
        app_label = APP


class Photo(orm.Model):
    caption = orm.CharField(max_length=100)
    comments = GenericRelation(Comment, related_query_name="photo")
    tags = GenericRelation(Tag)

    class Meta:
        app_label = APP


class User(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    name = orm.CharField(max_length=100)
    comments = GenericRelation(Comment)
    likes = GenericRelation(Like)

    class Meta:
        app_label = APP


class ProxyPost(Post):
    class Meta:
        app_label = APP
        proxy = True


ALL_MODELS = [ContentType, Comment, Tag, Like, Post, Photo, User]
