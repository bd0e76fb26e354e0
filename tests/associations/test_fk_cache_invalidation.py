"""A cached ``book.author`` follows ``book.author_id``: the key is a plain attribute, checked at read time."""

from __future__ import annotations

import pytest

import orm
from orm.query.row_factory import _plain_attribute

from .models import ALL, Author, Book, Profile

APP = "assoc_fk_cache"


class Country(orm.Model):
    code = orm.CharField(max_length=2, unique=True)
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class City(orm.Model):
    name = orm.CharField(max_length=30)
    country = orm.ForeignKey(Country, on_delete=orm.CASCADE, to_field="code", null=True, related_name="cities")

    class Meta:
        app_label = APP


@pytest.fixture
def authors(setup_models):
    setup_models(*ALL, Country, City)
    return Author.objects.create(name="Ann"), Author.objects.create(name="Bob")


def test_the_attname_is_not_a_data_descriptor():
    descriptor = Book.__dict__["author_id"]
    assert not hasattr(type(descriptor), "__set__")
    assert _plain_attribute(Book, "author_id")


def test_setting_the_id_then_reading_the_object(authors):
    ann, bob = authors
    book = Book.objects.create(author=ann, title="One")
    assert book.author is ann
    book.author_id = bob.pk
    with orm.capture_queries() as queries:
        assert book.author == bob
    assert len(queries) == 1
    assert book.author.name == "Bob" and Book._meta.get_field("author").is_cached(book)


def test_setting_the_object_then_reading_the_id(authors):
    ann, bob = authors
    book = Book.objects.create(author=ann, title="One")
    book.author = bob
    assert book.author_id == bob.pk and book.author is bob


def test_setting_the_same_id_keeps_the_cache(authors):
    ann, _bob = authors
    book = Book.objects.create(author=ann, title="One")
    book.author_id = ann.pk
    with orm.capture_queries() as queries:
        assert book.author is ann
    assert len(queries) == 0


def test_none_key_and_none_cache(authors):
    ann, bob = authors
    book = Book.objects.create(author=ann, title="One")
    book.author_id = None
    field = Book._meta.get_field("author")
    assert not field.is_cached(book)
    with pytest.raises(Book.author.RelatedObjectDoesNotExist):
        _ = book.author
    book.author = None
    assert book.author_id is None
    book.author_id = bob.pk  # a cached None no longer matches
    assert book.author == bob


def test_an_object_assigned_unsaved_stays_cached_once_saved(authors):
    book = Book(title="Late")
    carl = Author(name="Carl")
    book.author = carl
    assert book.author_id is None
    carl.save()
    assert book.author is carl  # the key is still None, as assigned
    book.save()
    assert book.author_id == carl.pk and book.author is carl
    assert Book.objects.get(pk=book.pk).author_id == carl.pk
    book.author_id = None  # now a change: the object is forgotten
    assert not Book._meta.get_field("author").is_cached(book)


def test_an_unsaved_object_assigned_then_the_id_set(authors):
    _ann, bob = authors
    book = Book(title="Late", author=Author(name="Carl"))
    book.author_id = bob.pk
    assert book.author == bob
    book.save()
    assert Book.objects.get(pk=book.pk).author_id == bob.pk


def test_to_field_compares_the_target_value(authors):
    fr = Country.objects.create(code="FR", name="France")
    de = Country.objects.create(code="DE", name="Germany")
    city = City.objects.create(name="Lyon", country=fr)
    assert city.country_id == "FR"
    city.country_id = "FR"
    with orm.capture_queries() as queries:
        assert city.country is fr
    assert len(queries) == 0
    city.country_id = "DE"
    assert city.country == de
    loaded = City.objects.select_related("country").get()
    loaded.country_id = "DE"
    assert loaded.country == de
    loaded.country_id = None
    assert loaded.country is None


def test_select_related_then_id_changed(authors):
    ann, bob = authors
    Book.objects.create(author=ann, title="One")
    book = Book.objects.select_related("author").get()
    with orm.capture_queries() as queries:
        assert book.author == ann
    assert len(queries) == 0
    book.author_id = bob.pk
    assert book.author == bob


def test_prefetch_then_id_changed(authors):
    ann, bob = authors
    Book.objects.create(author=ann, title="One")
    Book.objects.create(author=ann, title="Two")
    books = list(Book.objects.prefetch_related("author"))
    books[0].author_id = bob.pk
    assert books[0].author == bob and books[1].author == ann
    # A stale entry does not count as fetched: prefetching again loads it.
    orm.prefetch_related_objects(books, "author")
    assert books[0].author == bob


def _book_moved(ann, bob):
    """A saved book by ``ann`` whose cached author was read, then ``author_id`` set to ``bob``'s."""
    book = Book.objects.create(author=ann, title="One")
    assert book.author is ann
    book.author_id = bob.pk
    return book


def test_save_after_changing_the_id(authors):
    ann, bob = authors
    book = _book_moved(ann, bob)
    book.save()
    assert Book.objects.get(pk=book.pk).author_id == bob.pk
    assert book.author == bob


def test_refresh_from_db_after_changing_the_id(authors):
    ann, bob = authors
    book = _book_moved(ann, bob)
    book.refresh_from_db()
    assert book.author_id == ann.pk and book.author == ann
    book.author_id = bob.pk
    book.refresh_from_db(fields=["author"])
    assert book.author == ann


def test_one_to_one_forward_and_reverse(authors):
    ann, bob = authors
    profile = Profile.objects.create(author=ann, bio="a")
    assert ann.profile is profile and profile.author is ann
    profile.author_id = bob.pk
    assert profile.author == bob
    profile.save()
    assert Author.objects.get(pk=bob.pk).profile == profile
    profile.author = ann
    assert profile.author_id == ann.pk and ann.profile is profile
