"""Forward and reverse access: lazy loading, assignment, related managers, many-to-many."""

from __future__ import annotations

import pytest

import orm

from .models import ALL, Author, Book, Group, Membership, Profile, Publisher, Tag


@pytest.fixture
def data(setup_models):
    setup_models(*ALL)
    publisher = Publisher.objects.create(name="P")
    ann = Author.objects.create(name="Ann", publisher=publisher)
    bob = Author.objects.create(name="Bob")
    return publisher, ann, bob


def test_foreign_key_loads_lazily_once_and_caches(data):
    _publisher, ann, _bob = data
    Book.objects.create(author=ann, title="One")
    book = Book.objects.get()
    assert book.author_id == ann.pk
    with orm.capture_queries() as first:
        assert book.author.name == "Ann"
    with orm.capture_queries() as second:
        assert book.author.name == "Ann"
    assert len(first) == 1
    assert len(second) == 0
    assert book._state.fields_cache["author"] == ann


def test_setting_the_raw_id_forgets_the_cached_object(data):
    _publisher, ann, bob = data
    book = Book.objects.create(author=ann, title="One")
    assert book.author == ann
    book.author_id = bob.pk
    assert book.author == bob


def test_assigning_wrong_model_raises_type_error_naming_both(data):
    _publisher, ann, _bob = data
    tag = Tag.objects.create(name="t")
    book = Book(title="x")
    with pytest.raises(TypeError) as info:
        book.author = tag
    assert "Book.author" in str(info.value) and "Author" in str(info.value) and "Tag" in str(info.value)


def test_unsaved_related_instance_raises_value_error_on_save(data):
    book = Book(title="x", author=Author(name="new"))
    with pytest.raises(ValueError, match="unsaved"):
        book.save()
    assert Book.objects.count() == 0


def test_related_saved_after_assignment_is_picked_up(data):
    author = Author(name="Late")
    book = Book(title="x", author=author)
    author.save()
    book.save()
    assert Book.objects.get().author_id == author.pk


def test_none_on_non_null_foreign_key_is_allowed_until_save(data):
    book = Book(title="x", author=None)
    assert book.author_id is None
    with pytest.raises(orm.IntegrityError):
        book.save()


def test_reverse_manager_all_filter_count_create(data):
    _publisher, ann, bob = data
    one = ann.books.create(title="One")
    ann.books.create(title="Two", pages=10)
    bob.books.create(title="Three")
    assert [book.title for book in ann.books.all()] == ["One", "Two"]
    assert ann.books.count() == 2
    assert [book.title for book in ann.books.filter(pages=10)] == ["Two"]
    with orm.capture_queries() as queries:
        fetched = ann.books.get(title="One")
        assert fetched.author is ann
    assert len(queries) == 1
    assert fetched == one
    book, created = ann.books.get_or_create(title="One")
    assert not created and book == one


def test_reverse_manager_is_a_subclass_of_the_default_manager_class(data):
    _publisher, ann, _bob = data
    assert isinstance(ann.books, type(Book._default_manager))


def test_default_reverse_name_is_model_set(data):
    _publisher, ann, _bob = data
    Book.objects.create(author=ann, title="x")
    assert hasattr(ann, "reviews")
    assert hasattr(Author, "profile")
    assert hasattr(Author, "membership_set")


def test_add_remove_clear_set_on_nullable_foreign_key(data):
    publisher, ann, bob = data
    carl = Author.objects.create(name="Carl")
    publisher.authors.add(bob)
    assert {a.name for a in publisher.authors.all()} == {"Ann", "Bob"}
    publisher.authors.remove(ann)
    assert [a.name for a in publisher.authors.all()] == ["Bob"]
    assert Author.objects.get(pk=ann.pk).publisher_id is None
    publisher.authors.set([ann, carl])
    assert [a.name for a in publisher.authors.all()] == ["Ann", "Carl"]
    publisher.authors.clear()
    assert publisher.authors.count() == 0


def test_non_nullable_reverse_manager_has_no_remove(data):
    _publisher, ann, _bob = data
    assert not hasattr(ann.books, "remove")
    assert not hasattr(ann.books, "clear")


def test_reverse_manager_of_unsaved_instance_raises(data):
    with pytest.raises(ValueError, match="save it first"):
        list(Author(name="x").books.all())


def test_one_to_one_both_directions(data):
    _publisher, ann, bob = data
    profile = Profile.objects.create(author=ann, bio="hi")
    fresh = Author.objects.get(pk=ann.pk)
    with orm.capture_queries() as queries:
        assert fresh.profile == profile
        assert fresh.profile.author is fresh
    assert len(queries) == 1
    with pytest.raises(Profile.DoesNotExist):
        _ = Author.objects.get(pk=bob.pk).profile
    assert Profile.objects.get().author == ann


def test_many_to_many_add_remove_set_clear_create(data):
    _publisher, ann, _bob = data
    book = Book.objects.create(author=ann, title="B")
    red, blue, green = (Tag.objects.create(name=n) for n in ("red", "blue", "green"))
    book.tags.add(red, blue)
    book.tags.add(red)  # already linked: nothing new
    assert [t.name for t in book.tags.all()] == ["blue", "red"]
    assert [b.title for b in red.books.all()] == ["B"]
    book.tags.remove(blue)
    assert [t.name for t in book.tags.all()] == ["red"]
    book.tags.set([green, blue])
    assert [t.name for t in book.tags.all()] == ["blue", "green"]
    created = book.tags.create(name="pink")
    assert created.pk is not None and book.tags.count() == 3
    green.books.clear()
    assert [t.name for t in book.tags.all()] == ["blue", "pink"]
    book.tags.clear()
    assert book.tags.count() == 0
    assert Book.tags.through._meta.auto_created


def test_many_to_many_rejects_wrong_model(data):
    _publisher, ann, bob = data
    book = Book.objects.create(author=ann, title="B")
    with pytest.raises(TypeError, match="Tag"):
        book.tags.add(bob)


def test_m2m_changed_signals_carry_pk_sets(data):
    _publisher, ann, _bob = data
    book = Book.objects.create(author=ann, title="B")
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    seen = []

    def receiver(sender, action, instance, pk_set, **kwargs):
        seen.append((action, instance, pk_set))

    orm.m2m_changed.connect(receiver, sender=Book.tags.through)
    try:
        book.tags.add(red, blue)
        book.tags.remove(red)
        book.tags.clear()
    finally:
        orm.m2m_changed.disconnect(receiver, sender=Book.tags.through)
    assert seen == [
        ("pre_add", book, {red.pk, blue.pk}),
        ("post_add", book, {red.pk, blue.pk}),
        ("pre_remove", book, {red.pk}),
        ("post_remove", book, {red.pk}),
        ("pre_clear", book, None),
        ("post_clear", book, None),
    ]


def test_through_model_with_through_defaults(data):
    _publisher, ann, bob = data
    group = Group.objects.create(name="G")
    group.members.add(ann, through_defaults={"role": "chair"})
    group.members.add(bob)
    assert {(m.author.name, m.role) for m in Membership.objects.all()} == {("Ann", "chair"), ("Bob", "member")}
    assert [g.name for g in ann.member_groups.all()] == ["G"]
    assert list(Group.objects.filter(members__name="Bob")) == [group]
    group.members.remove(ann)
    assert [a.name for a in group.members.all()] == ["Bob"]


def test_association_proxy_single_and_collection(data):
    _publisher, ann, _bob = data
    book = Book.objects.create(author=ann, title="B")
    book.tags.add(Tag.objects.create(name="x"), Tag.objects.create(name="a"))
    assert book.author_name == "Ann"
    assert book.tag_names == ["a", "x"]
    assert Book(title="none").author_name is None


class Person(orm.Model):
    name = orm.CharField(max_length=20)
    friends = orm.ManyToManyField("self", blank=True)
    follows = orm.ManyToManyField("self", symmetrical=False, related_name="followers", blank=True)

    class Meta:
        app_label = "assoc_people"
        ordering = ["name"]


def test_self_many_to_many_is_symmetrical_by_default(setup_models):
    setup_models(Person)
    ann, bob, cid = (Person.objects.create(name=n) for n in ("ann", "bob", "cid"))
    ann.friends.add(bob, cid)
    assert [p.name for p in bob.friends.all()] == ["ann"]
    assert [p.name for p in ann.friends.all()] == ["bob", "cid"]
    bob.friends.remove(ann)
    assert [p.name for p in ann.friends.all()] == ["cid"]
    cid.friends.clear()
    assert ann.friends.count() == 0
    ann.follows.add(bob)
    assert list(bob.follows.all()) == [] and [p.name for p in bob.followers.all()] == ["ann"]


def test_deferred_foreign_key_column_loads_on_access(data):
    _publisher, ann, _bob = data
    Book.objects.create(author=ann, title="One")
    book = Book.objects.defer("author").get()
    assert book.author == ann
