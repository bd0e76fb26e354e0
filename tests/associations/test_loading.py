"""Eager loading: select_related (one JOIN query) and prefetch_related (one query per level)."""

from __future__ import annotations

import pytest

import orm
from associations import Prefetch, prefetch_related_objects

from .models import ALL, Author, Book, Profile, Publisher, Tag


@pytest.fixture
def library(setup_models):
    """100 authors with two books each; each book has two of five tags."""
    setup_models(*ALL)
    publisher = Publisher.objects.create(name="P")
    tags = [Tag.objects.create(name=f"tag{i}") for i in range(5)]
    authors = Author.objects.bulk_create(
        [Author(name=f"author{i:03}", publisher=publisher if i % 2 else None) for i in range(100)]
    )
    books = Book.objects.bulk_create(
        [Book(author=author, title=f"{author.name}-{n}") for author in authors for n in range(2)]
    )
    through = Book.tags.through
    through.objects.bulk_create(
        [through(book_id=book.pk, tag_id=tags[(index + k) % 5].pk) for index, book in enumerate(books) for k in range(2)]
    )
    return authors, books, tags


def test_select_related_over_100_rows_is_one_query(library):
    with orm.capture_queries() as queries:
        books = list(Book.objects.select_related("author"))
        names = {book.author.name for book in books}
    assert len(books) == 200 and len(names) == 100
    assert len(queries) == 1


def test_select_related_nested_and_nullable_uses_left_join(library):
    with orm.capture_queries() as queries:
        books = list(Book.objects.select_related("author__publisher"))
        with_publisher = [book for book in books if book.author.publisher is not None]
    assert len(queries) == 1
    assert "LEFT OUTER JOIN" in queries[0].sql
    assert len(with_publisher) == 100 and len(books) == 200


def test_select_related_reverse_one_to_one(library):
    authors, _books, _tags = library
    Profile.objects.create(author=authors[0], bio="first")
    with orm.capture_queries() as queries:
        found = Author.objects.select_related("profile").get(pk=authors[0].pk)
        assert found.profile.bio == "first"
        assert found.profile.author is found
    assert len(queries) == 1


def test_prefetch_books_and_tags_over_100_authors_is_three_queries(library):
    with orm.capture_queries() as queries:
        authors = list(Author.objects.prefetch_related("books__tags"))
        tag_count = sum(len(book.tags.all()) for author in authors for book in author.books.all())
    assert len(authors) == 100
    assert tag_count == 400
    assert len(queries) == 3


def test_prefetched_values_match_lazy_values(library):
    lazy = {a.name: sorted((b.title, tuple(t.name for t in b.tags.all())) for b in a.books.all()) for a in Author.objects.all()}
    eager = {
        a.name: sorted((b.title, tuple(t.name for t in b.tags.all())) for b in a.books.all())
        for a in Author.objects.prefetch_related("books__tags")
    }
    assert lazy == eager


def test_prefetch_forward_foreign_key_and_reverse_many_to_many(library):
    with orm.capture_queries() as queries:
        books = list(Book.objects.prefetch_related("author"))
        assert len({book.author.pk for book in books}) == 100
        tags = list(Tag.objects.prefetch_related("books"))
        assert sum(tag.books.count() for tag in tags) == 400
    assert len(queries) == 4


def test_prefetch_one_to_one_reverse(library):
    authors, _books, _tags = library
    Profile.objects.create(author=authors[1], bio="b")
    with orm.capture_queries() as queries:
        loaded = list(Author.objects.prefetch_related("profile"))
        bios = []
        for author in loaded:
            try:
                bios.append(author.profile.bio)
            except Profile.DoesNotExist:
                pass
    assert bios == ["b"]
    assert len(queries) == 2


def test_prefetch_object_with_queryset_and_to_attr(library):
    with orm.capture_queries() as queries:
        authors = list(
            Author.objects.prefetch_related(
                Prefetch("books", queryset=Book.objects.filter(title__endswith="-1"), to_attr="second_books")
            )
        )
    assert len(queries) == 2
    assert all(len(author.second_books) == 1 for author in authors)
    assert authors[0].second_books[0].title == "author000-1"


def test_filter_on_a_prefetched_manager_runs_a_query(library):
    authors = list(Author.objects.prefetch_related("books"))
    with orm.capture_queries() as queries:
        assert len(authors[0].books.all()) == 2
    assert len(queries) == 0
    with orm.capture_queries() as queries:
        assert [b.title for b in authors[0].books.filter(title__endswith="-0")] == ["author000-0"]
    assert len(queries) == 1


def test_prefetch_related_objects_on_a_list(library):
    books = list(Book.objects.all()[:10])
    with orm.capture_queries() as queries:
        prefetch_related_objects(books, "author", "tags")
    assert len(queries) == 2
    with orm.capture_queries() as queries:
        for book in books:
            _ = book.author.name
            _ = list(book.tags.all())
    assert len(queries) == 0


def test_prefetch_unknown_lookup_raises(library):
    with pytest.raises(AttributeError, match="nope"):
        list(Author.objects.prefetch_related("nope"))
