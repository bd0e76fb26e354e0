"""Behaviours found by probing the QuerySet on every backend (helper P1's round)."""

from __future__ import annotations

import pytest

import orm


class ProbeTag(orm.Model):
    name = orm.CharField(max_length=20, unique=True)
    uses = orm.IntegerField(default=0)

    class Meta:
        app_label = "probep1"


MODELS = [ProbeTag]


def test_bulk_create_update_conflicts_sets_pks_where_returned(models_db, vendor):
    existing = ProbeTag.objects.create(name="x")
    objs = ProbeTag.objects.bulk_create(
        [ProbeTag(name="x", uses=5), ProbeTag(name="new")],
        update_conflicts=True, unique_fields=["name"], update_fields=["uses"],
    )
    assert ProbeTag.objects.count() == 2
    assert ProbeTag.objects.get(name="x").uses == 5
    if vendor == "mysql":
        pytest.skip("MySQL does not return rows from INSERT ... ON DUPLICATE KEY UPDATE")
    assert objs[0].pk == existing.pk
    assert objs[1].pk == ProbeTag.objects.get(name="new").pk


class ProbeShift(orm.Model):
    starts = orm.TimeField()

    class Meta:
        app_label = "probep1"


MODELS.append(ProbeShift)


def test_time_field_hour_minute_second_lookups(models_db):
    import datetime

    ProbeShift.objects.create(starts=datetime.time(13, 45, 1, 500))
    ProbeShift.objects.create(starts=datetime.time(9, 5, 7))
    assert ProbeShift.objects.filter(starts__hour=13).count() == 1
    assert ProbeShift.objects.filter(starts__minute=5, starts__second=7).count() == 1
    rows = ProbeShift.objects.order_by("starts").values_list("starts__hour", "starts__minute", "starts__second")
    assert list(rows) == [(9, 5, 7), (13, 45, 1)]


class ProbeDocument(orm.Model):
    data = orm.JSONField(null=True)

    class Meta:
        app_label = "probep1"


MODELS.append(ProbeDocument)


@pytest.fixture
def documents(models_db):
    values = [
        {"a": 1, "b": {"c": "x"}, "l": [1, 2], "t": True},
        {"a": 2, "l": [3]},
        None,
        [1, "a", {"k": 1}],
        "plain",
    ]
    return [ProbeDocument.objects.create(data=value) for value in values]


def numbers(queryset, documents):
    positions = {document.pk: number for number, document in enumerate(documents)}
    return sorted(positions[pk] for pk in queryset.values_list("pk", flat=True))


def test_json_contains_is_containment_not_text(documents):
    found = ProbeDocument.objects.filter
    assert numbers(found(data__contains={"a": 1}), documents) == [0]
    assert numbers(found(data__contains={"b": {"c": "x"}, "l": [2]}), documents) == [0]
    assert numbers(found(data__contains={"l": [2, 3]}), documents) == []
    assert numbers(found(data__contains={"t": True}), documents) == [0]
    assert numbers(found(data__contains={"a": "1"}), documents) == []
    assert numbers(found(data__contains=["a"]), documents) == [3]
    assert numbers(found(data__contains=[{"k": 1}]), documents) == [3]
    assert numbers(found(data__contains="a"), documents) == [3]
    assert numbers(found(data__contains="plain"), documents) == [4]
    # As Django: exclude() keeps the NULL document.
    assert numbers(ProbeDocument.objects.exclude(data__contains={"a": 1}), documents) == [1, 2, 3, 4]


def test_json_contained_by(documents):
    found = ProbeDocument.objects.filter
    assert numbers(found(data__contained_by={"a": 2, "l": [3, 4], "z": 0}), documents) == [1]
    assert numbers(found(data__contained_by=[1, "a", {"k": 1, "m": 2}, 5]), documents) == [3]


def test_json_has_key_ignores_array_elements(documents):
    assert numbers(ProbeDocument.objects.filter(data__has_key="a"), documents) == [0, 1]
    assert numbers(ProbeDocument.objects.filter(data__a__isnull=False), documents) == [0, 1]
    assert numbers(ProbeDocument.objects.filter(data__has_any_keys=["a", "zz"]), documents) == [0, 1]


class ProbeShop(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = "probep1"


class ProbeSale(orm.Model):
    shop = orm.ForeignKey(ProbeShop, on_delete=orm.CASCADE, related_name="sales")
    amount = orm.IntegerField()

    class Meta:
        app_label = "probep1"


MODELS += [ProbeShop, ProbeSale]


@pytest.fixture
def shops(models_db):
    north, south, empty = (ProbeShop.objects.create(name=name) for name in ("north", "south", "empty"))
    ProbeSale.objects.bulk_create([
        ProbeSale(shop=north, amount=3), ProbeSale(shop=north, amount=5), ProbeSale(shop=south, amount=1),
    ])
    return north, south, empty


def test_annotation_wrapping_an_aggregate_groups_rows(shops):
    from orm import Coalesce, Count, Sum

    rows = ProbeShop.objects.annotate(
        doubled=Count("sales") * 2, total=Coalesce(Sum("sales__amount"), 0)
    ).order_by("name").values_list("name", "doubled", "total")
    assert [(name, doubled, int(total)) for name, doubled, total in rows] == [
        ("empty", 0, 0), ("north", 4, 8), ("south", 2, 1),
    ]
    busy = ProbeShop.objects.annotate(n=Count("sales") + 1).filter(n__gt=1).order_by("name")
    assert [shop.name for shop in busy] == ["north", "south"]


def test_aggregate_of_an_expression_of_aggregates(shops):
    from orm import Coalesce, Count, Max, Sum

    result = ProbeSale.objects.aggregate(
        per_sale=Sum("amount") / Count("id"), top=Coalesce(Max("amount"), 0)
    )
    assert (result["per_sale"], result["top"]) == (3, 5)


def test_aggregate_over_a_plain_annotation(shops):
    from orm import Count, F, Max, Sum

    doubled = ProbeSale.objects.annotate(twice=F("amount") * 2)
    assert doubled.aggregate(total=Sum("twice"), top=Max(F("twice") + 1)) == {"total": 18, "top": 11}
    assert doubled.filter(twice__gt=2).aggregate(total=Sum("twice")) == {"total": 16}
    by_shop = ProbeSale.objects.annotate(shop_name=F("shop__name"))
    assert by_shop.aggregate(n=Count("shop_name", distinct=True)) == {"n": 2}


def test_order_by_annotation_with_nulls_placement(shops):
    from orm import F, Max

    rows = ProbeShop.objects.annotate(top=Max("sales__amount")).order_by(F("top").asc(nulls_first=True))
    assert [(shop.name, shop.top) for shop in rows] == [("empty", None), ("south", 1), ("north", 5)]
    rows = ProbeShop.objects.annotate(top=Max("sales__amount")).order_by(F("top").desc(nulls_last=True))
    assert [shop.name for shop in rows] == ["north", "south", "empty"]
    sales = ProbeSale.objects.annotate(where=F("shop__name")).order_by(F("where").desc(nulls_last=True), "amount")
    assert [sale.amount for sale in sales] == [1, 3, 5]


def test_order_by_a_bare_aggregate_is_a_field_error(shops):
    from orm import Count, FieldError

    with pytest.raises(FieldError, match="annotate"):
        ProbeShop.objects.order_by(Count("sales").desc())


def test_grouped_values_subquery(shops):
    from orm import Count, OuterRef, Subquery, Sum

    per_shop = ProbeSale.objects.filter(shop=OuterRef("pk")).values("shop").annotate(n=Count("id")).values("n")
    rows = ProbeShop.objects.annotate(n=Subquery(per_shop)).order_by("name").values_list("name", "n")
    assert list(rows) == [("empty", None), ("north", 2), ("south", 1)]
    busy = ProbeSale.objects.values("shop").annotate(total=Sum("amount")).filter(total__gt=4).values("shop")
    assert [shop.name for shop in ProbeShop.objects.filter(pk__in=busy)] == ["north"]


def test_computed_numbers_have_their_python_type(shops):
    from orm import Coalesce, F, Sum

    totals = ProbeShop.objects.annotate(total=Coalesce(Sum("sales__amount"), 0)).order_by("name")
    assert [(type(total), total) for total in totals.values_list("total", flat=True)] == [
        (int, 0), (int, 8), (int, 1),
    ]
    halves = ProbeSale.objects.annotate(half=F("amount") * 0.5).order_by("amount").values_list("half", flat=True)
    assert [(type(half), half) for half in halves] == [(float, 0.5), (float, 1.5), (float, 2.5)]
    total = ProbeSale.objects.aggregate(total=Sum(F("amount") * 0.5))["total"]
    assert (type(total), total) == (float, 4.5)


def test_reverse_and_last_of_a_union(shops):
    union = ProbeSale.objects.filter(amount__gt=2).union(ProbeSale.objects.filter(amount=1))
    assert [sale.amount for sale in union.order_by("amount").reverse()] == [5, 3, 1]
    assert union.order_by("amount").last().amount == 5
    assert union.order_by("-amount").last().amount == 1
    assert union.last().pk == max(ProbeSale.objects.values_list("pk", flat=True))


class ProbeStamped(orm.Model):
    label = orm.CharField(max_length=20)

    class Meta:
        abstract = True
        ordering = ["-label"]


class ProbeRated(ProbeStamped):
    stars = orm.IntegerField(db_default=3)

    class Meta(ProbeStamped.Meta):
        app_label = "probep1"
        constraints = [orm.CheckConstraint(condition=orm.Q(stars__gte=0), name="probep1_stars_positive")]


MODELS.append(ProbeRated)


def test_meta_extends_an_abstract_parents_meta(models_db):
    assert not ProbeRated._meta.abstract
    assert ProbeRated._meta.ordering == ["-label"]
    ProbeRated.objects.create(label="a")
    ProbeRated.objects.create(label="b")
    assert [row.label for row in ProbeRated.objects.all()] == ["b", "a"]


def test_full_clean_check_constraint_with_db_default_and_exclude(models_db):
    ProbeRated(label="x").full_clean()
    with pytest.raises(orm.ValidationError):
        ProbeRated(label="x", stars=-1).full_clean()
    ProbeRated(label="x", stars=-1).full_clean(exclude=["stars"])


def test_union_refuses_steps_it_would_ignore(shops):
    from orm import NotSupportedError

    union = ProbeSale.objects.filter(amount__gt=2).union(ProbeSale.objects.filter(amount=1))
    for step in (
        lambda: union.filter(amount=1), lambda: union.exclude(amount=1), lambda: union.annotate(n=orm.F("amount")),
        lambda: union.distinct(), lambda: union.only("amount"), lambda: union.defer("amount"),
        lambda: union.update(amount=0), lambda: union.delete(), lambda: union.contains(ProbeSale.objects.first()),
    ):
        with pytest.raises(NotSupportedError):
            step()
    assert sorted(ProbeSale.objects.values_list("amount", flat=True)) == [1, 3, 5]


def test_aggregate_over_a_union(shops):
    from orm import Count, Max, Sum

    union = ProbeSale.objects.filter(amount__gt=2).union(ProbeSale.objects.filter(amount=1))
    assert union.aggregate(total=Sum("amount"), top=Max("amount"), n=Count("id")) == {"total": 9, "top": 5, "n": 3}
    amounts = ProbeSale.objects.filter(amount=5).values_list("amount").union(
        ProbeSale.objects.filter(amount=1).values_list("amount"), all=True
    )
    assert amounts.aggregate(total=Sum("amount")) == {"total": 6}


class ProbeBudget(orm.Model):
    spent = orm.IntegerField()
    limit = orm.IntegerField(null=True)

    class Meta:
        app_label = "probep1"


MODELS.append(ProbeBudget)


def test_exclude_compared_with_a_nullable_column_keeps_null_rows(models_db):
    from orm import F

    ProbeBudget.objects.bulk_create(
        [ProbeBudget(spent=5, limit=3), ProbeBudget(spent=1, limit=3), ProbeBudget(spent=9, limit=None)]
    )
    kept = ProbeBudget.objects.exclude(spent__gt=F("limit")).order_by("spent")
    assert [budget.spent for budget in kept] == [1, 9]
    assert ProbeBudget.objects.filter(spent__gt=F("limit")).count() == 1


class ProbeLeague(orm.Model):
    name = orm.CharField(max_length=20)
    rank = orm.IntegerField(null=True)

    class Meta:
        app_label = "probep1"
        ordering = [orm.F("rank").asc(nulls_last=True), "name"]


class ProbeClub(orm.Model):
    name = orm.CharField(max_length=20)
    league = orm.ForeignKey(ProbeLeague, on_delete=orm.CASCADE, related_name="clubs")

    class Meta:
        app_label = "probep1"


MODELS += [ProbeLeague, ProbeClub]


def test_order_by_relation_follows_an_expression_in_its_meta_ordering(models_db):
    first, second, unranked = (
        ProbeLeague.objects.create(name=name, rank=rank) for name, rank in (("z", 1), ("y", 2), ("a", None))
    )
    for name, league in (("c1", unranked), ("c2", second), ("c3", first)):
        ProbeClub.objects.create(name=name, league=league)
    assert [club.name for club in ProbeClub.objects.order_by("league")] == ["c3", "c2", "c1"]
    assert [club.name for club in ProbeClub.objects.order_by("-league")] == ["c1", "c2", "c3"]


def test_filter_with_an_unsaved_instance_is_refused(shops):
    with pytest.raises(ValueError, match="saved"):
        ProbeSale.objects.filter(shop=ProbeShop(name="new"))
    with pytest.raises(ValueError, match="saved"):
        ProbeSale.objects.filter(shop__in=[ProbeShop(name="new")])


def test_json_key_values_keep_their_json_type(models_db):
    ProbeDocument.objects.create(data={"flag": True, "code": "1", "n": 1, "ratio": 1.5, "none": None, "ключ": "значение"})
    row = ProbeDocument.objects.values_list("data__flag", "data__code", "data__n", "data__ratio", "data__none").get()
    assert [(type(value), value) for value in row] == [
        (bool, True), (str, "1"), (int, 1), (float, 1.5), (type(None), None),
    ]
    assert ProbeDocument.objects.filter(data__ключ="значение").count() == 1
    assert ProbeDocument.objects.filter(data__n=orm.F("data__n")).count() == 1
    assert ProbeDocument.objects.filter(data__ratio__gt=orm.F("data__n")).count() == 1


class ProbeMember(orm.Model):
    name = orm.CharField(max_length=20)
    age = orm.IntegerField()

    class Meta:
        app_label = "probep1"
        ordering = ["name"]


MODELS.append(ProbeMember)


def test_values_annotate_groups_ignore_meta_ordering(models_db):
    from orm import Count

    for name, age in (("a", 30), ("b", 30), ("c", 40)):
        ProbeMember.objects.create(name=name, age=age)
    groups = ProbeMember.objects.values("age").annotate(n=Count("id"))
    assert sorted(groups.values_list("age", "n")) == [(30, 2), (40, 1)]
    assert [member.name for member in ProbeMember.objects.annotate(n=Count("id"))] == ["a", "b", "c"]


def test_annotate_before_values_keeps_one_group_per_row(shops):
    from orm import Count

    north, _south, _empty = shops
    twin = ProbeShop.objects.create(name="north")
    ProbeSale.objects.create(shop=twin, amount=7)
    rows = ProbeShop.objects.annotate(n=Count("sales")).values_list("name", "n")
    assert sorted(rows) == [("empty", 0), ("north", 1), ("north", 2), ("south", 1)]
    grouped = ProbeShop.objects.values("name").annotate(n=Count("sales")).values_list("name", "n")
    assert sorted(grouped) == [("empty", 0), ("north", 3), ("south", 1)]
    both = ProbeShop.objects.annotate(n=Count("sales", distinct=True), m=Count("sales__amount", distinct=True))
    assert sorted(both.values_list("name", "n", "m")) == [("empty", 0, 0), ("north", 1, 1), ("north", 2, 2), ("south", 1, 1)]


def test_in_bulk_after_values_is_a_type_error(shops):
    with pytest.raises(TypeError, match="values"):
        ProbeShop.objects.values("name").in_bulk()
