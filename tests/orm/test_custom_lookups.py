"""Custom lookups and transforms registered with ``register_lookup``, as in Django."""

from __future__ import annotations

import pytest

import orm


class NotEqual(orm.Lookup):
    lookup_name = "ne"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} <> {rhs}", [*lhs_params, *rhs_params]


class AbsoluteValue(orm.Transform):
    lookup_name = "abs"
    function = "ABS"


class UpperCase(orm.Transform):
    lookup_name = "upper"
    function = "UPPER"
    bilateral = True


class LooseCharField(orm.CharField):
    """A CharField whose ``exact`` ignores case (a built-in name replaced)."""


class LooseExact(orm.Lookup):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", [*lhs_params, *rhs_params]


class LkPerson(orm.Model):
    name = orm.CharField(max_length=20)
    nick = LooseCharField(max_length=20, default="")
    delta = orm.IntegerField(default=0)

    class Meta:
        app_label = "customlookups"


MODELS = [LkPerson]


@pytest.fixture
def people(models_db):
    orm.Field.register_lookup(NotEqual)
    orm.IntegerField.register_lookup(AbsoluteValue)
    orm.CharField.register_lookup(UpperCase)
    LooseCharField.register_lookup(LooseExact)
    LkPerson.objects.bulk_create([
        LkPerson(name="Doe", nick="Dee", delta=-3),
        LkPerson(name="roe", nick="ROE", delta=2),
        LkPerson(name="Moe", nick="mo", delta=3),
    ])
    yield
    orm.Field._unregister_lookup(NotEqual)
    orm.IntegerField._unregister_lookup(AbsoluteValue)
    orm.CharField._unregister_lookup(UpperCase)
    LooseCharField._unregister_lookup(LooseExact)


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def test_a_registered_lookup_filters_excludes_and_nests_in_q(people):
    assert names(LkPerson.objects.filter(name__ne="Doe")) == ["Moe", "roe"]
    assert names(LkPerson.objects.exclude(name__ne="Doe")) == ["Doe"]
    assert names(LkPerson.objects.filter(orm.Q(name__ne="Doe") & orm.Q(delta__ne=2))) == ["Moe"]
    assert names(LkPerson.objects.filter(delta__ne=orm.F("delta"))) == []


def test_a_registered_transform_chains_with_lookups(people):
    assert names(LkPerson.objects.filter(delta__abs=3)) == ["Doe", "Moe"]
    assert names(LkPerson.objects.filter(delta__abs__lt=3)) == ["roe"]
    assert names(LkPerson.objects.filter(delta__abs__ne=3)) == ["roe"]
    rows = LkPerson.objects.annotate(size=orm.F("delta__abs")).order_by("name").values_list("name", "size")
    assert list(rows) == [("Doe", 3), ("Moe", 3), ("roe", 2)]


def test_a_bilateral_transform_applies_to_the_value_too(people):
    assert names(LkPerson.objects.filter(name__upper="doe")) == ["Doe"]
    assert names(LkPerson.objects.filter(name__upper__in=["ROE", "moe"])) == ["Moe", "roe"]
    assert names(LkPerson.objects.filter(name__upper__startswith="m")) == ["Moe"]


def test_a_replaced_builtin_is_used_by_repeated_queries(people):
    for _ in range(3):  # the second run on would take a cached statement
        assert names(LkPerson.objects.filter(nick="dee")) == ["Doe"]
        assert LkPerson.objects.get(nick="roe").name == "roe"
    with orm.capture_queries() as queries:  # CharField's own exact is unchanged
        list(LkPerson.objects.filter(name="doe"))
    assert "LOWER" not in queries[0].sql.upper()


def test_get_lookups_and_unregistering(people):
    assert orm.IntegerField.get_lookups()["abs"] is AbsoluteValue
    assert orm.IntegerField.get_lookups()["ne"] is NotEqual  # inherited from Field
    assert "abs" not in orm.CharField.get_lookups()
    orm.IntegerField._unregister_lookup(AbsoluteValue)
    try:
        with pytest.raises(orm.FieldError, match="Unsupported lookup 'abs'"):
            list(LkPerson.objects.filter(delta__abs=3))
    finally:
        orm.IntegerField.register_lookup(AbsoluteValue)


def test_unknown_names_suggest_registered_ones(people):
    with pytest.raises(orm.FieldError, match="abs"):
        list(LkPerson.objects.filter(delta__abss=3))


def test_register_lookup_needs_a_name():
    class Nameless(orm.Lookup):
        pass

    with pytest.raises(ValueError, match="lookup_name"):
        orm.Field.register_lookup(Nameless)


def test_a_bilateral_transform_keeps_wildcards_literal(people):
    LkPerson.objects.create(name="a%b_c")
    assert names(LkPerson.objects.filter(name__upper__contains="%b_")) == ["a%b_c"]
    assert names(LkPerson.objects.filter(name__upper__contains="%")) == ["a%b_c"]
    assert names(LkPerson.objects.filter(name__upper__endswith="_C")) == ["a%b_c"]
    assert names(LkPerson.objects.filter(name__upper__startswith="_")) == []


class Doubled(orm.Transform):
    lookup_name = "doubled"
    template = "(%(expressions)s * 2)"


class AbsoluteValueBelow(orm.Lookup):
    """Registered on AbsoluteValue: ``delta__abs__below=n`` is ``delta > -n AND delta < n``."""

    lookup_name = "below"

    def as_sql(self, compiler, connection):
        inner, inner_params = compiler.compile(self.lhs.lhs)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{inner} < {rhs} AND {inner} > -{rhs}", [*inner_params, *rhs_params, *inner_params, *rhs_params]


def test_lookups_and_transforms_registered_on_a_transform(people):
    AbsoluteValue.register_lookup(AbsoluteValueBelow)
    AbsoluteValue.register_lookup(Doubled)
    try:
        with orm.capture_queries() as queries:
            assert names(LkPerson.objects.filter(delta__abs__below=3)) == ["roe"]
        assert "ABS" not in queries[0].sql.upper()
        assert names(LkPerson.objects.filter(delta__abs__doubled=6)) == ["Doe", "Moe"]
        with pytest.raises(orm.FieldError):  # only after abs
            list(LkPerson.objects.filter(delta__below=3))
    finally:
        AbsoluteValue._unregister_lookup(AbsoluteValueBelow)
        AbsoluteValue._unregister_lookup(Doubled)
