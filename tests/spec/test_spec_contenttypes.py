"""SPEC §7: content types and generic relations, on every backend."""

from __future__ import annotations

import pytest

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation


@pytest.fixture
def blog(models):
    ann = models.Author.objects.create(name="Ann", email="ann@x.org")
    post = models.Post.objects.create(author=ann, title="t")
    other = models.Post.objects.create(author=ann, title="u")
    photo = models.Photo.objects.create(caption="p")
    return models, post, other, photo


def test_public_names():
    assert GenericForeignKey and GenericRelation
    assert {f.name for f in ContentType._meta.fields} >= {"id", "app_label", "model"}
    unique = [tuple(x) for x in ContentType._meta.unique_together]
    constraints = [tuple(c.fields) for c in ContentType._meta.constraints if hasattr(c, "fields")]
    assert ("app_label", "model") in unique + constraints


def test_rows_exist_for_every_model_after_migrate(models):
    labels = set(ContentType.objects.values_list("app_label", "model"))
    assert {("specblog", "post"), ("specblog", "author"), ("contenttypes", "contenttype")} <= labels


def test_get_for_model_and_id_are_cached(blog):
    models, post, _, _ = blog
    by_class = ContentType.objects.get_for_model(models.Post)
    assert by_class == ContentType.objects.get_for_model(post)
    assert (by_class.app_label, by_class.model) == ("specblog", "post")
    with orm.capture_queries() as queries:
        ContentType.objects.get_for_model(models.Post)
        ContentType.objects.get_for_id(by_class.id)
    assert len(queries) == 0
    assert by_class.model_class() is models.Post
    assert by_class.get_object_for_this_type(title="t") == post


def test_rows_are_created_on_demand(models):
    # Raw SQL: in this test process, other suites' models also point at ContentType.
    connection = orm.connections["default"]
    table = connection.dialect.quote_name(ContentType._meta.db_table)
    connection.execute(f"DELETE FROM {table} WHERE app_label = %s AND model = %s", ["specblog", "tag"])
    ContentType.objects.clear_cache()
    ct = ContentType.objects.get_for_model(models.Tag)
    assert ct.pk is not None and ct.model == "tag"
    assert ContentType.objects.filter(app_label="specblog", model="tag").count() == 1


def test_generic_foreign_key_assignment_and_reading(blog):
    models, post, _, photo = blog
    comment = models.Comment(content_object=post, text="hi")
    assert comment.object_id == post.pk
    assert comment.content_type == ContentType.objects.get_for_model(models.Post)
    comment.save()
    got = models.Comment.objects.get(pk=comment.pk)
    assert got.content_object == post
    got.content_object = photo
    got.save()
    assert models.Comment.objects.get(pk=comment.pk).content_object == photo
    dangling = models.Comment.objects.create(
        content_type=ContentType.objects.get_for_model(models.Photo), object_id=999999, text="x"
    )
    assert models.Comment.objects.get(pk=dangling.pk).content_object is None


def test_generic_relation_manager_join_and_cascade(blog):
    models, post, other, photo = blog
    post.comments.create(text="has x")
    models.Comment.objects.create(content_object=photo, text="x on photo")
    assert [c.text for c in post.comments.all()] == ["has x"]
    assert list(models.Post.objects.filter(comments__text__contains="x")) == [post]
    assert post.comments.count() == 1
    total, per_label = post.delete()
    assert per_label.get("specblog.Comment") == 1
    assert [c.text for c in models.Comment.objects.all()] == ["x on photo"]


def test_prefetch_content_object_one_query_per_type(blog):
    models, post, other, photo = blog
    for target in (post, other, photo, post):
        models.Comment.objects.create(content_object=target, text="c")
    with orm.capture_queries() as queries:
        comments = list(models.Comment.objects.prefetch_related("content_object"))
        targets = [c.content_object for c in comments]
    assert targets == [post, other, photo, post]
    assert len(queries) == 3  # comments, posts, photos


def test_prefetch_generic_relation(blog):
    models, post, other, _ = blog
    post.comments.create(text="a")
    other.comments.create(text="b")
    with orm.capture_queries() as queries:
        posts = list(models.Post.objects.prefetch_related("comments").order_by("id"))
        assert [[c.text for c in p.comments.all()] for p in posts] == [["a"], ["b"]]
    assert len(queries) == 2


def test_filter_on_generic_foreign_key(blog):
    models, post, other, photo = blog
    on_post = models.Comment.objects.create(content_object=post, text="1")
    on_photo = models.Comment.objects.create(content_object=photo, text="2")
    on_other = models.Comment.objects.create(content_object=other, text="3")
    if photo.pk == post.pk:  # same id, other type: must not match
        assert list(models.Comment.objects.filter(content_object=post)) == [on_post]
    assert list(models.Comment.objects.filter(content_object=post)) == [on_post]
    both = models.Comment.objects.filter(content_object__in=[post, photo]).order_by("id")
    assert list(both) == [on_post, on_photo]
    assert list(models.Comment.objects.exclude(content_object=post).order_by("id")) == [
        on_photo, on_other
    ]


def test_contenttypes_prune(tmp_path, db_url):
    """``manouche contenttypes prune``, in a project of its own (a fresh process)."""
    from tests.spec.test_spec_cli import manouche, ok, write

    root = tmp_path / "proj"
    write(root / "pyproject.toml", """\
        [tool.manouche]
        apps = ["notes", "contenttypes"]
        """)
    write(root / "notes" / "__init__.py", "")
    write(root / "notes" / "models.py", """\
        import orm
        from contenttypes import ContentType, GenericForeignKey


        class Remark(orm.Model):
            content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
            object_id = orm.PositiveBigIntegerField()
            content_object = GenericForeignKey("content_type", "object_id")


        class Gone(orm.Model):
            pass
        """)
    url = ["--database-url", db_url]
    ok(manouche(root, "makemigrations"))
    ok(manouche(root, *url, "migrate"))
    import backends

    connection = backends.connect(db_url)
    try:
        row = connection.execute(
            "SELECT id FROM contenttypes_contenttype WHERE app_label = %s AND model = %s",
            ["notes", "gone"],
        ).fetchone()
        assert row is not None  # rows exist for every model after migrate
        connection.execute(
            "INSERT INTO notes_remark (content_type_id, object_id) VALUES (%s, %s)", [row[0], 1]
        )
    finally:
        connection.close()
    write(root / "notes" / "models.py", (root / "notes" / "models.py").read_text().split(
        "class Gone")[0])
    ok(manouche(root, "makemigrations", "--noinput"))
    ok(manouche(root, *url, "migrate"))
    listing = manouche(root, *url, "contenttypes", "prune", input="n\n")
    assert "notes.gone" in listing.stdout
    out = ok(manouche(root, *url, "contenttypes", "prune", "--noinput"))
    assert "notes.gone" in out
    connection = backends.connect(db_url)
    try:
        left = connection.execute(
            "SELECT COUNT(*) FROM contenttypes_contenttype WHERE model = %s", ["gone"]
        ).fetchone()[0]
        remarks = connection.execute("SELECT COUNT(*) FROM notes_remark").fetchone()[0]
    finally:
        connection.close()
    assert (left, remarks) == (0, 0)
