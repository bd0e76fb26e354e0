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
    first_two = ProbeS14Book.objects.order_by("title")[:2]
    with_d = first_two.union(ProbeS14Book.objects.filter(title="d"))
    assert titles(with_d.order_by(F("pages").desc(nulls_first=True), "title")) == ["b", "d", "a"]


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
    doubled = ProbeS14Book.objects.annotate(doubled=F("pages") * 2)
    united = doubled.filter(title__in=["a", "b"]).union(doubled.filter(title__in=["c", "d"]))
    assert titles(united.order_by(F("doubled").asc(nulls_last=True), "title")) == ["a", "c", "b", "d"]


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


# -- aggregate(): one aggregate referring to another of the same call -------------------


def test_aggregate_refers_to_an_earlier_aggregate_of_the_same_call(books):
    from orm import Count, Sum

    books = ProbeS14Book.objects
    assert books.aggregate(total=Sum("pages"), double=F("total") * 2) == {"total": 60, "double": 120}
    assert books.aggregate(n=Count("id"), per_book=Sum("pages") / F("n")) == {"n": 5, "per_book": 12}
    assert books.aggregate(total=Sum("pages"), same=F("total")) == {"total": 60, "same": 60}
    chained = books.aggregate(n=Count("pages"), total=Sum("pages"), spread=F("total") - F("n") * 10, twice=F("spread") * 2)
    assert chained == {"n": 3, "total": 60, "spread": 30, "twice": 60}


def test_aggregate_reference_over_a_filtered_sliced_and_combined_queryset(books):
    from orm import Count, Max, Sum

    with_pages = ProbeS14Book.objects.filter(pages__isnull=False)
    assert with_pages.aggregate(total=Sum("pages"), top=Max("pages"), rest=F("total") - F("top")) == {
        "total": 60, "top": 30, "rest": 30,
    }
    first_three = ProbeS14Book.objects.order_by("title")[:3]
    assert first_three.aggregate(n=Count("id"), total=Sum("pages"), gap=F("n") * 100 - F("total")) == {
        "n": 3, "total": 40, "gap": 260,
    }
    assert union().aggregate(total=Sum("pages"), half=F("total") / 2) == {"total": 60, "half": 30}
    per_shelf = ProbeS14Book.objects.values("shelf").annotate(n=Count("id"))
    assert per_shelf.aggregate(books=Sum("n"), doubled=F("books") * 2) == {"books": 5, "doubled": 10}


def test_aggregate_reference_with_no_rows_is_computed_as_over_no_rows(books):
    from orm import Coalesce, Count, Sum

    nothing = ProbeS14Book.objects.filter(pk__in=[])
    assert nothing.aggregate(n=Count("id"), plus=F("n") + 1) == {"n": 0, "plus": 1}
    assert nothing.aggregate(total=Sum("pages", default=0), plus=F("total") + 1) == {"total": 0, "plus": 1}
    assert nothing.aggregate(total=Sum("pages"), double=F("total") * 2) == {"total": None, "double": None}
    assert nothing.aggregate(total=Coalesce(Sum("pages"), 7)) == {"total": 7}
    assert ProbeS14Book.objects.none().aggregate(n=Count("id"), plus=F("n") + 1) == {"n": 0, "plus": 1}


def test_aggregate_of_an_aggregate_of_the_same_call_is_a_field_error(books):
    from orm import Avg, FieldError, Sum

    with pytest.raises(FieldError, match=r"Cannot compute Avg\('total'\): 'total' is an aggregate"):
        ProbeS14Book.objects.aggregate(total=Sum("pages"), mean=Avg("total"))
    with pytest.raises(FieldError, match=r"Cannot compute Sum\('total'\): 'total' is an aggregate"):
        ProbeS14Book.objects.filter(pages__gt=0)[:2].aggregate(total=Sum("pages"), again=Sum(F("total") + 1))


def test_aggregate_reference_to_a_later_alias_or_to_no_aggregate_is_refused(books):
    from orm import FieldError, Sum

    # As Django: the aggregates are resolved in the order given.
    with pytest.raises(FieldError, match="total"):
        ProbeS14Book.objects.aggregate(double=F("total") * 2, total=Sum("pages"))
    with pytest.raises(TypeError, match="double is not an aggregate expression"):
        ProbeS14Book.objects.aggregate(total=Sum("pages"), double=F("pages") * 2)
