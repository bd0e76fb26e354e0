"""Grouped queries asked exists(), sliced subqueries under IN, aggregates of aggregates: every backend."""

from __future__ import annotations

import pytest

from orm import Count, F, Max, Min, Sum

from .models import ALL, Author, Book


@pytest.fixture
def shelf(setup_models):
    setup_models(*ALL)
    ann, bob, cid = (Author.objects.create(name=name) for name in ("ann", "bob", "cid"))
    for author, pages in ((ann, 10), (ann, 20), (bob, 30), (bob, 40), (bob, 1)):
        Book.objects.create(author=author, title=f"{author.name}-{pages}", pages=pages)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4])
def test_exists_on_a_grouped_query_judges_each_group(shelf, count):
    grouped = Author.objects.annotate(n=Count("books")).filter(n=count)
    assert grouped.exists() == bool(list(grouped))


def test_in_a_sliced_subquery(shelf):
    longest = Book.objects.order_by("-pages")[:2]
    assert sorted(Book.objects.filter(pk__in=longest).values_list("title", flat=True)) == ["bob-30", "bob-40"]
    assert sorted(Book.objects.exclude(pk__in=longest.values("pk")).values_list("pages", flat=True)) == [1, 10, 20]
    assert Book.objects.filter(pk__in=longest).update(pages=F("pages") + 1) == 2
    assert sorted(Book.objects.values_list("pages", flat=True)) == [1, 10, 20, 31, 41]


def test_aggregates_over_aggregate_annotations_keep_the_integer_type(shelf):
    totals = Author.objects.annotate(pages=Sum("books__pages"))
    result = totals.aggregate(most=Max("pages"), least=Min("pages"), all=Sum("pages"))
    assert result == {"most": 71, "least": 30, "all": 101}
    assert all(type(value) is int for value in result.values())
