"""prune_content_types: stale content types and the generic rows pointing at them."""

from __future__ import annotations

import orm
from contenttypes import ContentType, PrunedContentType, prune_content_types

from .models import Comment, Post, Tag


def test_nothing_stale_means_nothing_removed(ct_db):
    ContentType.objects.get_for_model(Post)
    assert prune_content_types("default") == []


def test_dry_run_lists_and_prune_removes_stale_types_and_their_rows(ct_db):
    post = Post.objects.create(title="kept")
    kept_comment = Comment.objects.create(content_object=post, text="kept")
    gone = ContentType.objects.create(app_label="ctapp", model="oldmodel")
    also_gone = ContentType.objects.create(app_label="removedapp", model="thing")
    for number in range(3):
        Comment.objects.create(content_type=gone, object_id=str(number), text="orphan")
    Tag.objects.create(content_type=gone, object_id=1, name="orphan")

    preview = prune_content_types("default", dry_run=True)
    assert preview == [
        PrunedContentType(gone.pk, "ctapp", "oldmodel", {"ctapp.Comment": 3, "ctapp.Tag": 1}),
        PrunedContentType(also_gone.pk, "removedapp", "thing", {}),
    ]
    assert str(preview[0]) == "ctapp.oldmodel (3 ctapp.Comment, 1 ctapp.Tag)"
    assert ContentType.objects.filter(pk=gone.pk).exists() and Comment.objects.count() == 4

    removed = prune_content_types("default")
    assert [(item.app_label, item.model, item.generic_objects) for item in removed] == [
        ("ctapp", "oldmodel", {"ctapp.Comment": 3, "ctapp.Tag": 1}),
        ("removedapp", "thing", {}),
    ]
    assert not ContentType.objects.filter(pk__in=[gone.pk, also_gone.pk]).exists()
    assert list(Comment.objects.all()) == [kept_comment]
    assert Tag.objects.count() == 0
    assert ContentType.objects.get_for_model(Post).model_class() is Post
    assert prune_content_types("default") == []
    assert orm.connections["default"].introspection.has_table("contenttypes_contenttype")
