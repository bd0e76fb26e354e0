"""An aggregate's ``filter=`` reuses the join of the relation it aggregates (as in Django)."""

from __future__ import annotations

import orm

from .models import Author, Book, Publisher, Tag


def test_filtered_count_over_a_reverse_foreign_key_counts_each_row_once(setup_models):
    setup_models(Publisher, Author, Tag, Book)
    ada = Author.objects.create(name="Ada")
    Author.objects.create(name="Bob")
    for title, pages in [("a", 10), ("b", 300), ("c", 400)]:
        Book.objects.create(author=ada, title=title, pages=pages)
    counted = Author.objects.annotate(
        books_count=orm.Count("books"),
        long_books=orm.Count("books", filter=orm.Q(books__pages__gte=200)),
    )
    assert [(a.name, a.books_count, a.long_books) for a in counted] == [("Ada", 3, 2), ("Bob", 0, 0)]
    alone = Author.objects.annotate(long_books=orm.Count("books", filter=orm.Q(books__pages__gte=200)))
    assert alone.get(name="Ada").long_books == 2
