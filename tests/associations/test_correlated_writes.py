"""Updates and deletes whose filters read the table they change (correlated subqueries).

Each statement must act on the rows as they were when it started: SQLite and
MySQL check such a condition row by row while changing the rows, and a delete's
cascade nests the filtered query inside another.
"""

from __future__ import annotations

import pytest

from orm import Exists, OuterRef

from .models import ALL, Author, Book, Tag


@pytest.fixture
def shelf(setup_models):
    setup_models(*ALL)
    tag = Tag.objects.create(name="t")
    ann, bob = Author.objects.create(name="ann"), Author.objects.create(name="bob")
    for author, pages in ((ann, 10), (ann, 20), (ann, 30), (bob, 40), (bob, 1)):
        book = Book.objects.create(author=author, title=f"{author.name}-{pages}", pages=pages)
        book.tags.add(tag)


def with_a_long_sibling():
    """Books whose author has another book of more than 5 pages."""
    sibling = Book.objects.filter(author=OuterRef("author"), pages__gt=5).exclude(pk=OuterRef("pk"))
    return Book.objects.filter(Exists(sibling))


def test_update_reads_the_rows_as_they_were(shelf):
    expected = sorted(with_a_long_sibling().values_list("title", flat=True))
    assert expected == ["ann-10", "ann-20", "ann-30", "bob-1"]
    # Setting pages to 1 row by row would take the later rows' siblings away.
    assert with_a_long_sibling().update(pages=1) == 4
    assert sorted(Book.objects.filter(pages=1).values_list("title", flat=True)) == expected


def test_delete_with_a_correlated_filter_and_a_cascade(shelf):
    deleted, per_model = with_a_long_sibling().delete()
    assert per_model == {"assoc.Book": 4, "assoc.Book_tags": 4}
    assert deleted == 8
    assert list(Book.objects.values_list("title", flat=True)) == ["bob-40"]
    assert list(Book.tags.through.objects.values_list("book__title", flat=True)) == ["bob-40"]


def test_a_correlated_queryset_nested_in_another(shelf):
    inner = with_a_long_sibling().values("pk")
    titles = Book.objects.filter(pk__in=inner).values_list("title", flat=True)
    assert sorted(titles) == ["ann-10", "ann-20", "ann-30", "bob-1"]
    authors = Author.objects.filter(books__in=with_a_long_sibling().filter(pages__lt=15)).distinct()
    assert sorted(authors.values_list("name", flat=True)) == ["ann", "bob"]
