"""SPEC §4: QuerySet methods, lookups, expressions and result types, on every backend."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

import orm


@pytest.fixture
def blog(models):
    """Three authors, four posts, three tags."""
    ann = models.Author.objects.create(name="Ann", email="ann@x.org", born=datetime.date(1980, 3, 4))
    bob = models.Author.objects.create(name="Bob", email="bob@x.org")
    cy = models.Author.objects.create(name="Cy", email="cy@x.org")
    python, orm_tag, misc = (models.Tag.objects.create(name=n) for n in ("python", "orm", "misc"))
    p1 = models.Post.objects.create(author=ann, title="Alpha", status="pub")
    p2 = models.Post.objects.create(author=ann, title="Beta")
    p3 = models.Post.objects.create(author=bob, title="Gamma", status="pub")
    p4 = models.Post.objects.create(author=bob, title="delta", body="x")
    p1.tags.add(python, orm_tag)
    p2.tags.add(python)
    p3.tags.add(misc)
    return models, {"ann": ann, "bob": bob, "cy": cy, "posts": [p1, p2, p3, p4]}


def test_every_section_name_is_importable_from_orm():
    names = (
        "Q F Value ExpressionWrapper Case When Subquery OuterRef Exists Func Cast Coalesce "
        "Lower Upper Length Concat Now Count Sum Avg Min Max StdDev Variance Prefetch "
        "TruncDate TruncDay TruncMonth TruncYear ExtractYear ExtractMonth ExtractDay FieldError "
        "QuerySet"
    ).split()
    missing = [name for name in names if not hasattr(orm, name)]
    assert not missing


def test_queryset_is_lazy_chainable_and_cached(blog):
    models, _ = blog
    base = models.Author.objects.all()
    with orm.capture_queries() as queries:
        filtered = base.filter(name__startswith="A").exclude(email="zzz")
    assert len(queries) == 0
    assert filtered is not base
    with orm.capture_queries() as queries:
        assert len(filtered) == 1
        assert list(filtered) and bool(filtered)
    assert len(queries) == 1


def test_slicing_index_errors(blog):
    models, _ = blog
    authors = models.Author.objects.order_by("name")
    assert [a.name for a in authors[1:3]] == ["Bob", "Cy"]
    assert authors[0].name == "Ann"
    assert authors[2].name == "Cy"
    with pytest.raises(IndexError):
        authors[5]
    with pytest.raises(ValueError):
        authors[-1]
    with pytest.raises(ValueError):
        authors[-2:]


def test_repr_shows_at_most_21_rows(models):
    models.Tag.objects.bulk_create([models.Tag(name=f"t{n:02}") for n in range(30)])
    text = repr(models.Tag.objects.all())
    assert text.startswith("<QuerySet [")
    assert text.count("<Tag:") == 20 or text.count("<Tag:") == 21
    assert "remaining elements truncated" in text
    assert repr(models.Tag.objects.none()) == "<QuerySet []>"


def test_get_or_create_update_or_create(blog):
    models, people = blog
    obj, created = models.Author.objects.get_or_create(email="ann@x.org", defaults={"name": "N"})
    assert (obj, created) == (people["ann"], False)
    obj, created = models.Author.objects.get_or_create(email="new@x.org", defaults={"name": "N"})
    assert created is True and obj.pk is not None and obj.name == "N"
    obj, created = models.Author.objects.update_or_create(email="new@x.org", defaults={"name": "M"})
    assert created is False and models.Author.objects.get(pk=obj.pk).name == "M"
    obj, created = models.Author.objects.update_or_create(email="u@x.org", defaults={"name": "U"})
    assert created is True


def test_get_errors(blog):
    models, _ = blog
    with pytest.raises(models.Author.DoesNotExist):
        models.Author.objects.get(name="nobody")
    with pytest.raises(orm.ObjectDoesNotExist):
        models.Author.objects.get(name="nobody")
    with pytest.raises(models.Author.MultipleObjectsReturned):
        models.Author.objects.get(email__contains="x.org")
    with pytest.raises(orm.MultipleObjectsReturned):
        models.Author.objects.get(email__contains="x.org")


def test_bulk_create_returns_list_and_sets_pks(models):
    tags = [models.Tag(name="a"), models.Tag(name="b"), models.Tag(name="c")]
    result = models.Tag.objects.bulk_create(tags, batch_size=2)
    assert isinstance(result, list) and result == tags
    assert all(tag.pk is not None for tag in result)
    assert models.Tag.objects.count() == 3


def test_bulk_create_conflicts(models):
    models.Tag.objects.create(name="a")
    models.Tag.objects.bulk_create([models.Tag(name="a"), models.Tag(name="b")], ignore_conflicts=True)
    assert sorted(models.Tag.objects.values_list("name", flat=True)) == ["a", "b"]
    models.Author.objects.create(name="Old", email="e@x.org")
    models.Author.objects.bulk_create(
        [models.Author(name="New", email="e@x.org")],
        update_conflicts=True,
        update_fields=["name"],
        unique_fields=["email"],
    )
    assert models.Author.objects.get(email="e@x.org").name == "New"


def test_bulk_update_and_update_return_counts(blog):
    models, people = blog
    posts = list(models.Post.objects.order_by("id"))
    for post in posts:
        post.title = post.title.upper()
    result = models.Post.objects.bulk_update(posts, ["title"], batch_size=3)
    assert result == 4
    assert models.Post.objects.filter(title="ALPHA").exists()
    assert models.Post.objects.filter(author=people["ann"]).update(status="draft") == 2


def test_in_bulk_count_exists_contains_first_last(blog):
    models, people = blog
    ann, bob = people["ann"], people["bob"]
    assert models.Author.objects.in_bulk([ann.pk, bob.pk]) == {ann.pk: ann, bob.pk: bob}
    assert models.Author.objects.in_bulk(["ann@x.org"], field_name="email") == {"ann@x.org": ann}
    assert models.Author.objects.count() == 3 and isinstance(models.Author.objects.count(), int)
    assert models.Author.objects.filter(name="Ann").exists()
    assert not models.Author.objects.filter(name="Zed").exists()
    assert models.Author.objects.contains(ann)
    assert not models.Author.objects.filter(name="Bob").contains(ann)
    assert models.Author.objects.first() == ann  # Meta.ordering = ["name"]
    assert models.Author.objects.last() == people["cy"]
    assert models.Author.objects.filter(name="Zed").first() is None


def test_earliest_latest(blog):
    models, people = blog
    assert models.Post.objects.earliest("created") == people["posts"][0]
    assert models.Post.objects.latest("id") == people["posts"][3]
    assert models.Author.objects.filter(born__isnull=False).latest("born") == people["ann"]


def test_order_by_forms(blog):
    models, _ = blog
    names = lambda qs: [a.name for a in qs]  # noqa: E731
    assert names(models.Author.objects.order_by("-name")) == ["Cy", "Bob", "Ann"]
    titles = list(models.Post.objects.order_by("-author__name", "id").values_list("title", flat=True))
    assert titles == ["Gamma", "delta", "Alpha", "Beta"]
    # "author" follows Author's Meta.ordering; "author_id" is the raw column.
    by_relation = list(models.Post.objects.order_by("-author", "id").values_list("title", flat=True))
    assert by_relation == ["Gamma", "delta", "Alpha", "Beta"]
    with orm.capture_queries() as queries:
        list(models.Post.objects.order_by("author_id"))
    assert "JOIN" not in queries[0].sql
    assert len(list(models.Author.objects.order_by("?"))) == 3
    by_born = names(models.Author.objects.order_by(orm.F("born").desc(nulls_last=True), "name"))
    assert by_born == ["Ann", "Bob", "Cy"]
    by_born_first = names(models.Author.objects.order_by(orm.F("born").asc(nulls_first=True), "name"))
    assert by_born_first == ["Bob", "Cy", "Ann"]
    assert names(models.Author.objects.order_by("name").reverse()) == ["Cy", "Bob", "Ann"]


def test_distinct_values_values_list(blog):
    models, _ = blog
    authors = models.Author.objects.filter(posts__tags__name="python").distinct()
    assert [a.name for a in authors] == ["Ann"]
    rows = list(models.Author.objects.order_by("name").values("name", "email")[:1])
    assert rows == [{"name": "Ann", "email": "ann@x.org"}]
    assert list(models.Author.objects.values_list("name", flat=True)) == ["Ann", "Bob", "Cy"]
    pairs = list(models.Author.objects.values_list("name", "email"))
    assert pairs[0] == ("Ann", "ann@x.org")
    named = models.Author.objects.values_list("name", named=True).first()
    assert named.name == "Ann"
    related = list(models.Post.objects.filter(title="Alpha").values("author__name"))
    assert related == [{"author__name": "Ann"}]


@pytest.mark.backends("postgresql")
def test_distinct_on_fields_postgresql(blog):
    models, _ = blog
    rows = list(models.Post.objects.order_by("author_id", "title").distinct("author_id"))
    assert [post.title for post in rows] == ["Alpha", "Gamma"]


def test_annotate_alias_aggregate(blog):
    models, _ = blog
    counted = {a.name: a.n for a in models.Author.objects.annotate(n=orm.Count("posts"))}
    assert counted == {"Ann": 2, "Bob": 2, "Cy": 0}
    assert all(type(n) is int for n in counted.values())
    aliased = models.Author.objects.alias(n=orm.Count("posts")).filter(n__gte=2)
    assert sorted(a.name for a in aliased) == ["Ann", "Bob"]
    totals = models.Post.objects.aggregate(
        n=orm.Count("id"),
        pub=orm.Count("id", filter=orm.Q(status="pub")),
        authors=orm.Count("author", distinct=True),
        top=orm.Max("id"),
        low=orm.Min("id"),
    )
    assert totals["n"] == 4 and totals["pub"] == 2 and totals["authors"] == 2
    assert type(totals["n"]) is int
    assert totals["top"] > totals["low"]


def test_sum_avg_types(models):
    models.Sample.objects.create(integer=1, decimal=decimal.Decimal("1.25"), floating=1.0)
    models.Sample.objects.create(integer=2, decimal=decimal.Decimal("2.25"), floating=3.0)
    result = models.Sample.objects.aggregate(
        s=orm.Sum("integer"), d=orm.Sum("decimal"), a=orm.Avg("floating"),
        sd=orm.StdDev("floating"), v=orm.Variance("floating"),
    )
    assert result["s"] == 3 and type(result["s"]) is int
    assert type(result["a"]) is float and type(result["v"]) is float
    ints = models.Sample.objects.aggregate(a=orm.Avg("integer"), m=orm.Max("integer"))
    assert ints == {"a": 1.5, "m": 2} and type(ints["a"]) is float and type(ints["m"]) is int
    annotated = models.Sample.objects.annotate(total=orm.Sum("integer")).order_by("id").first()
    assert type(annotated.total) is int
    assert result["d"] == decimal.Decimal("3.50") and isinstance(result["d"], decimal.Decimal)
    assert result["a"] == pytest.approx(2.0)
    assert result["v"] == pytest.approx(1.0)
    assert result["sd"] == pytest.approx(1.0)


def test_select_related_and_prefetch_related_query_counts(blog):
    models, _ = blog
    with orm.capture_queries() as queries:
        posts = list(models.Post.objects.select_related("author").order_by("id"))
        assert [p.author.name for p in posts] == ["Ann", "Ann", "Bob", "Bob"]
    assert len(queries) == 1
    with orm.capture_queries() as queries:
        posts = list(models.Post.objects.prefetch_related("tags").order_by("id"))
        assert sorted(t.name for t in posts[0].tags.all()) == ["orm", "python"]
    assert len(queries) == 2
    with orm.capture_queries() as queries:
        authors = list(
            models.Author.objects.prefetch_related(
                orm.Prefetch("posts", queryset=models.Post.objects.filter(status="pub"), to_attr="pub")
            )
        )
        assert {a.name: [p.title for p in a.pub] for a in authors} == {
            "Ann": ["Alpha"], "Bob": ["Gamma"], "Cy": []
        }
    assert len(queries) == 2


def test_only_defer_using(blog):
    models, _ = blog
    author = models.Author.objects.only("name").get(name="Ann")
    with orm.capture_queries() as queries:
        assert author.email == "ann@x.org"
    assert len(queries) == 1
    author = models.Author.objects.defer("email").get(name="Ann")
    assert author.name == "Ann" and author.email == "ann@x.org"
    assert models.Author.objects.using("default").count() == 3


def test_select_for_update_inside_atomic(blog, spec_db):
    models, _ = blog
    with orm.atomic():
        rows = list(models.Author.objects.select_for_update().filter(name="Ann"))
        assert len(rows) == 1
    if spec_db == "postgresql":
        with orm.atomic():
            assert len(list(models.Author.objects.select_for_update(nowait=True).all())) == 3
            assert len(list(models.Author.objects.select_for_update(skip_locked=True).all())) == 3
            posts = models.Post.objects.select_related("author").select_for_update(of=("self",))
            assert len(list(posts)) == 4


def test_delete_returns_total_and_per_label_counts_with_junction(blog):
    models, _ = blog
    total, per_label = models.Post.objects.filter(author__name="Ann").delete()
    assert per_label == {"specblog.Post": 2, "specblog.Post_tags": 3}
    assert total == 5
    total, per_label = models.Author.objects.filter(name="Bob").delete()
    assert per_label["specblog.Author"] == 1 and per_label["specblog.Post"] == 2
    assert per_label["specblog.Post_tags"] == 1
    assert total == sum(per_label.values())


def test_iterator_streams(models):
    models.Tag.objects.bulk_create([models.Tag(name=f"t{n:03}") for n in range(50)])
    names = [tag.name for tag in models.Tag.objects.order_by("name").iterator(chunk_size=7)]
    assert names == [f"t{n:03}" for n in range(50)]
    assert len(list(models.Tag.objects.iterator())) == 50


def test_set_operations_none_explain(blog, spec_db):
    models, _ = blog
    a = models.Author.objects.filter(name__in=["Ann", "Bob"])
    b = models.Author.objects.filter(name__in=["Bob", "Cy"])
    assert sorted(x.name for x in a.union(b)) == ["Ann", "Bob", "Cy"]
    assert [x.name for x in a.intersection(b)] == ["Bob"]
    assert [x.name for x in a.difference(b)] == ["Ann"]
    assert list(models.Author.objects.none()) == []
    assert models.Author.objects.none().count() == 0
    assert isinstance(models.Author.objects.filter(name="Ann").explain(), str)


def test_raw_on_manager(blog):
    models, _ = blog
    rows = list(
        models.Author.objects.raw("SELECT * FROM specblog_author WHERE name = %s", ["Bob"])
    )
    assert len(rows) == 1 and isinstance(rows[0], models.Author) and rows[0].email == "bob@x.org"


def test_keyset_pagination_after(blog):
    models, _ = blog
    ordered = models.Post.objects.order_by("created", "id")
    first_page = list(ordered.after(None, size=2)) if _accepts_none(ordered) else list(ordered[:2])
    assert [p.title for p in first_page] == ["Alpha", "Beta"]
    with orm.capture_queries() as queries:
        second = list(ordered.after(first_page[-1], size=2))
    assert [p.title for p in second] == ["Gamma", "delta"]
    assert "OFFSET" not in queries[0].sql.upper()
    last = first_page[-1]
    by_values = list(ordered.after({"created": last.created, "id": last.id}, size=50))
    assert [p.title for p in by_values] == ["Gamma", "delta"]


def _accepts_none(queryset) -> bool:
    try:
        queryset.after(None, size=1)
    except Exception:
        return False
    return True


def test_lookups(blog, spec_db):
    models, people = blog
    titles = lambda qs: sorted(p.title for p in qs)  # noqa: E731
    P = models.Post.objects
    assert titles(P.filter(title__exact="Alpha")) == ["Alpha"]
    assert titles(P.filter(title__iexact="ALPHA")) == ["Alpha"]
    assert titles(P.filter(title__contains="lph")) == ["Alpha"]
    assert titles(P.filter(title__icontains="LPH")) == ["Alpha"]
    assert titles(P.filter(title__in=["Alpha", "Beta"])) == ["Alpha", "Beta"]
    assert titles(P.filter(author__in=models.Author.objects.filter(name="Bob"))) == ["Gamma", "delta"]
    first_id = people["posts"][0].id
    assert len(P.filter(id__gt=first_id)) == 3 and len(P.filter(id__gte=first_id)) == 4
    assert len(P.filter(id__lt=first_id + 1)) == 1 and len(P.filter(id__lte=first_id + 1)) == 2
    assert titles(P.filter(title__startswith="Al")) == ["Alpha"]
    assert titles(P.filter(title__istartswith="al")) == ["Alpha"]
    assert titles(P.filter(title__endswith="ta")) == ["Beta", "delta"]
    assert titles(P.filter(title__iendswith="TA")) == ["Beta", "delta"]
    assert len(P.filter(id__range=(first_id, first_id + 1))) == 2
    assert [a.name for a in models.Author.objects.filter(born__isnull=True)] == ["Bob", "Cy"]
    assert [a.name for a in models.Author.objects.filter(born=None)] == ["Bob", "Cy"]
    assert titles(P.filter(title__regex=r"^[AB]")) == ["Alpha", "Beta"]
    assert titles(P.filter(title__iregex=r"^d")) == ["delta"]


def test_case_sensitivity_of_exact_and_contains(blog, spec_db):
    models, _ = blog
    assert models.Post.objects.filter(title__contains="LPH").count() == 0 or spec_db == "mysql"


def test_date_transforms(models):
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    models.Sample.objects.create(datetime=moment, date=datetime.date(2023, 2, 3))
    S = models.Sample.objects
    assert S.filter(datetime__date=datetime.date(2024, 5, 6)).count() == 1
    assert S.filter(datetime__year=2024, datetime__month=5, datetime__day=6).count() == 1
    assert S.filter(datetime__hour=7, datetime__minute=8).count() == 1
    assert S.filter(date__year=2023, date__month__gte=2).count() == 1
    # 2023-02-03 is a Friday: Django's week_day is 1=Sunday .. 7=Saturday.
    assert S.filter(date__week_day=6).count() == 1
    assert S.filter(date__year__lt=2023).count() == 0


def test_json_key_paths(models, spec_db):
    models.Sample.objects.create(data={"owner": {"name": "x"}, "k": 1})
    models.Sample.objects.create(data={"owner": {"name": "y"}})
    S = models.Sample.objects
    assert S.filter(data__owner__name="x").count() == 1
    assert S.filter(data__has_key="k").count() == 1
    assert S.exclude(data__has_key="k").count() == 1


def test_reverse_relation_lookups(blog):
    models, _ = blog
    assert [p.title for p in models.Post.objects.filter(author__name__startswith="A").order_by("id")] == [
        "Alpha", "Beta"
    ]
    names = [a.name for a in models.Author.objects.filter(posts__tags__name="python").distinct()]
    assert names == ["Ann"]
    assert [t.name for t in models.Tag.objects.filter(post__title="Alpha")] == ["orm", "python"]


def test_unknown_field_or_lookup_raises_field_error_naming_choices(blog):
    models, _ = blog
    with pytest.raises(orm.FieldError) as error:
        models.Author.objects.filter(nmae="x")
    message = str(error.value)
    assert "Author" in message and "nmae" in message and "name" in message and "email" in message
    with pytest.raises(orm.FieldError) as error:
        models.Author.objects.filter(name__startswit="x")
    message = str(error.value)
    assert "startswit" in message and "startswith" in message
    with pytest.raises(orm.FieldError):
        list(models.Author.objects.order_by("nmae"))
    with pytest.raises(orm.FieldError):
        models.Author.objects.values("nmae")


def test_expressions(blog, spec_db):
    models, people = blog
    S = models.Sample.objects
    S.create(integer=3, big=4, char="Hello", text="World")
    S.create(integer=10, big=1, char="abc", text="")
    assert S.filter(integer__lt=orm.F("big")).count() == 1
    S.update(integer=orm.F("integer") + 1)
    assert sorted(S.values_list("integer", flat=True)) == [4, 11]
    assert S.filter(integer=orm.F("big") * 1).count() == 1
    assert S.filter(orm.Q(integer=4) | orm.Q(integer=11)).count() == 2
    assert S.filter(orm.Q(integer=4) & ~orm.Q(char="abc")).count() == 1
    assert S.filter(orm.Q(integer=4) ^ orm.Q(char="Hello")).count() == 0
    row = S.annotate(
        low=orm.Lower("char"), up=orm.Upper("char"), n=orm.Length("char"),
        both=orm.Concat("char", orm.Value("-"), "text"),
        big_or=orm.Coalesce("time", orm.Value(datetime.time(1, 2))),
        label=orm.Case(orm.When(integer__gt=5, then=orm.Value("big")), default=orm.Value("small")),
        as_text=orm.Cast("integer", output_field=orm.CharField(max_length=10)),
        doubled=orm.ExpressionWrapper(orm.F("integer") * 2, output_field=orm.IntegerField()),
        now=orm.Now(),
    ).get(char="Hello")
    assert (row.low, row.up, row.n, row.both) == ("hello", "HELLO", 5, "Hello-World")
    assert row.label == "small" and row.as_text == "4" and row.doubled == 8
    assert row.now.tzinfo is not None
    newest = models.Post.objects.filter(author=orm.OuterRef("pk")).order_by("-id")
    authors = models.Author.objects.annotate(
        last_title=orm.Subquery(newest.values("title")[:1]),
        has_posts=orm.Exists(models.Post.objects.filter(author=orm.OuterRef("pk"))),
    ).order_by("name")
    assert [(a.last_title, a.has_posts) for a in authors] == [
        ("Beta", True), ("delta", True), (None, False)
    ]
    by_title_across = models.Post.objects.filter(title=orm.F("author__name"))
    assert by_title_across.count() == 0
    upper = models.Author.objects.annotate(u=orm.Func("name", function="UPPER")).get(name="Ann")
    assert upper.u == "ANN"


def test_trunc_and_extract(models):
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    models.Sample.objects.create(datetime=moment)
    row = models.Sample.objects.annotate(
        y=orm.ExtractYear("datetime"), m=orm.ExtractMonth("datetime"),
        month=orm.TruncMonth("datetime"), day=orm.TruncDate("datetime"),
    ).get()
    assert (row.y, row.m) == (2024, 5)
    assert row.month == datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
    assert row.day == datetime.date(2024, 5, 6)


def test_values_are_python_types(models):
    key = uuid.uuid4()
    models.Sample.objects.create(uuid=key, decimal=decimal.Decimal("9.99"), date=datetime.date(2020, 1, 1))
    row = models.Sample.objects.values("uuid", "decimal", "date").get()
    assert row == {"uuid": key, "decimal": decimal.Decimal("9.99"), "date": datetime.date(2020, 1, 1)}
    assert isinstance(models.Sample.objects.values_list("uuid", flat=True).get(), uuid.UUID)
