"""Django's remaining database functions: SHA1..SHA512, Random, JSONArray, Ntile, StringAgg."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm


class FnAuthor(orm.Model):
    name = orm.CharField(max_length=40)

    class Meta:
        app_label = "fnmore"


class FnBook(orm.Model):
    author = orm.ForeignKey(FnAuthor, on_delete=orm.CASCADE, related_name="books")
    title = orm.CharField(max_length=40, null=True)
    pages = orm.IntegerField(null=True)
    score = orm.FloatField(null=True)

    class Meta:
        app_label = "fnmore"


MODELS = [FnAuthor, FnBook]


@pytest.fixture
def library(models_db, vendor):
    if vendor == "postgresql":
        orm.connections["default"].execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    ann = FnAuthor.objects.create(name="Ann")
    bob = FnAuthor.objects.create(name="Bob")
    FnAuthor.objects.create(name="Cy")
    FnBook.objects.bulk_create([
        FnBook(author=ann, title="Zeta", pages=300, score=2.5),
        FnBook(author=ann, title="alpha", pages=100, score=None),
        FnBook(author=ann, title=None, pages=200, score=1.0),
        FnBook(author=ann, title="Zeta", pages=50, score=9.0),
        FnBook(author=bob, title="Ünïcode ✓", pages=None, score=3.0),
    ])
    return {"ann": ann, "bob": bob}


@pytest.mark.parametrize("function", ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512"])
def test_sha_digests_of_utf8_text(library, function):
    digest = getattr(orm, function)
    rows = FnBook.objects.annotate(digest=digest("title")).order_by("id").values_list("title", "digest")
    for title, value in rows:
        if title is None:
            assert value is None
        else:
            assert value == hashlib.new(function.lower(), title.encode()).hexdigest()


def test_sha_filters_and_sizes_its_output(library):
    wanted = hashlib.sha256(b"alpha").hexdigest()
    found = FnBook.objects.annotate(digest=orm.SHA256("title")).filter(digest=wanted)
    assert [book.title for book in found] == ["alpha"]
    assert orm.SHA1("title").output_field.max_length == 40


def test_random_is_a_float_in_unit_interval_and_orders(library):
    values = list(FnBook.objects.annotate(r=orm.Random()).values_list("r", flat=True))
    assert len(values) == 5 and all(isinstance(v, float) and 0 <= v < 1 for v in values)
    assert len(set(values)) > 1
    assert sorted(FnBook.objects.order_by(orm.Random()).values_list("pages", flat=True), key=str) == sorted(
        [300, 100, 200, 50, None], key=str
    )


def test_random_does_not_split_groups(library):
    counts = FnAuthor.objects.annotate(n=orm.Count("books")).order_by("name", orm.Random())
    assert [(a.name, a.n) for a in counts] == [("Ann", 4), ("Bob", 1), ("Cy", 0)]


def test_json_array_builds_arrays(library):
    rows = (
        FnBook.objects.filter(pages__in=[100, 200])
        .annotate(arr=orm.JSONArray("title", "pages", orm.Upper("title"), orm.Value(None)))
        .order_by("pages")
        .values_list("arr", flat=True)
    )
    assert list(rows) == [["alpha", 100, "ALPHA", None], [None, 200, None, None]]


def test_json_array_empty_and_filterable(library):
    row = FnBook.objects.annotate(arr=orm.JSONArray()).values_list("arr", flat=True).first()
    assert row == []
    matched = FnBook.objects.annotate(arr=orm.JSONArray("title", "pages")).filter(arr__0="alpha")
    assert [book.pages for book in matched] == [100]


def test_ntile_is_djangos_name(library):
    assert orm.Ntile is orm.NTile
    rows = FnBook.objects.filter(pages__isnull=False).annotate(
        tile=orm.Window(orm.Ntile(2), order_by="pages")
    ).order_by("pages").values_list("pages", "tile")
    assert list(rows) == [(50, 1), (100, 1), (200, 2), (300, 2)]


def test_string_agg_per_group_and_default(library):
    rows = FnAuthor.objects.annotate(
        titles=orm.StringAgg("books__title", delimiter=", ", order_by="books__title", default="-")
    ).order_by("name").values_list("name", "titles")
    # Text orders by code point on every backend's default collation? Not on MariaDB
    # (case-insensitive) nor PostgreSQL (locale): compare as sets there.
    found = dict(rows)
    assert found["Cy"] == "-"
    assert found["Bob"] == "Ünïcode ✓"
    assert sorted(found["Ann"].split(", ")) == ["Zeta", "Zeta", "alpha"]


def test_string_agg_ordered_by_another_column(library):
    result = FnBook.objects.filter(author__name="Ann").aggregate(
        by_pages=orm.StringAgg("title", delimiter="|", order_by="-pages"),
        by_score=orm.StringAgg("title", delimiter="|", order_by=orm.F("score").asc(nulls_first=True)),
        numbers=orm.StringAgg("pages", delimiter=";", order_by=["pages"]),
    )
    assert result["by_pages"] == "Zeta|alpha|Zeta"
    assert result["by_score"] == "alpha|Zeta|Zeta"
    assert result["numbers"] == "50;100;200;300"


def test_string_agg_distinct_and_filter(library):
    result = FnBook.objects.aggregate(
        distinct=orm.StringAgg("title", delimiter=" / ", distinct=True, order_by="title"),
        filtered=orm.StringAgg("title", delimiter=",", filter=orm.Q(pages__gt=100), order_by="pages"),
        nothing=orm.StringAgg("title", delimiter=",", filter=orm.Q(pages__gt=10_000)),
    )
    assert sorted(result["distinct"].split(" / ")) == ["Zeta", "alpha", "Ünïcode ✓"]
    assert result["filtered"] == "Zeta"
    assert result["nothing"] is None


def test_string_agg_default_alias_and_empty_queryset(library):
    result = FnBook.objects.filter(pages=-1).aggregate(orm.StringAgg("title", ","))
    assert result == {"title__stringagg": None}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pages=st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=1, max_size=8),
    descending=st.booleans(),
    nulls=st.sampled_from([None, "first", "last"]),
)
def test_string_agg_orders_like_the_query(library, pages, descending, nulls):
    FnBook.objects.all().delete()
    author = library["ann"]
    FnBook.objects.bulk_create([FnBook(author=author, title=f"t{n}", pages=p) for n, p in enumerate(pages)])
    ordering = orm.F("pages").desc() if descending else orm.F("pages").asc()
    if nulls:
        ordering = (orm.F("pages").desc if descending else orm.F("pages").asc)(**{f"nulls_{nulls}": True})
    got = FnBook.objects.aggregate(s=orm.StringAgg("pages", ",", order_by=[ordering, "title"]))["s"]
    expected = ",".join(
        str(p) for p in FnBook.objects.order_by(ordering, "title").values_list("pages", flat=True) if p is not None
    )
    assert (got or "") == expected
