"""``bulk_update`` of foreign keys (PostgreSQL types each CASE branch: the key takes its target's type)."""

from __future__ import annotations

from .models import ALL, Author, Book, Publisher


def test_bulk_update_moves_books_and_authors(setup_models):
    setup_models(*ALL)
    ann, bob = Author.objects.create(name="ann"), Author.objects.create(name="bob")
    house = Publisher.objects.create(name="house")
    books = [Book.objects.create(author=ann, title=f"b{i}", pages=i) for i in range(4)]
    for book in books[::2]:
        book.author = bob
        book.pages += 100
    assert Book.objects.bulk_update(books, ["author", "pages"], batch_size=3) == 4
    assert list(Book.objects.order_by("title").values_list("author__name", "pages")) == [
        ("bob", 100), ("ann", 1), ("bob", 102), ("ann", 3),
    ]
    ann.publisher, bob.publisher = house, None
    assert Author.objects.bulk_update([ann, bob], ["publisher"]) == 2
    assert dict(Author.objects.values_list("name", "publisher__name")) == {"ann": "house", "bob": None}
