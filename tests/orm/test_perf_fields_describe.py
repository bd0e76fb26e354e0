"""``Field.column_description``'s fast path and ``Dialect.sized_column_type`` give what the plain calls give."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from backends.schema import NOT_PROVIDED as NO_COLUMN_DEFAULT
from backends.schema import Column
from orm.fields.base import NOT_PROVIDED, _compile_default_expression

_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}


def described(field, name: str, connection) -> Column:
    """``field`` bound to ``name``, described through the ordinary calls (the oracle)."""
    field.set_attributes_from_name(name)
    default = NO_COLUMN_DEFAULT
    db_default_sql = None
    if field.db_default is not NOT_PROVIDED:
        if hasattr(field.db_default, "as_sql"):
            db_default_sql = _compile_default_expression(field.db_default, connection)
        else:
            default = field.get_db_prep_value(field.db_default, connection)
    return Column(
        field.column,
        field.db_type(connection),
        field.null,
        field.primary_key,
        field.get_internal_type() in _AUTO,
        field.unique and not field.primary_key,
        default,
        db_default_sql,
        field.db_check(connection) if field.column else None,
    )


def fields():
    return [
        orm.BigAutoField(primary_key=True),
        orm.AutoField(primary_key=True, db_column="pk_col"),
        orm.SmallAutoField(primary_key=True),
        orm.CharField(max_length=100),
        orm.CharField(max_length=20, db_index=True, unique=True, null=True),
        orm.CharField(max_length=10, primary_key=True),
        orm.CharField(max_length=10, unique=True, primary_key=True),
        orm.CharField(max_length=None),
        orm.TextField(default="", db_default="x"),
        orm.SlugField(),
        orm.EmailField(),
        orm.URLField(max_length=300),
        orm.IntegerField(default=0, db_default=3),
        orm.BigIntegerField(null=True),
        orm.SmallIntegerField(),
        orm.PositiveIntegerField(),
        orm.PositiveSmallIntegerField(db_column='weird "name'),
        orm.PositiveBigIntegerField(unique=True),
        orm.FloatField(null=True),
        orm.DecimalField(max_digits=7, decimal_places=2),
        orm.DecimalField(),
        orm.BooleanField(default=True, db_default=False),
        orm.DateField(null=True),
        orm.DateTimeField(auto_now=True),
        orm.TimeField(),
        orm.DurationField(),
        orm.UUIDField(unique=True),
        orm.BinaryField(),
        orm.JSONField(null=True),
        orm.GenericIPAddressField(),
        orm.DateTimeField(db_default=orm.Now()),
    ]


class Char(orm.CharField):
    """A subclass stores like its base (its own class name is no type-map key)."""

    def get_internal_type(self):
        return "CharField"


class Int(orm.IntegerField):
    def get_internal_type(self):
        return "IntegerField"


class WiderChar(Char):
    """Overrides ``db_type``: the fast path must not be taken."""

    def db_type(self, connection):
        return "varchar(999)"


class ParamsChar(Char):
    """Overrides ``db_params``: the type comes from its parameters."""

    def db_params(self):
        return {**super().db_params(), "max_length": 7}


class CheckedInt(Int):
    """Overrides ``db_check``."""

    def db_check(self, connection):
        return f"{connection.dialect.quote_name(self.column)} > 1"


class AlwaysUnique(Int):
    """Overrides ``unique``."""

    @property
    def unique(self):
        return True


class StoredAsText(orm.Field):
    """A custom field storing like a ``TextField`` (its own ``get_internal_type``)."""

    def get_internal_type(self):
        return "TextField"


def custom_fields():
    return [Char(max_length=3), WiderChar(max_length=5), ParamsChar(max_length=5), CheckedInt(), AlwaysUnique(),
            StoredAsText()]


def test_every_field_describes_as_the_ordinary_calls(orm_db):
    connection = orm.connections["default"]
    for number, field in enumerate([*fields(), *custom_fields()]):
        name = f"f{number}"
        expected = described(field.clone(), name, connection)
        field.set_attributes_from_name(name)
        assert field.column_description(connection) == expected, field
        # A second time comes from the dialect's remembered types.
        assert field.column_description(connection) == expected, field


def test_overrides_are_honoured(orm_db):
    connection = orm.connections["default"]
    wider = WiderChar(max_length=5)
    wider.set_attributes_from_name("w")
    assert wider.column_description(connection).type == "varchar(999)"
    params = ParamsChar(max_length=5)
    params.set_attributes_from_name("p")
    assert params.column_description(connection).type == connection.dialect.column_type(
        "CharField", {"max_length": 7}
    )
    checked = CheckedInt()
    checked.set_attributes_from_name("c")
    assert checked.column_description(connection).check_sql.endswith("> 1")
    unique = AlwaysUnique()
    unique.set_attributes_from_name("u")
    assert unique.column_description(connection).unique is True


def test_a_field_class_patched_after_use_is_honoured(orm_db, monkeypatch):
    connection = orm.connections["default"]
    field = orm.CharField(max_length=5)
    field.set_attributes_from_name("x")
    plain = field.column_description(connection).type
    monkeypatch.setattr(orm.CharField, "db_type", lambda self, connection: "text")
    assert field.column_description(connection).type == "text"
    monkeypatch.undo()
    assert field.column_description(connection).type == plain


def test_sized_types_do_not_conflate_equal_keys(orm_db):
    dialect = orm.connections["default"].dialect
    for size in (1, True, 1.0, 2, [3]):
        params = {"max_length": size, "max_digits": None, "decimal_places": None, "column": "c"}
        expected = dialect.column_type("CharField", params)
        assert dialect.sized_column_type("CharField", size, None, None, "c") == expected
        assert dialect.sized_column_type("CharField", size, None, None, "c") == expected


def test_unknown_internal_type_still_fails(orm_db):
    dialect = orm.connections["default"].dialect
    for _ in range(2):
        with pytest.raises(orm.NotSupportedError, match="no column type"):
            dialect.sized_column_type("NoSuchField", None, None, None, "c")


def test_a_template_naming_the_column_is_not_remembered(orm_db, monkeypatch):
    dialect = orm.connections["default"].dialect
    monkeypatch.setitem(type(dialect).data_types, "PerColumnField", "text /* %(column)s */")
    assert dialect.sized_column_type("PerColumnField", None, None, None, "a") == "text /* a */"
    assert dialect.sized_column_type("PerColumnField", None, None, None, "b") == "text /* b */"


_sizes = st.one_of(st.none(), st.integers(min_value=1, max_value=70))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(internal_type=st.sampled_from(["CharField", "DecimalField", "TextField", "IntegerField", "SlugField"]),
       max_length=_sizes, max_digits=_sizes, decimal_places=_sizes)
def test_sized_column_type_equals_column_type(orm_db, internal_type, max_length, max_digits, decimal_places):
    dialect = orm.connections["default"].dialect
    params = {"max_length": max_length, "max_digits": max_digits, "decimal_places": decimal_places, "column": "c"}
    expected = dialect.column_type(internal_type, params)
    for _ in range(2):
        assert dialect.sized_column_type(internal_type, max_length, max_digits, decimal_places, "c") == expected


def test_shared_columns_are_equal_values_and_keep_odd_flags(orm_db, monkeypatch):
    import orm.fields.base as base

    connection = orm.connections["default"]
    first, second = orm.CharField(max_length=9), orm.CharField(max_length=9)
    first.set_attributes_from_name("same")
    second.set_attributes_from_name("same")
    assert first.column_description(connection) == second.column_description(connection)
    truthy = orm.IntegerField(null=1)
    truthy.set_attributes_from_name("n")
    plain = orm.IntegerField(null=True)
    plain.set_attributes_from_name("n")
    assert plain.column_description(connection).null is True
    assert truthy.column_description(connection).null == 1
    assert repr(truthy.column_description(connection)) == repr(described(truthy.clone(), "n", connection))
    monkeypatch.setattr(base, "_SHARED_COLUMNS_MAX", 3)
    for number in range(10):
        field = orm.IntegerField()
        field.set_attributes_from_name(f"c{number}")
        assert field.column_description(connection).name == f"c{number}"
    assert len(base._SHARED_COLUMNS) <= 3
