"""Generic relation behaviours found by probing on every backend (helper H3's round, session 14)."""

from __future__ import annotations

import pytest

import orm
from contenttypes import ContentType

from .models import Comment, Photo, Post, ProxyPost, Tag, User


def test_generic_relation_set_and_remove_bulk_false(ct_db):
    post = Post.objects.create(title="p")
    a = Tag.objects.create(name="a", content_object=post)
    b = Tag.objects.create(name="b")
    post.tags.set([b])
    assert sorted(t.name for t in post.tags.all()) == ["b"]
    assert not Tag.objects.filter(pk=a.pk).exists() or Tag.objects.get(pk=a.pk).object_id is None
    post.tags.remove(b)
    assert post.tags.count() == 0


def test_generic_relation_get_or_create_update_or_create(ct_db):
    post = Post.objects.create(title="p")
    c, created = post.comments.get_or_create(text="x")
    assert created and c.content_object == post
    c2, created = post.comments.get_or_create(text="x")
    assert not created and c2.pk == c.pk
    c3, created = post.comments.update_or_create(text="x", defaults={"score": 5})
    assert not created and Comment.objects.get(pk=c.pk).score == 5


def test_generic_relation_filter_other_model_not_mixed(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    assert post.pk == photo.pk
    Comment.objects.create(content_object=photo, text="photo")
    assert post.comments.count() == 0
    assert Post.objects.filter(comments__text="photo").count() == 0
    assert Photo.objects.filter(comments__text="photo").count() == 1
    post.delete()
    assert Comment.objects.count() == 1


def test_queryset_delete_cascades_generic(ct_db):
    post = Post.objects.create(title="p")
    Comment.objects.create(content_object=post, text="x")
    photo = Photo.objects.create(caption="c")
    Comment.objects.create(content_object=photo, text="y")
    count, per_model = Post.objects.all().delete()
    assert Comment.objects.count() == 1
    assert count == 2


def test_get_for_id_and_model_class(ct_db):
    ct = ContentType.objects.get_for_model(Post)
    assert ContentType.objects.get_for_id(ct.pk) is ct or ContentType.objects.get_for_id(ct.pk) == ct
    assert ct.model_class() is Post
    assert ContentType.objects.get_for_model(ProxyPost) == ct
    assert ContentType.objects.get_for_model(ProxyPost, for_concrete_model=False) != ct
    assert ContentType.objects.get_by_natural_key("ctapp", "post") == ct
    assert str(ct)


def test_prefetch_generic_relation_to_attr(ct_db):
    post = Post.objects.create(title="p")
    Comment.objects.create(content_object=post, text="a", score=1)
    Comment.objects.create(content_object=post, text="b", score=2)
    posts = list(Post.objects.prefetch_related(
        orm.Prefetch("comments", queryset=Comment.objects.filter(score=2), to_attr="good")
    ))
    assert [c.text for c in posts[0].good] == ["b"]
    posts = list(Post.objects.prefetch_related("comments"))
    with orm.capture_queries() as queries:
        assert sorted(c.text for c in posts[0].comments.all()) == ["a", "b"]
        assert all(c.content_object is posts[0] or c.content_object == posts[0] for c in posts[0].comments.all())
    assert len(queries) == 0


def test_gfk_prefetch_mixed_and_missing(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    Tag.objects.create(name="a", content_object=post)
    Tag.objects.create(name="b", content_object=photo)
    Tag.objects.create(name="c")
    Tag.objects.create(name="d", content_type=ContentType.objects.get_for_model(Post), object_id=post.pk + 99)
    tags = list(Tag.objects.order_by("name").prefetch_related("content_object"))
    with orm.capture_queries() as queries:
        assert [t.content_object for t in tags] == [post, photo, None, None]
    assert len(queries) == 0


def test_gfk_filter_isnull_and_values(ct_db):
    post = Post.objects.create(title="p")
    Tag.objects.create(name="a", content_object=post)
    Tag.objects.create(name="c")
    assert list(Tag.objects.filter(content_type__isnull=True).values_list("name", flat=True)) == ["c"]
    assert Tag.objects.filter(content_object=post).count() == 1


def test_generic_relation_exclude_and_isnull(ct_db):
    p1 = Post.objects.create(title="p1")
    p2 = Post.objects.create(title="p2")
    Comment.objects.create(content_object=p1, text="x")
    photo = Photo.objects.create(caption="c")
    Comment.objects.create(content_object=photo, text="y")
    assert [p.title for p in Post.objects.exclude(comments__text="x")] == ["p2"]
    assert [p.title for p in Post.objects.filter(comments__isnull=True)] == ["p2"]
    assert [p.title for p in Post.objects.filter(comments__isnull=False)] == ["p1"]
    assert Post.objects.annotate(n=orm.Count("comments")).get(pk=p2.pk).n == 0
    assert p2


def test_uuid_generic_relation_clear_delete(ct_db):
    u = User.objects.create(name="u")
    Comment.objects.create(content_object=u, text="x")
    assert u.comments.count() == 1
    u.delete()
    assert Comment.objects.count() == 0


def test_gfk_assign_none_and_save(ct_db):
    post = Post.objects.create(title="p")
    t = Tag.objects.create(name="a", content_object=post)
    t.content_object = None
    t.save()
    t = Tag.objects.get(pk=t.pk)
    assert t.content_type_id is None and t.object_id is None
    assert t.content_object is None


def test_related_query_name_from_the_generic_rows(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="p")
    Comment.objects.create(content_object=post, text="x")
    Comment.objects.create(content_object=photo, text="y")
    assert list(Comment.objects.filter(post__title="p").values_list("text", flat=True)) == ["x"]
    assert list(Comment.objects.filter(photo__caption="p").values_list("text", flat=True)) == ["y"]
    assert sorted(Comment.objects.exclude(post__title="p").values_list("text", flat=True)) == ["y"]


def test_add_moves_row_and_its_cached_target(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    tag = Tag.objects.create(name="a", content_object=photo)
    assert tag.content_object == photo
    post.tags.add(tag)
    assert tag.content_object == post
    assert Tag.objects.get(pk=tag.pk).content_object == post


def test_deleting_a_content_type_cascades(ct_db):
    post = Post.objects.create(title="p")
    Comment.objects.create(content_object=post, text="x")
    ContentType.objects.get_for_model(Post).delete()
    assert Comment.objects.count() == 0
    ct = ContentType.objects.get_for_model(Post)
    assert ct.pk is not None and ContentType.objects.filter(pk=ct.pk).exists()


def test_proxy_instance_as_target(ct_db):
    post = ProxyPost.objects.create(title="p")
    c = Comment.objects.create(content_object=post, text="x")
    assert c.content_type == ContentType.objects.get_for_model(Post)
    assert Post.objects.get(pk=post.pk).comments.count() == 1
    assert post.comments.count() == 1
    assert Comment.objects.filter(content_object=post).count() == 1


def test_generic_relation_values_and_ordering(ct_db):
    post = Post.objects.create(title="p")
    Comment.objects.create(content_object=post, text="b", score=2)
    Comment.objects.create(content_object=post, text="a", score=1)
    assert list(Post.objects.order_by("comments__score").values_list("comments__text", flat=True)) == ["a", "b"]
    assert Post.objects.aggregate(total=orm.Sum("comments__score"))["total"] == 3


def test_generic_relation_select_related_target_on_rows(ct_db):
    post = Post.objects.create(title="p")
    Comment.objects.create(content_object=post, text="b")
    rows = list(Comment.objects.select_related("content_type"))
    with orm.capture_queries() as queries:
        assert rows[0].content_type.model == "post"
    assert len(queries) == 0


def test_get_for_models(ct_db):
    got = ContentType.objects.get_for_models(Post, Photo, ProxyPost)
    assert got[Post].model == "post" and got[ProxyPost] == got[Post]
    got = ContentType.objects.get_for_models(ProxyPost, for_concrete_models=False)
    assert got[ProxyPost].model == "proxypost"


def test_generic_relation_filter_by_row_and_manager_querysets(ct_db):
    post = Post.objects.create(title="p")
    other = Post.objects.create(title="o")
    a = Comment.objects.create(content_object=post, text="a", score=1)
    Comment.objects.create(content_object=post, text="b", score=3)
    Comment.objects.create(content_object=other, text="c", score=5)
    assert list(Post.objects.filter(comments=a)) == [post]
    assert list(Post.objects.filter(comments__in=[a])) == [post]
    assert list(Post.objects.exclude(comments__score__gt=4)) == [post]
    assert post.comments.aggregate(total=orm.Sum("score"))["total"] == 4
    assert post.comments.filter(score__gt=1).update(score=0) == 1
    assert sorted(post.comments.values_list("score", flat=True)) == [0, 1]
    assert set(post.comments.in_bulk()) == set(post.comments.values_list("pk", flat=True))
    post.comments.filter(text="a").delete()
    assert list(post.comments.values_list("text", flat=True)) == ["b"]
    assert Comment.objects.count() == 2
    assert list(Comment.objects.filter(content_object__in=[])) == []
    counts = dict(Post.objects.annotate(n=orm.Count("comments"), t=orm.Count("tags")).values_list("title", "n"))
    assert counts == {"p": 1, "o": 1}


def test_prefetch_through_the_generic_key_then_back(ct_db):
    # The targets are posts and photos with the same primary keys: the second level used the
    # first object's content type for all of them (the photo got the post's comments).
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    assert post.pk == photo.pk
    Comment.objects.create(content_object=post, text="a")
    Comment.objects.create(content_object=photo, text="b")
    Comment.objects.create(content_object=photo, text="c")
    comments = list(Comment.objects.order_by("text").prefetch_related("content_object__comments"))
    with orm.capture_queries() as queries:
        got = [(c.text, sorted(x.text for x in c.content_object.comments.all())) for c in comments]
    assert got == [("a", ["a"]), ("b", ["b", "c"]), ("c", ["b", "c"])]
    assert len(queries) == 0


def test_prefetch_with_iterator_chunks(ct_db):
    posts = [Post.objects.create(title=f"p{i}") for i in range(5)]
    for post in posts:
        Comment.objects.create(content_object=post, text=post.title)
    seen = []
    with orm.capture_queries() as queries:
        for post in Post.objects.order_by("pk").prefetch_related("comments").iterator(chunk_size=2):
            seen.append([c.text for c in post.comments.all()])
    assert seen == [[p.title] for p in posts]
    assert len(queries) <= 7



def test_prefetch_back_through_mixed_targets_with_integer_and_uuid_keys(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    user = User.objects.create(name="u")
    Tag.objects.create(content_object=post, name="on post")
    Tag.objects.create(content_object=photo, name="on photo")
    for target in (post, photo, user):
        Comment.objects.create(content_object=target, text=type(target).__name__)
    tags = list(Tag.objects.order_by("name").prefetch_related("content_object__tags", "content_object__comments"))
    with orm.capture_queries() as queries:
        got = [(t.name, [x.name for x in t.content_object.tags.all()], [c.text for c in t.content_object.comments.all()]) for t in tags]
        assert all(c.content_object is t.content_object for t in tags for c in t.content_object.comments.all())
    assert got == [("on photo", ["on photo"], ["Photo"]), ("on post", ["on post"], ["Post"])]
    assert len(queries) == 0
    comments = list(Comment.objects.order_by("text").prefetch_related("content_object__comments"))
    with orm.capture_queries() as queries:
        assert [[c.text for c in x.content_object.comments.all()] for x in comments] == [["Photo"], ["Post"], ["User"]]
    assert len(queries) == 0


def test_prefetch_back_through_a_target_without_the_relation(ct_db):
    post = Post.objects.create(title="p")
    comment = Comment.objects.create(content_object=post, text="x")
    Tag.objects.create(content_object=post, name="a")
    Tag.objects.create(content_object=comment, name="b")
    with pytest.raises(ValueError, match="Comment has no generic relation 'comments'"):
        list(Tag.objects.order_by("name").prefetch_related("content_object__comments"))


def test_generic_relation_async_twins(ct_db):
    import asyncio

    post = Post.objects.create(title="p")
    loose = Tag.objects.create(name="loose")

    async def main():
        made = await post.comments.acreate(text="a")
        again, created = await post.comments.aget_or_create(text="a")
        assert not created and again.pk == made.pk
        _, created = await post.comments.aupdate_or_create(text="b", defaults={"score": 2})
        assert created
        assert await post.comments.acount() == 2
        await post.tags.aadd(loose)
        assert [t.name async for t in post.tags.all()] == ["loose"]
        await post.tags.aremove(loose)
        await post.comments.aclear()
        assert await post.comments.acount() == 0

    asyncio.run(main())
    assert Comment.objects.count() == 0
    assert not Tag.objects.exists()


def test_prefetch_generic_key_to_attr(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="c")
    Comment.objects.create(content_object=post, text="a")
    Comment.objects.create(content_object=photo, text="b")
    comments = list(Comment.objects.order_by("text").prefetch_related(
        orm.Prefetch("content_object", queryset=Post.objects.all(), to_attr="target")
    ))
    with orm.capture_queries() as queries:
        assert [c.target for c in comments] == [post, photo]
    assert len(queries) == 0


def test_generic_relation_subqueries_and_values(ct_db):
    post = Post.objects.create(title="p")
    photo = Photo.objects.create(caption="p")
    Comment.objects.create(content_object=post, text="x", score=1)
    Comment.objects.create(content_object=photo, text="y", score=2)
    assert list(Post.objects.filter(comments__in=Comment.objects.filter(score=1))) == [post]
    assert list(Post.objects.filter(comments__in=Comment.objects.filter(score=2))) == []
    assert list(Comment.objects.filter(post__in=Post.objects.all()).values_list("text", flat=True)) == ["x"]
    assert list(Post.objects.values("comments__text")) == [{"comments__text": "x"}]
    assert list(Photo.objects.values_list("comments__score", flat=True)) == [2]
    assert Post.objects.filter(comments__score__gte=1).count() == 1
