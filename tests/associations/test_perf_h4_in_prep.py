"""``__in`` lists and tuples of plain values are prepared without the per-item expression check.

The shortcut (``In.get_prep_lookup`` when every item's type is in
``lookups._PLAIN_TYPES``) must prepare exactly what the ordinary loop prepares;
a generator takes the ordinary loop, so it is the oracle here.
"""

from __future__ import annotations

import enum

import pytest

import orm
from orm.query.lookups import plain_values

from .models import ALL, Author, Book


class Pages(enum.IntEnum):
    HUNDRED = 100
    HUNDRED_TWO = 102


class Shout(orm.CharField):
    """Prepares text upper-cased (``get_prep_value``), so preparation shows in the rows found."""

    def get_internal_type(self) -> str:
        return "CharField"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.upper() if isinstance(value, str) else value


class Loud(orm.Model):
    word = Shout(max_length=10)

    class Meta:
        app_label = "assoc_perf_h4_in_prep"


def _library():
    author = Author.objects.create(name="a")
    return [Book.objects.create(author=author, title=f"b{i}", pages=100 + i) for i in range(4)]


def _titles(queryset) -> list[str]:
    return sorted(book.title for book in queryset)


def _prepared(queryset) -> list:
    node = queryset.query.where
    while not hasattr(node, "rhs"):
        (node,) = node.children
    return node.rhs


CASES = [
    [100, 102],
    (101, 103),
    [103, None, 101, 103],  # NULLs and duplicates dropped, first occurrence kept
    ["101", 102],  # text the integer field turns into a number
    [100.0, 103],
    [True, 102],  # bool: its own plain type, prepared by the field
    [Pages.HUNDRED, 102],  # an int subclass: not plain, the ordinary loop
    [],
    [None],
]


@pytest.mark.parametrize("values", CASES, ids=[repr(case) for case in CASES])
def test_plain_lists_prepare_what_the_ordinary_loop_prepares(setup_models, values):
    setup_models(*ALL)
    _library()
    fast = Book.objects.filter(pages__in=values)
    ordinary = Book.objects.filter(pages__in=(value for value in values))
    assert _prepared(fast) == _prepared(ordinary)
    assert [type(value) for value in _prepared(fast)] == [type(value) for value in _prepared(ordinary)]
    assert _titles(fast) == _titles(ordinary)
    assert _titles(Book.objects.exclude(pages__in=values)) == _titles(
        Book.objects.exclude(pages__in=(value for value in values))
    )


def test_lists_with_expressions_take_the_ordinary_loop(setup_models):
    setup_models(*ALL)
    _library()
    assert _titles(Book.objects.filter(pages__in=[orm.F("pages"), 101])) == ["b0", "b1", "b2", "b3"]
    assert _titles(Book.objects.filter(pages__in=(orm.Value(102), 103, None))) == ["b2", "b3"]


def test_field_preparation_applies_to_every_plain_value(setup_models):
    setup_models(Loud)
    for word in ("A", "B", "C"):
        Loud.objects.create(word=word)
    assert sorted(Loud.objects.filter(word__in=["a", "c", None]).values_list("word", flat=True)) == ["A", "C"]
    assert sorted(Loud.objects.filter(word__in=("b",)).values_list("word", flat=True)) == ["B"]
    assert _prepared(Loud.objects.filter(word__in=["a", "A", "b"])) == ["A", "B"]


def test_plain_values_checks_exact_types():
    assert plain_values([1, "a", 1.5, True, b"x", None])
    assert plain_values([])
    assert not plain_values([1, Pages.HUNDRED])
    assert not plain_values([orm.F("pages")])
    assert not plain_values([[1]])
