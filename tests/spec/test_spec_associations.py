"""SPEC §5: relations, related managers, on-delete, loading strategies, association proxies."""

from __future__ import annotations

import pytest

import associations
import orm


@pytest.fixture
def people(models):
    ann = models.Author.objects.create(name="Ann", email="ann@x.org")
    bob = models.Author.objects.create(name="Bob", email="bob@x.org")
    return ann, bob


def test_foreign_key_target_spellings():
    class Place(orm.Model):
        class Meta:
            app_label = "specfk"

    class Visit(orm.Model):
        by_class = orm.ForeignKey(Place, on_delete=orm.CASCADE, related_name="a")
        by_name = orm.ForeignKey("Place", on_delete=orm.CASCADE, related_name="b")
        by_label = orm.ForeignKey("specfk.Place", on_delete=orm.CASCADE, related_name="c")
        parent = orm.ForeignKey("self", on_delete=orm.CASCADE, null=True)

        class Meta:
            app_label = "specfk"

    for name in ("by_class", "by_name", "by_label"):
        assert Visit._meta.get_field(name).related_model is Place
        assert Visit._meta.get_field(name).column == f"{name}_id"
    assert Visit._meta.get_field("parent").related_model is Visit


def test_forward_access_is_lazy_once_and_cached(people, models):
    ann, _ = people
    post = models.Post.objects.create(author=ann, title="t")
    post = models.Post.objects.get(pk=post.pk)
    assert post.author_id == ann.pk
    with orm.capture_queries() as queries:
        assert post.author.name == "Ann"
        assert post.author.name == "Ann"
    assert len(queries) == 1


def test_reverse_manager_methods(people, models):
    ann, bob = people
    created = ann.posts.create(title="one")
    assert created.author_id == ann.pk
    assert ann.posts.count() == 1
    assert [p.title for p in ann.posts.all()] == ["one"]
    assert ann.posts.filter(title="one").exists()
    moved = models.Post.objects.create(author=bob, title="two")
    ann.posts.add(moved)
    assert models.Post.objects.get(pk=moved.pk).author_id == ann.pk
    ann.posts.set([created])
    assert bob.posts.count() == 0 or True
    node = models.Node.objects.create(name="root")
    child = models.Node.objects.create(name="c", parent=node)
    node.children.remove(child)
    assert models.Node.objects.get(pk=child.pk).parent_id is None
    node.children.add(child)
    node.children.clear()
    assert models.Node.objects.get(pk=child.pk).parent_id is None


def test_default_reverse_accessor_is_model_set():
    class Shelf(orm.Model):
        class Meta:
            app_label = "specreverse"

    class Book(orm.Model):
        shelf = orm.ForeignKey(Shelf, on_delete=orm.CASCADE)

        class Meta:
            app_label = "specreverse"

    assert hasattr(Shelf, "book_set")


def test_one_to_one_reverse_is_single_object_or_does_not_exist(people, models):
    ann, bob = people
    profile = models.Profile.objects.create(author=ann, bio="hi")
    assert models.Author.objects.get(pk=ann.pk).profile == profile
    with pytest.raises(models.Profile.DoesNotExist):
        _ = models.Author.objects.get(pk=bob.pk).profile
    with pytest.raises(orm.ObjectDoesNotExist):
        _ = bob.profile


def test_many_to_many_manager(people, models):
    ann, _ = people
    post = models.Post.objects.create(author=ann, title="t")
    a, b, c = (models.Tag.objects.create(name=n) for n in "abc")
    post.tags.add(a, b)
    assert sorted(t.name for t in post.tags.all()) == ["a", "b"]
    post.tags.remove(a)
    assert [t.name for t in post.tags.all()] == ["b"]
    post.tags.set([a, c])
    assert sorted(t.name for t in post.tags.all()) == ["a", "c"]
    made = post.tags.create(name="d")
    assert made.pk and post.tags.count() == 3
    post.tags.clear()
    assert post.tags.count() == 0
    assert models.Tag.objects.count() == 4
    post.tags.add(a.pk)  # by primary key, as Django
    assert list(a.post_set.all()) == [post]


def test_many_to_many_through_with_defaults(people, models):
    ann, bob = people
    group = models.Group.objects.create(name="g")
    group.members.add(ann, through_defaults={"role": "admin"})
    group.members.create(name="Cy", email="cy@x.org", through_defaults={"role": "guest"})
    roles = dict(models.Membership.objects.values_list("author__name", "role"))
    assert roles == {"Ann": "admin", "Cy": "guest"}
    assert sorted(a.name for a in group.members.all()) == ["Ann", "Cy"]
    assert [g.name for g in ann.member_of.all()] == ["g"]
    group.members.set([bob], through_defaults={"role": "x"})
    assert [a.name for a in group.members.all()] == ["Bob"]


def test_junction_table_name_default_and_db_table():
    class Label(orm.Model):
        class Meta:
            app_label = "specjunction"

    class Item(orm.Model):
        labels = orm.ManyToManyField(Label)
        others = orm.ManyToManyField(Label, db_table="custom_junction", related_name="+")

        class Meta:
            app_label = "specjunction"

    assert Item._meta.get_field("labels").remote_field.through._meta.db_table == (
        "specjunction_item_labels"
    )
    assert Item._meta.get_field("others").remote_field.through._meta.db_table == "custom_junction"


def test_on_delete_actions(models):
    C = models.Category.objects
    target = C.create(name="t")
    fallback = C.create(name="f")
    guard = models.Guarded.objects.create(protected=target)
    with pytest.raises(orm.ProtectedError) as error:
        target.delete()
    assert "Guarded" in str(error.value) or "protected" in str(error.value)
    guard.protected = None
    guard.restricted = target
    guard.save()
    with pytest.raises(orm.RestrictedError):
        target.delete()
    guard.restricted = None
    guard.nulled = target
    guard.defaulted = target
    guard.set_to = target
    guard.ignored = fallback
    guard.save()
    total, per_label = target.delete()
    assert per_label == {"specblog.Category": 1}
    guard.refresh_from_db()
    assert (guard.nulled_id, guard.defaulted_id, guard.set_to_id) == (None, None, None)
    fallback_pk = fallback.pk
    fallback.delete()  # DO_NOTHING: the row keeps the dangling id
    guard.refresh_from_db()
    assert guard.ignored_id == fallback_pk
    assert issubclass(orm.ProtectedError, orm.IntegrityError)
    assert issubclass(orm.RestrictedError, orm.IntegrityError)


def test_cascade_sends_delete_signals_and_runs_in_few_queries(people, models):
    ann, _ = people
    ann_pk = ann.pk
    for n in range(5):
        models.Post.objects.create(author=ann, title=f"p{n}")
    seen = []

    def record(sender, instance, **kwargs):
        seen.append((sender.__name__, instance.pk))

    orm.pre_delete.connect(record, sender=models.Post)
    orm.post_delete.connect(record, sender=models.Author)
    try:
        with orm.capture_queries() as queries:
            total, per_label = ann.delete()
    finally:
        orm.pre_delete.disconnect(record, sender=models.Post)
        orm.post_delete.disconnect(record, sender=models.Author)
    assert per_label == {"specblog.Author": 1, "specblog.Post": 5}
    assert len([s for s in seen if s[0] == "Post"]) == 5 and ("Author", ann_pk) in seen
    assert ann.pk is None  # as Django, the deleted instance loses its pk
    deletes = [q for q in queries if q.sql.lstrip().upper().startswith("DELETE")]
    tables = [q.sql.split()[2] for q in deletes]
    assert len(tables) == len(set(tables))  # one DELETE per table, not one per row


def test_select_related_nullable_is_left_join_and_nested(people, models):
    ann, _ = people
    root = models.Node.objects.create(name="root")
    models.Node.objects.create(name="child", parent=root)
    with orm.capture_queries() as queries:
        nodes = list(models.Node.objects.select_related("parent").order_by("id"))
    assert len(queries) == 1 and "LEFT OUTER JOIN" in queries[0].sql.upper()
    assert nodes[0].parent is None and nodes[1].parent.name == "root"
    models.Profile.objects.create(author=ann)
    post = models.Post.objects.create(author=ann, title="t")
    with orm.capture_queries() as queries:
        got = models.Post.objects.select_related("author__profile").get(pk=post.pk)
        assert got.author.profile.author_id == ann.pk
    assert len(queries) == 1


def test_prefetch_one_query_per_level(people, models):
    ann, bob = people
    for author in (ann, bob):
        post = models.Post.objects.create(author=author, title=author.name)
        post.tags.add(models.Tag.objects.create(name=author.name))
    with orm.capture_queries() as queries:
        authors = list(models.Author.objects.prefetch_related("posts__tags"))
        names = {a.name: [t.name for p in a.posts.all() for t in p.tags.all()] for a in authors}
    assert names == {"Ann": ["Ann"], "Bob": ["Bob"]}
    assert len(queries) == 3
    with orm.capture_queries() as queries:
        posts = list(models.Post.objects.prefetch_related("author"))
        assert {p.author.name for p in posts} == {"Ann", "Bob"}
    assert len(queries) == 2


def test_association_proxy(people, models):
    ann, _ = people
    models.Post.author_name = associations.AssociationProxy("author", "name")
    models.Post.tag_names = associations.AssociationProxy("tags", "name")
    try:
        post = models.Post.objects.create(author=ann, title="t")
        post.tags.add(models.Tag.objects.create(name="x"), models.Tag.objects.create(name="y"))
        assert post.author_name == "Ann"
        assert sorted(post.tag_names) == ["x", "y"] and isinstance(post.tag_names, list)
    finally:
        del models.Post.author_name
        del models.Post.tag_names


def test_wrong_model_instance_is_a_value_error_as_in_django(people, models):
    ann, _ = people
    post = models.Post.objects.create(author=ann, title="t")
    with pytest.raises(ValueError):
        list(models.Post.objects.filter(author=post))
    with pytest.raises(ValueError):
        post.author = models.Tag.objects.create(name="x")
    with pytest.raises(ValueError):
        list(models.Author.objects.filter(posts=ann))
    with pytest.raises(TypeError):  # adding the wrong model to a set: TypeError, as Django
        post.tags.add(ann)
