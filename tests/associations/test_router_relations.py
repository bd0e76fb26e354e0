"""Relating objects of different databases: refused unless a router allows it (as Django)."""

from __future__ import annotations

import pytest

import orm

from .conftest import create_tables
from .models import ALL, Author, Book, Tag


class AllowEverything:
    def allow_relation(self, obj1, obj2, **hints):
        return True


@pytest.fixture
def two_databases(setup_models, new_db_url):
    default = setup_models(*ALL)
    other = new_db_url()
    create_tables(other, ALL)
    orm.configure(apps=[], databases={"default": default, "other": other})
    here = Author.objects.create(name="here")
    there = Author.objects.using("other").create(name="there")
    return here, there


def test_assigning_or_adding_across_databases_is_refused(two_databases):
    here, there = two_databases
    book = Book.objects.using("other").create(author=there, title="b")
    with pytest.raises(ValueError, match="router prevents this relation"):
        book.author = here
    assert book.author_id == there.pk  # unchanged
    with pytest.raises(ValueError, match="router prevents this relation"):
        there.books.add(Book.objects.create(author=here, title="local"))
    tag_here = Tag.objects.create(name="t")
    with pytest.raises(ValueError, match="router prevents this relation"):
        book.tags.add(tag_here)
    # Same database, and unsaved objects, are fine.
    book.author = Author.objects.using("other").create(name="also there")
    Book(title="new").author = here


def test_a_router_may_allow_it(two_databases):
    here, there = two_databases
    orm.configure(
        apps=[], databases=dict(orm.connections.urls), routers=[AllowEverything()]
    )
    book = Book.objects.using("other").create(author=there, title="b")
    book.author = here
    assert book.author_id == here.pk
