"""GenericRelation: the related manager, joins, aggregates, prefetch and several databases."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from contenttypes import ContentType

from .conftest import create_tables
from .models import Comment, Photo, Post, Tag, User


def test_related_manager_all_create_add_remove_clear_count(ct_db):
    post, photo = Post.objects.create(title="p"), Photo.objects.create(caption="c")
    first = post.comments.create(text="first")
    assert first.content_object == post
    second = Comment.objects.create(content_object=photo, text="moved later")
    post.comments.add(second)
    assert Comment.objects.get(pk=second.pk).content_object == post
    third = Comment(text="unsaved until add")
    post.comments.add(third, bulk=False)
    assert third.pk is not None
    assert post.comments.count() == 3
    assert sorted(c.text for c in post.comments.all()) == ["first", "moved later", "unsaved until add"]
    assert list(post.comments.filter(text="first")) == [first]
    assert photo.comments.count() == 0
    post.comments.remove(first)
    assert not Comment.objects.filter(pk=first.pk).exists()  # a generic row cannot point nowhere
    obj, created = post.comments.get_or_create(text="again")
    assert created and obj.content_object == post
    post.comments.set([obj])
    assert list(post.comments.all()) == [obj]
    post.comments.clear()
    assert post.comments.count() == 0
    with pytest.raises(TypeError, match="expected Comment instances"):
        post.comments.add(photo)
    with pytest.raises(ValueError, match="unsaved"):
        post.comments.add(Comment(text="x"))
    with pytest.raises(TypeError, match="direct assignment"):
        post.comments = []


def test_rows_read_through_the_manager_know_their_target(ct_db):
    post = Post.objects.create(title="p")
    post.comments.create(text="a")
    with orm.capture_queries() as queries:
        comments = list(post.comments.all())
        assert comments[0].content_object is post
    assert len(queries) == 1


def test_joins_across_the_relation_both_ways(ct_db):
    post, other = Post.objects.create(title="python"), Post.objects.create(title="rust")
    photo = Photo.objects.create(caption="python")
    Comment.objects.create(content_object=post, text="great x")
    Comment.objects.create(content_object=post, text="more x")
    Comment.objects.create(content_object=other, text="nothing")
    # Same object id as ``post`` but another content type: must not leak into Post's joins.
    assert photo.pk == post.pk
    Comment.objects.create(content_object=photo, text="x on photo")
    assert list(Post.objects.filter(comments__text__contains="x").distinct()) == [post]
    assert list(Photo.objects.filter(comments__text__contains="x")) == [photo]
    assert list(Post.objects.filter(comments__isnull=True)) == []
    assert sorted(c.text for c in Comment.objects.filter(post__title="python")) == ["great x", "more x"]
    assert [c.text for c in Comment.objects.filter(photo__caption="python")] == ["x on photo"]
    assert list(Post.objects.exclude(comments__text__contains="x")) == [other]


def test_annotate_and_aggregate_across_the_relation(ct_db):
    post, other = Post.objects.create(title="a"), Post.objects.create(title="b")
    photo = Photo.objects.create(caption="c")
    for score in (1, 2, 3):
        Comment.objects.create(content_object=post, text="t", score=score)
    Comment.objects.create(content_object=photo, text="t", score=10)
    counted = dict(Post.objects.annotate(n=orm.Count("comments")).values_list("title", "n"))
    assert counted == {"a": 3, "b": 0}
    summed = dict(Post.objects.annotate(total=orm.Sum("comments__score")).values_list("title", "total"))
    assert summed == {"a": 6, "b": None}
    assert Post.objects.aggregate(n=orm.Count("comments"))["n"] == 3
    assert list(Post.objects.annotate(n=orm.Count("comments")).filter(n=0)) == [other]


def test_prefetch_through_the_relation_is_one_query(ct_db):
    posts = [Post.objects.create(title=str(i)) for i in range(4)]
    for index, post in enumerate(posts):
        for number in range(index):
            post.comments.create(text=f"{index}-{number}")
    Comment.objects.create(content_object=Photo.objects.create(caption="same ids, other type"), text="no")
    ContentType.objects.get_for_model(Post)
    with orm.capture_queries() as queries:
        loaded = list(Post.objects.order_by("pk").prefetch_related("comments"))
    assert len(queries) == 2
    with orm.capture_queries() as queries:
        assert [sorted(c.text for c in post.comments.all()) for post in loaded] == [
            [], ["1-0"], ["2-0", "2-1"], ["3-0", "3-1", "3-2"]
        ]
        assert all(c.content_object is post for post in loaded for c in post.comments.all())
    assert len(queries) == 0


def test_prefetch_through_the_relation_with_uuid_keys(ct_db):
    users = [User.objects.create(name=str(i)) for i in range(3)]
    users[1].comments.create(text="one")
    users[2].likes.create()
    with orm.capture_queries() as queries:
        loaded = {u.pk: u for u in User.objects.prefetch_related("comments", "likes")}
        assert [c.text for c in loaded[users[1].pk].comments.all()] == ["one"]
        assert loaded[users[2].pk].likes.count() == 1
        assert loaded[users[0].pk].comments.count() == 0
    assert len(queries) == 3


def test_works_across_databases_with_using(ct_db, new_db_url):
    other = new_db_url()
    orm.configure(apps=["contenttypes"], databases={"default": ct_db, "other": other})
    create_tables(ContentType, Comment, Tag, Post, Photo, using="other")
    Photo.objects.create(caption="shifts ids on default")
    ContentType.objects.get_for_model(Photo)
    post = Post(title="elsewhere")
    post.save(using="other")
    comment = Comment(content_object=post, text="on other")
    comment.save(using="other")
    assert comment.content_type_id == ContentType.objects.db_manager("other").get_for_model(Post).pk
    loaded = Comment.objects.using("other").get(pk=comment.pk)
    assert loaded.content_object == post and loaded.content_object._state.db == "other"
    assert list(post.comments.all()) == [loaded]
    assert post.comments.all()[0]._state.db == "other"
    assert Comment.objects.count() == 0
    assert list(Comment.objects.using("other").filter(content_object=post)) == [loaded]
    assert [c.content_object for c in Comment.objects.using("other").prefetch_related("content_object")] == [post]
    post.delete()
    assert Comment.objects.using("other").count() == 0


_posts = st.integers(min_value=1, max_value=4)
_comments = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from(["ab", "b", "xa", "", "bab"]), st.integers(-3, 3)),
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(post_count=_posts, photo_count=_posts, rows=_comments, needle=st.sampled_from(["a", "b", "x", "ab"]))
def test_filters_and_aggregates_match_a_python_oracle(ct_db, post_count, photo_count, rows, needle):
    Comment.objects.all().delete()
    Tag.objects.all().delete()
    Post.objects.all().delete()
    Photo.objects.all().delete()
    posts = [Post.objects.create(title=f"p{i}") for i in range(post_count)]
    photos = [Photo.objects.create(caption=f"c{i}") for i in range(photo_count)]
    targets = posts + photos
    oracle = []
    for index, text, score in rows:
        target = targets[index % len(targets)]
        Comment.objects.create(content_object=target, text=text, score=score)
        Tag.objects.create(content_object=target, name=text)
        oracle.append((target, text, score))

    def on(target):
        return [(text, score) for owner, text, score in oracle if owner == target]

    expected = {p.title for p in posts if any(needle in text for text, _ in on(p))}
    assert {p.title for p in Post.objects.filter(comments__text__contains=needle).distinct()} == expected
    assert {p.title for p in Post.objects.filter(tags__name__contains=needle).distinct()} == expected
    assert {p.title for p in Post.objects.exclude(comments__text__contains=needle)} == {p.title for p in posts} - expected
    counts = dict(Post.objects.annotate(n=orm.Count("comments")).values_list("title", "n"))
    assert counts == {p.title: len(on(p)) for p in posts}
    sums = dict(Photo.objects.annotate(s=orm.Sum("comments__score")).values_list("caption", "s"))
    assert sums == {p.caption: (sum(s for _, s in on(p)) if on(p) else None) for p in photos}
    chosen = targets[::2]
    assert Comment.objects.filter(content_object__in=chosen).count() == sum(len(on(t)) for t in chosen)
    assert Comment.objects.exclude(content_object=targets[0]).count() == len(oracle) - len(on(targets[0]))
    assert Tag.objects.filter(content_object__in=chosen).count() == sum(len(on(t)) for t in chosen)
