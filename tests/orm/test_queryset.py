"""The QuerySet of SPEC §4 on one table: every method, on every backend."""

from __future__ import annotations

import datetime
import decimal

import pytest

import orm
from orm import Count, F, Q

UTC = datetime.timezone.utc


class Article(orm.Model):
    title = orm.CharField(max_length=100)
    slug = orm.SlugField(unique=True)
    views = orm.IntegerField(default=0)
    rating = orm.DecimalField(max_digits=5, decimal_places=2, null=True)
    published = orm.DateTimeField(null=True)
    data = orm.JSONField(null=True)

    class Meta:
        app_label = "querytests"
        get_latest_by = "published"

    def __str__(self):
        return self.title


MODELS = [Article]


def at(day, hour=0):
    return datetime.datetime(2024, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def articles(models_db):
    rows = [
        Article(
            title="Alpha",
            slug="alpha",
            views=10,
            rating=decimal.Decimal("4.50"),
            published=at(1, 9),
            data={"owner": {"name": "ann"}, "k": 1},
        ),
        Article(
            title="beta",
            slug="beta",
            views=20,
            rating=None,
            published=at(2, 10),
            data={"owner": {"name": "bob"}},
        ),
        Article(
            title="Gamma",
            slug="gamma",
            views=30,
            rating=decimal.Decimal("3.00"),
            published=at(3, 11),
            data=None,
        ),
        Article(
            title="delta",
            slug="delta",
            views=40,
            rating=decimal.Decimal("1.25"),
            published=None,
            data={"k": 2},
        ),
    ]
    Article.objects.bulk_create(rows)
    return list(Article.objects.order_by("id"))


def titles(queryset):
    return [obj.title for obj in queryset]


# -- basic retrieval -----------------------------------------------------------


def test_all_filter_exclude(articles):
    assert len(Article.objects.all()) == 4
    assert titles(Article.objects.filter(views__gt=15).order_by("views")) == [
        "beta",
        "Gamma",
        "delta",
    ]
    assert titles(Article.objects.exclude(views__gt=15)) == ["Alpha"]
    assert set(titles(Article.objects.exclude(rating__gt=2))) == {"beta", "delta"}


def test_get_messages(articles):
    assert Article.objects.get(slug="beta").title == "beta"
    with pytest.raises(Article.DoesNotExist, match="Article matching query does not exist"):
        Article.objects.get(slug="nope")
    with pytest.raises(Article.MultipleObjectsReturned, match="returned 4"):
        Article.objects.get()
    with pytest.raises(orm.ObjectDoesNotExist):
        Article.objects.get(pk=-1)


def test_create_get_or_create_update_or_create(models_db):
    obj, created = Article.objects.get_or_create(slug="x", defaults={"title": "X"})
    assert created and obj.pk is not None and obj.title == "X"
    again, created = Article.objects.get_or_create(slug="x", defaults={"title": "other"})
    assert not created and again == obj and again.title == "X"
    updated, created = Article.objects.update_or_create(slug="x", defaults={"views": 7})
    assert not created and updated.views == 7
    assert Article.objects.get(slug="x").views == 7
    made, created = Article.objects.update_or_create(
        slug="y", defaults={"views": 1}, create_defaults={"title": "Y", "views": 2}
    )
    assert created and made.views == 2 and made.title == "Y"


def test_bulk_create_sets_pks_and_handles_conflicts(vendor, models_db):
    objs = Article.objects.bulk_create(
        [Article(title=f"t{i}", slug=f"s{i}") for i in range(5)], batch_size=2
    )
    assert all(obj.pk is not None for obj in objs)
    assert sorted(obj.pk for obj in objs) == sorted(Article.objects.values_list("pk", flat=True))
    Article.objects.bulk_create(
        [Article(title="dup", slug="s1"), Article(title="new", slug="s9")], ignore_conflicts=True
    )
    assert Article.objects.count() == 6
    assert Article.objects.get(slug="s1").title == "t1"
    Article.objects.bulk_create(
        [Article(title="changed", slug="s2", views=99)],
        update_conflicts=True,
        update_fields=["title", "views"],
        unique_fields=["slug"],
    )
    refreshed = Article.objects.get(slug="s2")
    assert (refreshed.title, refreshed.views) == ("changed", 99)
    assert Article.objects.count() == 6


def test_bulk_update(articles):
    for obj in articles:
        obj.views = obj.views + 1
        obj.title = obj.title.upper()
    assert Article.objects.bulk_update(articles, ["views", "title"], batch_size=3) == 4
    assert list(Article.objects.order_by("id").values_list("views", "title")) == [
        (11, "ALPHA"),
        (21, "BETA"),
        (31, "GAMMA"),
        (41, "DELTA"),
    ]


def test_in_bulk_count_exists_contains(articles):
    first = articles[0]
    found = Article.objects.in_bulk([first.pk, articles[1].pk])
    assert set(found) == {first.pk, articles[1].pk} and found[first.pk].title == "Alpha"
    assert Article.objects.in_bulk(["alpha"], field_name="slug")["alpha"] == first
    assert Article.objects.in_bulk([]) == {}
    with pytest.raises(ValueError, match="unique"):
        Article.objects.in_bulk([1], field_name="views")
    assert Article.objects.count() == 4
    assert isinstance(Article.objects.filter(views__gt=100).count(), int)
    assert Article.objects.filter(slug="beta").exists()
    assert not Article.objects.filter(slug="zzz").exists()
    assert Article.objects.contains(first)
    assert not Article.objects.filter(views__gt=10).contains(first)


def test_first_last_earliest_latest(articles):
    assert Article.objects.first().title == "Alpha"
    assert Article.objects.last().title == "delta"
    assert Article.objects.order_by("-views").first().title == "delta"
    assert Article.objects.filter(views__gt=100).first() is None
    assert Article.objects.earliest().title == "Alpha"
    assert Article.objects.filter(published__isnull=False).latest().title == "Gamma"
    assert Article.objects.latest("views").title == "delta"
    assert Article.objects.earliest("-views").title == "delta"


def test_order_by_variants(articles):
    assert titles(Article.objects.order_by("-views")) == ["delta", "Gamma", "beta", "Alpha"]
    assert titles(Article.objects.order_by(F("rating").asc(nulls_last=True), "id")) == [
        "delta",
        "Gamma",
        "Alpha",
        "beta",
    ]
    assert titles(Article.objects.order_by(F("rating").desc(nulls_last=True))) == [
        "Alpha",
        "Gamma",
        "delta",
        "beta",
    ]
    assert (
        titles(Article.objects.order_by(F("published").desc(nulls_first=True), "id"))[0] == "delta"
    )
    assert sorted(titles(Article.objects.order_by("?"))) == sorted(titles(articles))
    assert titles(Article.objects.order_by((F("views") * -1).asc())) == [
        "delta",
        "Gamma",
        "beta",
        "Alpha",
    ]
    assert titles(Article.objects.order_by("views").reverse()) == [
        "delta",
        "Gamma",
        "beta",
        "Alpha",
    ]


def test_distinct_and_values(articles):
    Article.objects.create(title="Alpha", slug="alpha2", views=10)
    assert sorted(Article.objects.values_list("title", flat=True).distinct()) == sorted(
        ["Alpha", "beta", "Gamma", "delta"]
    )
    rows = list(Article.objects.filter(slug="beta").values("title", "views"))
    assert rows == [{"title": "beta", "views": 20}]
    assert list(Article.objects.filter(slug="beta").values())[0]["slug"] == "beta"
    named = Article.objects.filter(slug="beta").values_list("title", "views", named=True).get()
    assert named.title == "beta" and named.views == 20
    assert Article.objects.filter(slug="beta").values_list("rating", flat=True).get() is None
    assert list(Article.objects.order_by("id").values_list("id", "slug"))[0] == (
        articles[0].pk,
        "alpha",
    )


@pytest.mark.backends("postgresql")
def test_distinct_on_fields(vendor, articles):
    Article.objects.create(title="Alpha", slug="alpha2", views=99)
    rows = list(
        Article.objects.order_by("title", "-views").distinct("title").values_list("title", "views")
    )
    assert ("Alpha", 99) in rows and len(rows) == 4


def test_annotate_alias_aggregate(articles):
    annotated = Article.objects.annotate(double=F("views") * 2).order_by("id")
    assert [obj.double for obj in annotated] == [20, 40, 60, 80]
    aliased = Article.objects.alias(double=F("views") * 2).filter(double__gt=50)
    assert titles(aliased.order_by("id")) == ["Gamma", "delta"]
    result = Article.objects.aggregate(
        n=Count("id"),
        rated=Count("rating"),
        total=orm.Sum("views"),
        mean=orm.Avg("views"),
        low=orm.Min("views"),
        high=orm.Max("views"),
        spread=orm.StdDev("views"),
        var=orm.Variance("views"),
        sample_var=orm.Variance("views", sample=True),
        big=Count("id", filter=Q(views__gt=15)),
        kinds=Count("views", distinct=True),
    )
    assert result["n"] == 4 and type(result["n"]) is int
    assert result["rated"] == 3
    assert result["total"] == 100
    assert result["mean"] == pytest.approx(25)
    assert (result["low"], result["high"]) == (10, 40)
    assert result["var"] == pytest.approx(125)
    assert result["spread"] == pytest.approx(125**0.5)
    assert result["sample_var"] == pytest.approx(500 / 3)
    assert result["big"] == 3
    assert result["kinds"] == 4
    rating = Article.objects.aggregate(orm.Sum("rating"))["rating__sum"]
    assert rating == decimal.Decimal("8.75") and isinstance(rating, decimal.Decimal)
    assert Article.objects.filter(views__gt=100).aggregate(total=orm.Sum("views"))["total"] is None


def test_only_and_defer(articles):
    with orm.capture_queries() as queries:
        obj = Article.objects.only("title").get(slug="beta")
        assert obj.title == "beta"
    assert len(queries) == 1
    assert "views" in obj.get_deferred_fields()
    assert obj.views == 20
    deferred = Article.objects.defer("data").get(slug="alpha")
    assert "data" in deferred.get_deferred_fields()
    assert deferred.data["k"] == 1
    with pytest.raises(orm.FieldError):
        Article.objects.only("nope")


def test_update_and_delete(articles):
    assert Article.objects.filter(views__gte=30).update(views=F("views") + 1) == 2
    assert sorted(Article.objects.values_list("views", flat=True)) == [10, 20, 31, 41]
    total, per_model = Article.objects.filter(views__lt=25).delete()
    assert (total, per_model) == (2, {"querytests.Article": 2})
    assert Article.objects.count() == 2


def test_iterator_streams_without_caching(articles):
    queryset = Article.objects.order_by("id")
    assert titles(queryset.iterator(chunk_size=2)) == ["Alpha", "beta", "Gamma", "delta"]
    assert queryset._result_cache is None
    with pytest.raises(ValueError):
        list(queryset.iterator(chunk_size=0))


def test_iterator_memory_stays_flat(models_db):
    import tracemalloc

    Article.objects.bulk_create(
        [
            Article(title="x" * 90, slug=f"slug-{i}", data={"payload": "y" * 200})
            for i in range(4000)
        ],
        batch_size=500,
    )

    def peak(consume):
        tracemalloc.start()
        try:
            consume()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def stream():
        count = 0
        for _obj in Article.objects.order_by("id").iterator(chunk_size=100):
            count += 1
        assert count == 4000

    def load_all():
        assert len(list(Article.objects.order_by("id"))) == 4000

    streamed, loaded = peak(stream), peak(load_all)
    assert streamed * 4 < loaded, (streamed, loaded)


def test_union_intersection_difference(articles):
    low = Article.objects.filter(views__lte=20)
    high = Article.objects.filter(views__gte=30)
    middle = Article.objects.filter(views__gte=20, views__lte=30)
    assert titles(low.union(high).order_by("views")) == ["Alpha", "beta", "Gamma", "delta"]
    assert titles(low.union(high).order_by("-views")[:2]) == ["delta", "Gamma"]
    assert titles(low.union(middle, all=True).order_by("views")) == [
        "Alpha",
        "beta",
        "beta",
        "Gamma",
    ]
    assert titles(low.intersection(middle)) == ["beta"]
    assert titles(low.difference(middle)) == ["Alpha"]
    assert list(low.union(high).values_list("views", flat=True).order_by("views")) == [
        10,
        20,
        30,
        40,
    ]


def test_none(articles):
    empty = Article.objects.none()
    assert list(empty) == [] and empty.count() == 0 and not empty.exists()
    assert isinstance(empty, orm.EmptyQuerySet)
    with orm.capture_queries() as queries:
        assert list(Article.objects.filter(pk__in=[])) == []
    assert len(queries) == 0


def test_explain(articles):
    plan = Article.objects.filter(views__gt=1).explain()
    assert isinstance(plan, str) and plan


def test_raw_on_manager(articles):
    table = Article._meta.db_table
    quote = orm.connections["default"].dialect.quote_name
    raw = list(
        Article.objects.raw(
            f"SELECT * FROM {quote(table)} WHERE {quote('views')} > %s ORDER BY {quote('id')}", [15]
        )
    )
    assert [obj.title for obj in raw] == ["beta", "Gamma", "delta"]
    assert isinstance(raw[0], Article) and raw[0].pk == articles[1].pk


def test_keyset_pagination_without_offset(models_db):
    Article.objects.bulk_create(
        [Article(title=f"t{i:02d}", slug=f"s{i:02d}", views=i % 3) for i in range(10)]
    )
    ordered = Article.objects.order_by("views", "id")
    expected = list(ordered)
    pages, last = [], None
    with orm.capture_queries() as queries:
        while True:
            page = list(ordered.after(last, size=3))
            if not page:
                break
            pages.extend(page)
            last = page[-1]
    assert pages == expected
    assert all("OFFSET" not in query.sql.upper() for query in queries)
    descending = Article.objects.order_by("-views", "-id")
    first = list(descending.after(None, size=4))
    second = list(descending.after(first[-1], size=4))
    assert first + second == list(descending)[:8]
    values_page = list(ordered.after({"views": 0, "id": expected[0].pk}, size=2))
    assert values_page == expected[1:3]
    with pytest.raises(orm.FieldError, match="unique"):
        Article.objects.order_by("views").after(None)


def test_slicing(articles):
    ordered = Article.objects.order_by("id")
    assert titles(ordered[1:3]) == ["beta", "Gamma"]
    assert titles(ordered[2:]) == ["Gamma", "delta"]
    assert titles(ordered[:1]) == ["Alpha"]
    assert ordered[3].title == "delta"
    assert ordered[0].title == "Alpha"
    assert titles(ordered[1:3][1:]) == ["Gamma"]
    with pytest.raises(IndexError):
        ordered[10]
    with pytest.raises(ValueError):
        ordered[-1]
    with pytest.raises(ValueError):
        ordered[-2:]
    with orm.capture_queries() as queries:
        list(ordered[5:7])
    assert "LIMIT" in queries[0].sql.upper() and "OFFSET" in queries[0].sql.upper()


def test_repr_shows_at_most_21_rows(models_db):
    Article.objects.bulk_create([Article(title=f"t{i}", slug=f"s{i}") for i in range(25)])
    text = repr(Article.objects.order_by("id"))
    assert text.startswith("<QuerySet [")
    assert text.count("<Article:") == 20
    assert "...(remaining elements truncated)..." in text


def test_evaluation_is_cached(articles):
    queryset = Article.objects.all()
    with orm.capture_queries() as queries:
        assert len(queryset) == 4
        assert bool(queryset)
        list(queryset)
        assert queryset[0] is not None
        assert queryset.count() == 4
    assert len(queries) == 1


def test_lookups(articles):
    def slugs(**kwargs):
        return sorted(Article.objects.filter(**kwargs).values_list("slug", flat=True))

    assert slugs(title__exact="beta") == ["beta"]
    assert slugs(title__iexact="ALPHA") == ["alpha"]
    assert slugs(title__contains="lph") == ["alpha"]
    assert slugs(title__icontains="AMM") == ["gamma"]
    assert slugs(views__in=[10, 40]) == ["alpha", "delta"]
    assert slugs(views__in=Article.objects.filter(slug="beta").values("views")) == ["beta"]
    assert slugs(views__gt=30) == ["delta"]
    assert slugs(views__gte=30) == ["delta", "gamma"]
    assert slugs(views__lt=20) == ["alpha"]
    assert slugs(views__lte=20) == ["alpha", "beta"]
    assert slugs(slug__startswith="de") == ["delta"]
    assert slugs(title__istartswith="g") == ["gamma"]
    assert slugs(slug__endswith="ta") == ["beta", "delta"]
    assert slugs(title__iendswith="MA") == ["gamma"]
    assert slugs(views__range=(15, 35)) == ["beta", "gamma"]
    assert slugs(rating__isnull=True) == ["beta"]
    assert slugs(rating=None) == ["beta"]
    assert slugs(slug__regex=r"^[ab]") == ["alpha", "beta"]
    assert slugs(title__iregex=r"^[AB]") == ["alpha", "beta"]
    assert slugs(published__date=datetime.date(2024, 1, 2)) == ["beta"]
    assert slugs(published__year=2024) == ["alpha", "beta", "gamma"]
    assert slugs(published__month=1, published__day=3) == ["gamma"]
    # 2024-01-01 was a Monday: Django's week_day is 1 = Sunday ... 7 = Saturday.
    assert slugs(published__week_day=2) == ["alpha"]
    assert slugs(published__hour=10) == ["beta"]
    assert slugs(published__minute=0) == ["alpha", "beta", "gamma"]
    assert slugs(data__owner__name="ann") == ["alpha"]
    assert slugs(data__has_key="k") == ["alpha", "delta"]
    assert slugs(data__k=2) == ["delta"]


def test_like_wildcards_in_values_are_literal(models_db):
    Article.objects.create(title="100% sure_thing\\x", slug="a")
    Article.objects.create(title="1000 sureXthing", slug="b")
    assert Article.objects.filter(title__contains="0%").count() == 1
    assert Article.objects.filter(title__contains="e_t").count() == 1
    assert Article.objects.filter(title__icontains="\\x").count() == 1
    assert Article.objects.filter(title__startswith="100%").count() == 1
    assert Article.objects.filter(title__endswith="\\x").count() == 1


def test_expressions(articles):
    from orm import (
        Case,
        Cast,
        Coalesce,
        Concat,
        Exists,
        ExpressionWrapper,
        Func,
        Length,
        Lower,
        Now,
        OuterRef,
        Subquery,
        Upper,
        Value,
        When,
    )

    rows = Article.objects.order_by("id").annotate(
        wrapped=ExpressionWrapper(F("views") * 2 + 1, output_field=orm.IntegerField()),
        band=Case(
            When(views__lt=25, then=Value("low")),
            default=Value("high"),
            output_field=orm.CharField(),
        ),
        label=Concat("title", Value("-"), "slug", output_field=orm.CharField()),
        low=Lower("title"),
        up=Upper("slug"),
        size=Length("title"),
        safe_rating=Coalesce(
            "rating",
            Value(decimal.Decimal("0.00")),
            output_field=orm.DecimalField(max_digits=5, decimal_places=2),
        ),
        as_text=Cast("views", orm.CharField(max_length=10)),
        absolute=Func(F("views") - 25, function="ABS", output_field=orm.IntegerField()),
        now=Now(),
    )
    first, second = rows[0], rows[1]
    assert (
        first.wrapped == 21
        and first.band == "low"
        and second.band == "low"
        and rows[3].band == "high"
    )
    assert (
        first.label == "Alpha-alpha"
        and first.low == "alpha"
        and first.up == "ALPHA"
        and first.size == 5
    )
    assert second.safe_rating == decimal.Decimal("0.00")
    assert first.as_text == "10"
    assert first.absolute == 15
    assert isinstance(first.now, datetime.datetime) and first.now.tzinfo is not None

    newer = Article.objects.filter(views__gt=OuterRef("views")).order_by("views")
    with_next = Article.objects.annotate(
        next_title=Subquery(newer.values("title")[:1]),
        has_newer=Exists(newer),
    ).order_by("id")
    assert [obj.next_title for obj in with_next] == ["beta", "Gamma", "delta", None]
    assert [obj.has_newer for obj in with_next] == [True, True, True, False]
    assert titles(Article.objects.filter(Exists(newer)).order_by("id")) == [
        "Alpha",
        "beta",
        "Gamma",
    ]
    assert titles(Article.objects.filter(~Exists(newer))) == ["delta"]


def test_date_functions(articles):
    from orm import ExtractHour, ExtractYear, TruncDay, TruncMonth

    rows = (
        Article.objects.filter(published__isnull=False)
        .order_by("id")
        .annotate(
            year=ExtractYear("published"),
            hour=ExtractHour("published"),
            month=TruncMonth("published"),
            day=TruncDay("published"),
        )
    )
    first = rows[0]
    assert first.year == 2024 and first.hour == 9
    assert first.month == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert first.day == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert (
        Article.objects.filter(published__isnull=False)
        .annotate(h=ExtractHour("published"))
        .filter(h__gte=10)
        .count()
        == 2
    )


def test_q_operators(articles):
    assert titles(Article.objects.filter(Q(views=10) | Q(views=40)).order_by("id")) == [
        "Alpha",
        "delta",
    ]
    assert titles(Article.objects.filter(Q(views__gt=10) & ~Q(views=40)).order_by("id")) == [
        "beta",
        "Gamma",
    ]
    assert titles(Article.objects.filter(Q(views__gt=15) ^ Q(views__lt=35)).order_by("id")) == [
        "Alpha",
        "delta",
    ]


def test_select_for_update_inside_atomic(vendor, articles):
    with orm.atomic():
        locked = list(Article.objects.select_for_update().filter(views__gt=15).order_by("id"))
        assert len(locked) == 3
        list(Article.objects.select_for_update(skip_locked=True).filter(slug="alpha"))
        list(Article.objects.select_for_update(nowait=True).filter(slug="beta"))
    with orm.capture_queries() as queries, orm.atomic():
        list(Article.objects.select_for_update().filter(slug="beta"))
    locking = any("FOR UPDATE" in query.sql.upper() for query in queries)
    assert locking == (vendor != "sqlite")
    dialect = orm.connections["default"].dialect
    if dialect.supports_for_update_of:
        with orm.atomic():
            assert len(Article.objects.select_for_update(of=("self",)).filter(slug="beta")) == 1
    elif vendor != "sqlite":
        with pytest.raises(orm.NotSupportedError), orm.atomic():
            list(Article.objects.select_for_update(of=("self",)))


def test_exclude_on_a_json_key_keeps_documents_without_the_key(articles):
    # Alpha {"k": 1}, beta {"owner"}, Gamma NULL document, delta {"k": 2}
    assert sorted(Article.objects.exclude(data__k=1).values_list("slug", flat=True)) == [
        "beta",
        "delta",
        "gamma",
    ]
    assert sorted(Article.objects.exclude(data__k__gt=1).values_list("slug", flat=True)) == [
        "alpha",
        "beta",
        "gamma",
    ]


def test_xor_with_a_condition_that_matches_every_or_no_row(articles):
    everything = ~Q(views__in=[])
    nothing = Q(views__in=[])
    assert titles(Article.objects.filter(everything ^ Q(views=10)).order_by("id")) == [
        "beta",
        "Gamma",
        "delta",
    ]
    assert titles(Article.objects.filter(nothing ^ Q(views=10))) == ["Alpha"]
    assert Article.objects.filter(everything ^ everything).count() == 0
    assert Article.objects.exclude(nothing ^ nothing).count() == 4
