"""Lookups across relations: multi-valued join semantics, exclude(), aggregates, and an oracle."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm

from .models import ALL, Author, Book, Publisher, Review, Tag


@pytest.fixture
def shelf(setup_models):
    setup_models(*ALL)
    publisher = Publisher.objects.create(name="Gallimard", country="FR")
    ann = Author.objects.create(name="Ann", publisher=publisher)
    bob = Author.objects.create(name="Bob")
    cat = Author.objects.create(name="Cat")
    python, django = Tag.objects.create(name="python"), Tag.objects.create(name="django")
    # Ann: one book that is both long and tagged python; Bob: a long book and a python book.
    Book.objects.create(author=ann, title="A1", pages=500).tags.add(python, django)
    Book.objects.create(author=bob, title="B1", pages=500)
    Book.objects.create(author=bob, title="B2", pages=50).tags.add(python)
    Book.objects.create(author=cat, title="C1", pages=50)
    for stars in (5, 4, 3):
        Review.objects.create(author=ann, stars=stars)
    Review.objects.create(author=bob, stars=2)
    return ann, bob, cat


def names(queryset) -> list[str]:
    return sorted(author.name for author in queryset)


def test_filter_chain_versus_single_filter_on_reverse_foreign_key(shelf):
    same_book = Author.objects.filter(books__pages__gt=100, books__tags__name="python")
    any_books = Author.objects.filter(books__pages__gt=100).filter(books__tags__name="python")
    assert names(same_book) == ["Ann"]
    assert names(any_books.distinct()) == ["Ann", "Bob"]


def test_lookups_in_both_directions_and_any_depth(shelf):
    assert sorted(b.title for b in Book.objects.filter(author__publisher__country="FR")) == ["A1"]
    assert names(Author.objects.filter(books__tags__name="django")) == ["Ann"]
    assert sorted(t.name for t in Tag.objects.filter(books__author__name="Bob")) == ["python"]
    assert names(Publisher.objects.get().authors.all()) == ["Ann"]
    assert names(Author.objects.filter(publisher__isnull=True)) == ["Bob", "Cat"]
    assert names(Author.objects.filter(books__isnull=False).distinct()) == ["Ann", "Bob", "Cat"]


def test_filter_with_instances_and_wrong_model(shelf):
    ann, _bob, _cat = shelf
    assert [b.title for b in Book.objects.filter(author=ann)] == ["A1"]
    assert [b.title for b in Book.objects.filter(author__in=[ann])] == ["A1"]
    with pytest.raises(TypeError, match="Author"):
        list(Book.objects.filter(author=Tag.objects.first()))


def test_exclude_across_m2m_keeps_rows_without_tags(shelf):
    titles = sorted(book.title for book in Book.objects.exclude(tags__name="python"))
    assert titles == ["B1", "C1"]


def test_exclude_across_reverse_foreign_key(shelf):
    assert names(Author.objects.exclude(books__pages__gt=100)) == ["Cat"]


def test_f_expressions_across_relations(shelf):
    assert sorted(b.title for b in Book.objects.filter(author__name=orm.F("author__name"))) == ["A1", "B1", "B2", "C1"]
    long_for_author = Book.objects.filter(pages__gt=orm.F("author__reviews__stars")).distinct()
    assert sorted(b.title for b in long_for_author) == ["A1", "B1", "B2"]


def test_count_and_sum_across_two_relations_are_not_multiplied(shelf):
    rows = {
        author.name: (author.n, author.s)
        for author in Author.objects.annotate(n=orm.Count("books"), s=orm.Sum("reviews__stars"))
    }
    assert rows == {"Ann": (1, 12), "Bob": (2, 2), "Cat": (1, None)}
    chained = {
        author.name: (author.n, author.s)
        for author in Author.objects.annotate(n=orm.Count("books")).annotate(s=orm.Sum("reviews__stars"))
    }
    assert chained == rows


def test_count_distinct_and_single_relation_aggregate_still_join(shelf):
    queryset = Author.objects.annotate(n=orm.Count("books__tags", distinct=True))
    assert {a.name: a.n for a in queryset} == {"Ann": 2, "Bob": 1, "Cat": 0}
    assert "JOIN" in str(queryset.query)


def test_aggregate_with_filter_on_other_relation(shelf):
    rows = Author.objects.filter(reviews__stars__gte=3).annotate(n=orm.Count("books"))
    assert {a.name: a.n for a in rows} == {"Ann": 1}


# -- property: random relation filters agree with a Python oracle ----------------------

FIELDS = {
    "books__pages__gt": lambda a, v: any(b["pages"] > v for b in a["books"]),
    "books__pages__lte": lambda a, v: any(b["pages"] <= v for b in a["books"]),
    "books__tags__name": lambda a, v: any(v in b["tags"] for b in a["books"]),
    "reviews__stars__gte": lambda a, v: any(r >= v for r in a["reviews"]),
    "publisher__country": lambda a, v: a["country"] == v,
    "books__isnull": lambda a, v: (not a["books"]) == v,
}
VALUES = {
    "books__pages__gt": st.sampled_from([0, 50, 100, 400]),
    "books__pages__lte": st.sampled_from([10, 50, 500]),
    "books__tags__name": st.sampled_from(["python", "django", "rust"]),
    "reviews__stars__gte": st.integers(1, 6),
    "publisher__country": st.sampled_from(["FR", "DE"]),
    "books__isnull": st.booleans(),
}
conditions = st.sampled_from(sorted(FIELDS)).flatmap(lambda name: st.tuples(st.just(name), VALUES[name]))


def snapshot() -> list[dict]:
    authors = []
    for author in Author.objects.prefetch_related("books__tags", "reviews").select_related("publisher"):
        authors.append({
            "name": author.name,
            "country": author.publisher.country if author.publisher else None,
            "books": [{"pages": b.pages, "tags": {t.name for t in b.tags.all()}} for b in author.books.all()],
            "reviews": [r.stars for r in author.reviews.all()],
        })
    return authors


def test_random_relation_filters_match_python_oracle(shelf):
    authors = snapshot()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(conditions, min_size=1, max_size=3), st.booleans(), st.booleans())
    def check(chosen, negate, chained):
        def matches(author, name, value):
            return FIELDS[name](author, value)

        if chained:
            queryset = Author.objects.all()
            for name, value in chosen:
                queryset = queryset.exclude(**{name: value}) if negate else queryset.filter(**{name: value})
            expected = {
                a["name"] for a in authors
                if all((not matches(a, n, v)) if negate else matches(a, n, v) for n, v in chosen)
            }
        else:
            q = orm.Q(*[orm.Q(**{name: value}) for name, value in chosen])
            if not _single_row_semantics_apply(chosen):
                return
            queryset = Author.objects.exclude(q) if negate else Author.objects.filter(q)
            both = {a["name"] for a in authors if all(matches(a, n, v) for n, v in chosen)}
            expected = ({a["name"] for a in authors} - both) if negate else both
        assert {a.name for a in queryset.distinct()} == expected, (chosen, negate, chained)

    check()


def _single_row_semantics_apply(chosen) -> bool:
    """One filter() over several multi-valued conditions means "the same related row";
    the oracle models that only when all conditions name different relations."""
    roots = [name.split("__")[0] for name, _ in chosen]
    multi = [root for root in roots if root in ("books", "reviews")]
    return len(multi) == len(set(multi)) and not any(name == "books__isnull" for name, _ in chosen)
