"""``FilteredRelation``: a relation joined with a condition in its ON clause, on every backend.

Expected results are Django 5.2's for the same data, except where
docs/queries.md says otherwise (a non-null foreign key's filtered relation is
a LEFT OUTER JOIN too; two filtered relations over one many-to-many relation
have junction joins of their own; a condition matching no row joins none).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation
from orm import Count, F, FilteredRelation, Q
from orm.exceptions import FieldError
from orm.registry import registry

from .conftest import create_tables

APP = "filteredrelation"
GENERIC_APP = "filteredrelationgeneric"


class FROwner(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class FRTopping(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class FRRestaurant(orm.Model):
    name = orm.CharField(max_length=30)
    owner = orm.ForeignKey(FROwner, on_delete=orm.CASCADE, null=True, related_name="owned")
    boss = orm.ForeignKey(FROwner, on_delete=orm.CASCADE, related_name="bossed")

    class Meta:
        app_label = APP


class FRPizza(orm.Model):
    name = orm.CharField(max_length=30)
    vegetarian = orm.BooleanField(default=False)
    restaurant = orm.ForeignKey(FRRestaurant, on_delete=orm.CASCADE, related_name="pizzas")
    toppings = orm.ManyToManyField(FRTopping, related_name="pizzas")

    class Meta:
        app_label = APP


class FRLicence(orm.Model):
    restaurant = orm.OneToOneField(FRRestaurant, on_delete=orm.CASCADE, related_name="licence")
    valid = orm.BooleanField()

    class Meta:
        app_label = APP


MODELS = [FROwner, FRTopping, FRRestaurant, FRPizza, FRPizza.toppings.through, FRLicence]


@pytest.fixture
def data(models_db):
    """Two owners, three restaurants (r3 has no owner), four pizzas with toppings."""
    ann = FROwner.objects.create(name="ann")
    bob = FROwner.objects.create(name="bob")
    r1 = FRRestaurant.objects.create(name="r1", owner=ann, boss=ann)
    r2 = FRRestaurant.objects.create(name="r2", owner=bob, boss=bob)
    FRRestaurant.objects.create(name="r3", owner=None, boss=ann)
    cheese, ham, mushroom = (FRTopping.objects.create(name=name) for name in ("cheese", "ham", "mushroom"))
    FRLicence.objects.create(restaurant=r1, valid=True)
    FRLicence.objects.create(restaurant=r2, valid=False)
    pizzas = {}
    for name, vegetarian, restaurant, toppings in [
        ("margherita mozzarella", True, r1, [cheese, mushroom]),
        ("ham mozzarella", False, r1, [cheese, ham]),
        ("funghi", True, r2, [mushroom]),
        ("diavola mozzarella", False, r2, [cheese]),
    ]:
        pizza = FRPizza.objects.create(name=name, vegetarian=vegetarian, restaurant=restaurant)
        pizza.toppings.set(toppings)
        pizzas[name] = pizza
    return pizzas


@pytest.fixture
def generic(models_db):
    """Shops with generic reviews; the models are forgotten afterwards (their key to
    ContentType must not make other modules' content type deletions cascade into them)."""

    class FRReview(orm.Model):
        content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
        object_id = orm.PositiveBigIntegerField()
        content_object = GenericForeignKey()
        stars = orm.IntegerField()

        class Meta:
            app_label = GENERIC_APP

    class FRShop(orm.Model):
        name = orm.CharField(max_length=30)
        reviews = GenericRelation(FRReview)

        class Meta:
            app_label = GENERIC_APP

    ContentType.objects.clear_cache()
    try:
        create_tables(ContentType, FRReview, FRShop)
        yield SimpleNamespace(Review=FRReview, Shop=FRShop)
    finally:
        ContentType.objects.clear_cache()
        for name in list(registry.all_models.get(GENERIC_APP, {})):
            registry.unregister_model(GENERIC_APP, name)


def vegetarian():
    return FRRestaurant.objects.annotate(veg=FilteredRelation("pizzas", condition=Q(pizzas__vegetarian=True)))


def ann_owner():
    return FRRestaurant.objects.annotate(mine=FilteredRelation("owner", condition=Q(owner__name="ann")))


def test_filter_through_filtered_relation_puts_condition_in_on_clause(data):
    queryset = vegetarian().filter(veg__name__icontains="mozzarella")
    assert list(queryset.values_list("name", flat=True)) == ["r1"]
    sql = str(queryset.query)
    on_clause = sql[sql.index(" ON (") : sql.index("WHERE")]
    assert "vegetarian" in on_clause


def test_values_list_keeps_rows_without_a_matching_row(data):
    rows = vegetarian().values_list("name", "veg__name").order_by("name")
    assert list(rows) == [("r1", "margherita mozzarella"), ("r2", "funghi"), ("r3", None)]
    assert "LEFT OUTER JOIN" in str(rows.query)


def test_values_of_the_alias_is_the_joined_primary_key(data):
    rows = vegetarian().values("name", "veg").order_by("name")
    expected = [data["margherita mozzarella"].pk, data["funghi"].pk, None]
    assert [row["veg"] for row in rows] == expected


def test_filter_isnull_and_on_instance(data):
    assert list(vegetarian().filter(veg__isnull=True).values_list("name", flat=True)) == ["r3"]
    assert list(vegetarian().filter(veg=data["funghi"]).values_list("name", flat=True)) == ["r2"]
    assert not vegetarian().filter(veg=data["ham mozzarella"]).exists()


def test_alias_works_like_annotate(data):
    queryset = FRRestaurant.objects.alias(
        veg=FilteredRelation("pizzas", condition=Q(pizzas__vegetarian=True))
    ).filter(veg__name__icontains="mozz")
    assert list(queryset.values_list("name", flat=True)) == ["r1"]


def test_count_over_filtered_relation(data):
    rows = vegetarian().annotate(n=Count("veg")).values_list("name", "n").order_by("name")
    assert list(rows) == [("r1", 1), ("r2", 1), ("r3", 0)]
    assert vegetarian().aggregate(n=Count("veg")) == {"n": 2}
    grouped = vegetarian().values("owner__name").annotate(n=Count("veg")).order_by("owner__name")
    assert sorted((row["owner__name"] or "", row["n"]) for row in grouped) == [("", 0), ("ann", 1), ("bob", 1)]


def test_two_filtered_relations_on_one_relation_are_two_joins(data):
    queryset = FRRestaurant.objects.annotate(
        veg=FilteredRelation("pizzas", condition=Q(pizzas__vegetarian=True)),
        meat=FilteredRelation("pizzas", condition=Q(pizzas__vegetarian=False)),
    )
    rows = queryset.filter(veg__name__icontains="mozz", meat__name__icontains="mozz")
    assert list(rows.values_list("name", "veg__name", "meat__name")) == [
        ("r1", "margherita mozzarella", "ham mozzarella")
    ]
    counts = queryset.annotate(a=Count("veg"), b=Count("meat"), c=Count("pizzas"))
    assert list(counts.values_list("name", "a", "b", "c").order_by("name")) == [
        ("r1", 1, 1, 2), ("r2", 1, 1, 2), ("r3", 0, 0, 0),
    ]


def test_filtered_relation_and_plain_relation_are_separate(data):
    rows = vegetarian().filter(pizzas__name="ham mozzarella").values_list("name", "veg__name")
    assert list(rows) == [("r1", "margherita mozzarella")]


def test_exclude_over_multivalued_filtered_relation(data):
    # As Django: rows having a row of the filtered relation that matches are excluded.
    assert list(vegetarian().exclude(veg__name__icontains="mozz").values_list("name", flat=True).order_by("name")) == ["r2", "r3"]
    assert list(vegetarian().exclude(veg__isnull=True).values_list("name", flat=True).order_by("name")) == ["r1", "r2"]


def test_exclude_with_several_conditions(data):
    either = Q(veg__name="funghi") | Q(veg__name__startswith="marg")
    assert list(vegetarian().exclude(either).values_list("name", flat=True)) == ["r3"]
    assert list(vegetarian().filter(~Q(veg__name__icontains="mozz")).values_list("name", flat=True).order_by("name")) == ["r2", "r3"]
    both = vegetarian().exclude(veg__name__icontains="mozz", name="r1")
    assert list(both.values_list("name", flat=True).order_by("name")) == ["r2", "r3"]
    mixed = vegetarian().exclude(veg__name__icontains="funghi", pizzas__name__icontains="diavola")
    assert list(mixed.values_list("name", flat=True).order_by("name")) == ["r1", "r3"]


def test_reverse_one_to_one_filtered_relation(data):
    valid = FRRestaurant.objects.annotate(ok=FilteredRelation("licence", condition=Q(licence__valid=True)))
    assert list(valid.values_list("name", "ok__valid").order_by("name")) == [("r1", True), ("r2", None), ("r3", None)]
    with orm.capture_queries() as queries:
        loaded = [(r.name, r.ok and r.ok.restaurant.name) for r in valid.select_related("ok").order_by("name")]
    assert loaded == [("r1", "r1"), ("r2", None), ("r3", None)]
    assert len(queries) == 1


def test_exclude_over_single_valued_filtered_relation_keeps_null_rows(data):
    assert list(ann_owner().exclude(mine__name="ann").values_list("name", flat=True).order_by("name")) == ["r2", "r3"]


def test_forward_foreign_key_filtered_relation(data):
    rows = ann_owner().values_list("name", "mine__name", "mine").order_by("name")
    ann = FROwner.objects.get(name="ann")
    assert list(rows) == [("r1", "ann", ann.pk), ("r2", None, None), ("r3", None, None)]


def test_non_null_foreign_key_filtered_relation_is_a_left_join(data):
    # Django joins a non-null foreign key's filtered relation with INNER JOIN and so drops
    # r1 and r3 from values(); here it is LEFT OUTER, as for every other filtered relation.
    queryset = FRRestaurant.objects.annotate(chief=FilteredRelation("boss", condition=Q(boss__name="bob")))
    assert list(queryset.values_list("name", "chief__name").order_by("name")) == [
        ("r1", None), ("r2", "bob"), ("r3", None)
    ]
    assert list(queryset.filter(chief__name="bob").values_list("name", flat=True)) == ["r2"]


def test_order_by_filtered_relation(data):
    ordered = ann_owner().order_by(F("mine__name").desc(nulls_last=True), "name")
    assert list(ordered.values_list("name", flat=True)) == ["r1", "r2", "r3"]
    ordered = vegetarian().order_by("veg__name")
    assert [r.name for r in ordered if r.name != "r3"] == ["r2", "r1"]


def test_select_related_on_forward_foreign_key_filtered_relation(data):
    queryset = ann_owner().select_related("mine").order_by("name")
    with orm.capture_queries() as queries:
        loaded = [(restaurant.name, restaurant.mine and restaurant.mine.name) for restaurant in queryset]
    assert loaded == [("r1", "ann"), ("r2", None), ("r3", None)]
    assert len(queries) == 1


def test_select_related_on_reverse_filtered_relation_and_beyond(data):
    queryset = vegetarian().select_related("veg__restaurant__boss").order_by("name")
    with orm.capture_queries() as queries:
        loaded = [
            (r.name, r.veg and r.veg.name, r.veg and r.veg.restaurant.boss.name) for r in queryset
        ]
    assert loaded == [("r1", "margherita mozzarella", "ann"), ("r2", "funghi", "bob"), ("r3", None, None)]
    assert len(queries) == 1
    with pytest.raises(FieldError, match="select_related: nope. Choices on FRRestaurant are: boss, licence, owner, veg"):
        list(vegetarian().select_related("nope"))


def test_select_related_on_multivalued_filtered_relation_gives_a_row_per_joined_row(data):
    queryset = FRRestaurant.objects.annotate(any=FilteredRelation("pizzas")).select_related("any")
    loaded = sorted((r.name, r.any and r.any.name or "") for r in queryset)
    assert loaded == [
        ("r1", "ham mozzarella"), ("r1", "margherita mozzarella"),
        ("r2", "diavola mozzarella"), ("r2", "funghi"), ("r3", ""),
    ]


def test_select_related_sets_the_reverse_foreign_key(data):
    restaurants = list(vegetarian().select_related("veg").order_by("name"))
    with orm.capture_queries() as queries:
        assert restaurants[0].veg.restaurant is restaurants[0]
    assert len(queries) == 0


def test_many_to_many_filtered_relation(data):
    queryset = FRPizza.objects.annotate(m=FilteredRelation("toppings", condition=Q(toppings__name__startswith="m")))
    rows = queryset.values_list("name", "m__name").order_by("name", "m__name")
    # As Django: one row per junction row, NULL where the topping fails the condition.
    assert sorted(rows, key=lambda row: (row[0], row[1] or "")) == [
        ("diavola mozzarella", None), ("funghi", "mushroom"), ("ham mozzarella", None),
        ("ham mozzarella", None), ("margherita mozzarella", None), ("margherita mozzarella", "mushroom"),
    ]
    counted = queryset.annotate(n=Count("m")).values_list("name", "n").order_by("name")
    assert list(counted) == [
        ("diavola mozzarella", 0), ("funghi", 1), ("ham mozzarella", 0), ("margherita mozzarella", 1)
    ]


def test_two_many_to_many_filtered_relations_have_their_own_junctions(data):
    # Django shares the junction join between the two within one filter() and finds nothing.
    queryset = FRPizza.objects.annotate(
        cheese=FilteredRelation("toppings", condition=Q(toppings__name="cheese")),
        mushroom=FilteredRelation("toppings", condition=Q(toppings__name="mushroom")),
    ).filter(cheese__isnull=False, mushroom__isnull=False)
    assert list(queryset.values_list("name", flat=True)) == ["margherita mozzarella"]


def test_reverse_many_to_many_filtered_relation(data):
    rows = (
        FRTopping.objects.annotate(veg=FilteredRelation("pizzas", condition=Q(pizzas__vegetarian=True)))
        .annotate(n=Count("veg"))
        .values_list("name", "n")
        .order_by("name")
    )
    assert list(rows) == [("cheese", 1), ("ham", 0), ("mushroom", 2)]


def test_nested_relation_name(data):
    queryset = FRRestaurant.objects.annotate(
        hammy=FilteredRelation("pizzas__toppings", condition=Q(pizzas__toppings__name="ham"))
    )
    assert sorted(name for name in queryset.values_list("hammy__name", flat=True) if name) == ["ham"]
    assert list(queryset.filter(hammy__isnull=False).values_list("name", flat=True)) == ["r1"]
    # The condition may name the relations on the way (the pizza, joined plainly).
    on_the_way = FRRestaurant.objects.annotate(
        veg_toppings=FilteredRelation("pizzas__toppings", condition=Q(pizzas__vegetarian=True))
    )
    rows = on_the_way.filter(veg_toppings__isnull=False).values_list("name", "veg_toppings__name")
    assert sorted(rows) == [("r1", "cheese"), ("r1", "mushroom"), ("r2", "mushroom")]


def test_or_and_negated_conditions(data):
    either = FRRestaurant.objects.annotate(
        p=FilteredRelation("pizzas", condition=Q(pizzas__vegetarian=True) | Q(pizzas__name__startswith="ham"))
    )
    assert sorted(either.filter(p__isnull=False).values_list("name", "p__name")) == [
        ("r1", "ham mozzarella"), ("r1", "margherita mozzarella"), ("r2", "funghi")
    ]
    negated = FRRestaurant.objects.annotate(p=FilteredRelation("pizzas", condition=~Q(pizzas__vegetarian=True)))
    assert sorted(negated.values_list("name", "p__name"), key=lambda row: row[0]) == [
        ("r1", "ham mozzarella"), ("r2", "diavola mozzarella"), ("r3", None)
    ]


def test_condition_on_the_querys_own_columns(data):
    queryset = FRRestaurant.objects.annotate(
        p=FilteredRelation("pizzas", condition=Q(pizzas__name__startswith=F("name")) | Q(name="r2"))
    )
    rows = queryset.filter(p__isnull=False).values_list("name", "p__name").order_by("p__name")
    assert list(rows) == [("r2", "diavola mozzarella"), ("r2", "funghi")]


def test_condition_matching_nothing_joins_no_row(data):
    # Django turns the whole query empty here; the condition only decides what is joined.
    queryset = FRRestaurant.objects.annotate(p=FilteredRelation("pizzas", condition=Q(pizzas__pk__in=[])))
    assert list(queryset.values_list("name", "p__name").order_by("name")) == [("r1", None), ("r2", None), ("r3", None)]


def test_filtered_relation_in_subqueries_updates_and_deletes(data):
    chosen = vegetarian().filter(veg__name__icontains="mozz").values("pk")
    assert list(FRRestaurant.objects.filter(pk__in=chosen).values_list("name", flat=True)) == ["r1"]
    owners = FROwner.objects.filter(orm.Exists(vegetarian().filter(owner=orm.OuterRef("pk"), veg__isnull=False)))
    assert sorted(owners.values_list("name", flat=True)) == ["ann", "bob"]
    assert vegetarian().filter(veg__name="funghi").update(name="r2b") == 1
    assert sorted(FRRestaurant.objects.values_list("name", flat=True)) == ["r1", "r2b", "r3"]
    vegetarian().filter(veg__name="funghi").delete()
    assert sorted(FRRestaurant.objects.values_list("name", flat=True)) == ["r1", "r3"]


def test_chained_querysets_keep_their_own_filtered_relations(data):
    base = vegetarian()
    more = base.annotate(ham=FilteredRelation("pizzas", condition=Q(pizzas__name__startswith="ham")))
    assert list(more.filter(ham__isnull=False).values_list("name", "veg__name", "ham__name")) == [
        ("r1", "margherita mozzarella", "ham mozzarella")
    ]
    with pytest.raises(FieldError, match="ham"):
        list(base.filter(ham__isnull=False))


def test_generic_relation_filtered_relation(data, generic):
    good = generic.Shop.objects.create(name="good")
    bad = generic.Shop.objects.create(name="bad")
    for shop, stars in [(good, 5), (good, 2), (bad, 1)]:
        generic.Review.objects.create(content_object=shop, stars=stars)
    # Another model's row with the same id is not a review of the shop.
    generic.Review.objects.create(content_object=FROwner.objects.get(pk=good.pk), stars=5)
    queryset = generic.Shop.objects.annotate(great=FilteredRelation("reviews", condition=Q(reviews__stars__gte=4)))
    rows = queryset.annotate(n=Count("great")).values_list("name", "n").order_by("name")
    assert list(rows) == [("bad", 0), ("good", 1)]
    assert list(queryset.filter(great__isnull=True).values_list("name", flat=True)) == ["bad"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: FilteredRelation(""), "relation_name cannot be empty"),
        (lambda: FilteredRelation("pizzas", condition={"x": 1}), "must be a Q"),
        (
            lambda: FRRestaurant.objects.annotate(p=FilteredRelation("pizzas__name__icontains")),
            "relation_name cannot contain lookups",
        ),
        (
            lambda: FRRestaurant.objects.annotate(p=FilteredRelation("name")),
            "must name a relation",
        ),
        (
            lambda: FRRestaurant.objects.annotate(
                p=FilteredRelation("pizzas", condition=Q(pizzas__toppings__name="ham"))
            ),
            "nested relations deeper than the relation_name",
        ),
        (
            lambda: FRRestaurant.objects.annotate(
                p=FilteredRelation("pizzas", condition=Q(owner__name__exact="ann"))
            ),
            "relations outside the 'pizzas'",
        ),
        (
            lambda: FRRestaurant.objects.annotate(
                p=FilteredRelation("pizzas", condition=Q(pizzas__in=FRPizza.objects.all()))
            ),
            "QuerySet within a FilteredRelation",
        ),
        (lambda: FRRestaurant.objects.annotate(name=FilteredRelation("pizzas")), "conflicts with a field"),
        (lambda: FRRestaurant.objects.filter(pizzas=FilteredRelation("pizzas")), "not an expression"),
    ],
)
def test_invalid_filtered_relations_raise_value_error(models_db, make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_alias_names_the_filtered_relations_in_choices(data):
    with pytest.raises(FieldError, match="veg"):
        list(vegetarian().filter(vgg__name="x"))


def test_condition_with_outer_reference_in_a_subquery(data):
    FRPizza.objects.create(name="bob special", restaurant=FRRestaurant.objects.get(name="r1"))
    with_prefix = FRRestaurant.objects.annotate(
        p=FilteredRelation("pizzas", condition=Q(pizzas__name__startswith=orm.OuterRef("name")))
    ).filter(p__isnull=False)
    owners = FROwner.objects.filter(orm.Exists(with_prefix))
    assert list(owners.values_list("name", flat=True)) == ["bob"]
    first = orm.Subquery(with_prefix.order_by("p__name").values("p__name")[:1])
    assert list(FROwner.objects.annotate(first=first).values_list("name", "first").order_by("name")) == [
        ("ann", None), ("bob", "bob special")
    ]

