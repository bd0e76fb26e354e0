"""Association behaviours found by probing on every backend (helper P1's round)."""

from __future__ import annotations

import orm

from .models import ALL, Author, Book, Tag


def test_m2m_add_of_linked_objects_sends_signals_with_an_empty_pk_set(setup_models):
    setup_models(*ALL)
    book = Book.objects.create(author=Author.objects.create(name="Ann"), title="One")
    tag = Tag.objects.create(name="x")
    book.tags.add(tag)
    sent = []

    def receiver(sender, action, pk_set, **kwargs):
        sent.append((action, pk_set))

    orm.m2m_changed.connect(receiver, sender=Book.tags.through)
    try:
        book.tags.add(tag)
        book.tags.add()
    finally:
        orm.m2m_changed.disconnect(receiver, sender=Book.tags.through)
    assert sent == [("pre_add", set()), ("post_add", set())]
    assert book.tags.count() == 1


def test_delete_signals_name_their_origin(setup_models):
    setup_models(*ALL)
    ann = Author.objects.create(name="Ann")
    Book.objects.create(author=ann, title="One")
    bob = Author.objects.create(name="Bob")
    origins = []

    def receiver(sender, instance, origin, **kwargs):
        origins.append((sender.__name__, origin))

    orm.pre_delete.connect(receiver)
    try:
        bob.delete()
        queryset = Author.objects.filter(name="Ann")
        queryset.delete()
    finally:
        orm.pre_delete.disconnect(receiver)
    assert origins[0] == ("Author", bob)
    assert {sender for sender, _ in origins[1:]} == {"Author", "Book"}
    assert all(isinstance(origin, orm.QuerySet) and origin.model is Author for _, origin in origins[1:])
