"""``iterator()`` while other queries run on the same connection (lazy loads, prefetch, nesting).

MySQL cannot send a statement while an unbuffered result is open; the stream
then reads its remaining rows first. No backend may drop rows.
"""

from __future__ import annotations

import warnings

import pytest

from .models import ALL, Author, Book, Tag


@pytest.fixture
def shelf(setup_models):
    setup_models(*ALL)
    tags = [Tag.objects.create(name=f"tag{i}") for i in range(3)]
    authors = Author.objects.bulk_create([Author(name=f"author{i}") for i in range(7)])
    books = Book.objects.bulk_create(
        [Book(author=author, title=f"{author.name}-{n}") for author in authors for n in range(3)]
    )
    for index, book in enumerate(books):
        book.tags.add(tags[index % 3])
    return sorted(book.title for book in books)


def test_lazy_loads_inside_an_iterator_lose_no_rows(shelf):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seen = [(book.title, book.author.name) for book in Book.objects.order_by("title").iterator(chunk_size=2)]
    assert [title for title, _ in seen] == shelf
    assert all(title.startswith(name) for title, name in seen)


def test_prefetch_with_an_iterator_loses_no_rows(shelf):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        books = list(Book.objects.prefetch_related("tags").order_by("title").iterator(chunk_size=4))
    assert [book.title for book in books] == shelf
    assert all(len(book.tags.all()) == 1 for book in books)


def test_nested_iterators_and_writes_inside_one(shelf):
    pairs = []
    for author in Author.objects.order_by("name").iterator(chunk_size=3):
        titles = [book.title for book in Book.objects.filter(author=author).order_by("title").iterator(chunk_size=1)]
        pairs.append((author.name, titles))
        Author.objects.filter(pk=author.pk).update(name=author.name.upper())
    assert [name for name, _ in pairs] == [f"author{i}" for i in range(7)]
    assert all(len(titles) == 3 for _, titles in pairs)
    assert sorted(Author.objects.values_list("name", flat=True)) == [f"AUTHOR{i}" for i in range(7)]


def test_breaking_out_of_an_iterator_leaves_the_connection_usable(shelf):
    for book in Book.objects.order_by("title").iterator(chunk_size=2):
        book.author  # noqa: B018 - a query while the stream is open
        break
    assert Book.objects.count() == len(shelf)
