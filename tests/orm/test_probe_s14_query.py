"""Combined-query NULL ordering and aggregates that refer to one another (session 14, helper H1)."""

from __future__ import annotations

import pytest

import orm
from orm import F


class ProbeS14Shelf(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = "probes14query"


class ProbeS14Book(orm.Model):
    title = orm.CharField(max_length=20)
    pages = orm.IntegerField(null=True)
    shelf = orm.ForeignKey(ProbeS14Shelf, on_delete=orm.CASCADE, null=True)

    class Meta:
        app_label = "probes14query"


MODELS = [ProbeS14Shelf, ProbeS14Book]


@pytest.fixture
def books(models_db):
    shelf = ProbeS14Shelf.objects.create(name="top")
    for title, pages in [("a", 10), ("b", None), ("c", 30), ("d", None), ("e", 20)]:
        ProbeS14Book.objects.create(title=title, pages=pages, shelf=shelf if pages else None)


def titles(queryset) -> list[str]:
    return [book.title for book in queryset]


def union():
    """Books a and b, united with books c, d and e."""
    low = ProbeS14Book.objects.filter(title__in=["a", "b"])
    return low.union(ProbeS14Book.objects.filter(title__in=["c", "d", "e"]))


# -- NULLS FIRST / NULLS LAST in the ORDER BY of a combined query ---------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (F("pages").asc(nulls_last=True), ["a", "e", "c", "b", "d"]),
        (F("pages").asc(nulls_first=True), ["b", "d", "a", "e", "c"]),
        (F("pages").desc(nulls_last=True), ["c", "e", "a", "b", "d"]),
        (F("pages").desc(nulls_first=True), ["b", "d", "c", "e", "a"]),
    ],
    ids=["asc-nulls-last", "asc-nulls-first", "desc-nulls-last", "desc-nulls-first"],
)
def test_union_ordering_places_nulls_as_asked(books, ordering, expected):
    assert titles(union().order_by(ordering, "title")) == expected


def test_union_nulls_ordering_is_reversed_by_reverse_and_last(books):
    ordered = union().order_by(F("pages").asc(nulls_last=True), "title")
    assert titles(ordered.reverse()) == ["d", "b", "c", "e", "a"]
    assert ordered.last().title == "d"
    assert ordered.first().title == "a"


def test_sliced_union_keeps_nulls_last(books):
    assert titles(union().order_by(F("pages").asc(nulls_last=True), "title")[:4]) == ["a", "e", "c", "b"]
    assert titles(union().order_by(F("pages").desc(nulls_first=True), "-title")[1:3]) == ["b", "c"]


def test_intersection_and_difference_ordering_places_nulls_as_asked(books):
    every = ProbeS14Book.objects.all()
    some = ProbeS14Book.objects.filter(title__in=["a", "b", "c", "d"])
    ordering = (F("pages").asc(nulls_last=True), "title")
    assert titles(every.intersection(some).order_by(*ordering)) == ["a", "c", "b", "d"]
    assert titles(every.difference(ProbeS14Book.objects.filter(title="c")).order_by(*ordering)) == [
        "a", "e", "b", "d",
    ]
    assert titles(every.difference(some).order_by(F("pages").desc(nulls_first=True))) == ["e"]


def test_values_union_ordering_places_nulls_as_asked(books):
    low = ProbeS14Book.objects.filter(title__in=["a", "b"]).values_list("title", "pages")
    high = ProbeS14Book.objects.filter(title__in=["c", "d", "e"]).values_list("title", "pages")
    rows = list(low.union(high).order_by(F("pages").desc(nulls_first=True), "title"))
    assert rows == [("b", None), ("d", None), ("c", 30), ("e", 20), ("a", 10)]
    named = low.union(high).values("title", "pages").order_by(F("pages").asc(nulls_last=True), "-title")
    assert [row["title"] for row in named] == ["a", "e", "c", "d", "b"]


def test_select_related_union_ordering_on_a_related_column(books):
    low = ProbeS14Book.objects.select_related("shelf").filter(title__in=["a", "b"])
    high = ProbeS14Book.objects.select_related("shelf").filter(title__in=["c", "d"])
    ordered = low.union(high).order_by(F("pages").desc(nulls_last=True), "title")
    assert [(book.title, book.shelf and book.shelf.name) for book in ordered] == [
        ("c", "top"), ("a", "top"), ("b", None), ("d", None),
    ]
    by_shelf = low.union(high).order_by(F("name").asc(nulls_last=True), "title")
    assert titles(by_shelf) == ["a", "c", "b", "d"]
    assert titles(low.union(high).order_by(F("title"))) == ["a", "b", "c", "d"]


class ProbeS14Label(orm.Model):
    text = orm.CharField(max_length=20, db_column="name", null=True)
    shelf = orm.ForeignKey(ProbeS14Shelf, on_delete=orm.CASCADE)

    class Meta:
        app_label = "probes14query"


MODELS.append(ProbeS14Label)


def test_union_nulls_ordering_on_a_column_whose_name_an_earlier_column_has(books, vendor):
    shelf = ProbeS14Shelf.objects.get()
    ProbeS14Label.objects.create(text="x", shelf=shelf)
    labels = ProbeS14Label.objects.select_related("shelf")
    united = labels.union(labels, all=True).order_by(F("name").asc(nulls_last=True))
    if vendor == "mysql":
        # The result has two columns called "name": MySQL could only name the first one.
        with pytest.raises(orm.NotSupportedError, match="values"):
            list(united)
    else:
        assert [label.shelf.name for label in united] == ["top", "top"]
