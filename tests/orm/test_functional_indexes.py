"""Indexes and unique constraints on expressions (Django 3.2+), on the three backends.

PostgreSQL and SQLite create them; MariaDB has no functional key parts, so
there they are left out with a ``SkippedConstraintWarning`` (as Django on
MySQL < 8.0.13). Validation (``full_clean``) works the same everywhere.
"""

from __future__ import annotations

import dataclasses
import warnings

import pytest

import orm
from backends.base.schema_editor import SkippedConstraintWarning
from backends.errors import IntegrityError
from backends.schema import Column, Index, Table
from orm.exceptions import ValidationError


class FunctionalBook(orm.Model):
    title = orm.CharField(max_length=50)
    category = orm.CharField(max_length=20, default="")
    price = orm.IntegerField(default=0)
    active = orm.BooleanField(default=True)

    class Meta:
        app_label = "funcidx"
        indexes = [orm.Index(orm.Lower("title").desc(), "price", name="fbook_lower_title_idx")]
        constraints = [
            orm.UniqueConstraint(orm.Lower("title"), "category", name="fbook_title_ci_uniq"),
            orm.UniqueConstraint(orm.F("price") * 2, name="fbook_double_price_uniq",
                                 condition=orm.Q(active=True)),
        ]


MODELS = [FunctionalBook]

# MariaDB leaves the indexes out with a warning (tested below); the others need no noise.
pytestmark = pytest.mark.filterwarnings("ignore::backends.base.schema_editor.SkippedConstraintWarning")


# -- constructors: Django's rules -------------------------------------------


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {"name": "i"}, "At least one field or expression is required to define an index."),
    ((orm.Lower("title"),), {"fields": ["title"], "name": "i"},
     "Index.fields and expressions are mutually exclusive."),
    ((orm.Lower("title"),), {}, "An index must be named to use expressions."),
    ((orm.Lower("title"),), {"name": "i", "opclasses": ["varchar_pattern_ops"]},
     "Index.opclasses cannot be used with expressions."),
    ((), {"fields": ["title"], "opclasses": ["a"]}, "An index must be named to use opclasses."),
    ((), {"fields": ["title", "price"], "name": "i", "opclasses": ["a"]},
     "Index.fields and Index.opclasses must have the same number of elements."),
    ((), {"fields": ["title"], "include": ["price"]}, "A covering index must be named."),
    ((), {"fields": [orm.F("title")], "name": "i"},
     "Index.fields must contain only strings with field names."),
    ((orm.Lower("title"),), {"name": "i", "condition": "active"},
     "Index.condition must be a Q instance."),
])
def test_index_refuses_what_django_refuses(args, kwargs, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        orm.Index(*args, **kwargs)


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((orm.Lower("title"),), {}, "A unique constraint must be named."),
    ((), {"name": "u"}, "At least one field or expression is required to define a unique constraint."),
    ((orm.Lower("title"),), {"fields": ["title"], "name": "u"},
     "UniqueConstraint.fields and expressions are mutually exclusive."),
    ((orm.Lower("title"),), {"name": "u", "deferrable": orm.Deferrable.DEFERRED},
     "'u': a constraint with expressions cannot be deferred."),
    ((orm.Lower("title"),), {"name": "u", "opclasses": ["a"]},
     "UniqueConstraint.opclasses cannot be used with expressions."),
])
def test_unique_constraint_refuses_what_django_refuses(args, kwargs, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        orm.UniqueConstraint(*args, **kwargs)


def test_a_field_name_among_expressions_is_an_f_and_every_argument_counts_in_equality():
    index = orm.Index(orm.Lower("title").desc(), "price", name="i")
    assert index.expressions[1] == orm.F("price")
    assert index.fields == [] and index.contains_expressions
    assert index.clone() == index
    assert index != orm.Index(orm.Lower("title").asc(), "price", name="i")
    assert index != orm.Index(orm.Upper("title").desc(), "price", name="i")
    assert index.deconstruct() == ("orm.Index", index.expressions, {"name": "i"})
    assert repr(index).startswith("<Index: expressions=(OrderBy(Lower(F(title)), descending=True), F(price))")
    unique = orm.UniqueConstraint(orm.Lower("title"), "category", name="u")
    assert unique.deconstruct() == ("orm.UniqueConstraint", unique.expressions, {"name": "u"})
    assert unique.clone() == unique != orm.UniqueConstraint(orm.Lower("title"), name="u")
    assert "expressions=" in repr(unique)


# -- DDL ----------------------------------------------------------------------


def _collected(connection, work):
    editor = connection.schema_editor(collect_sql=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        work(editor)
    return editor.collected_sql, [str(w.message) for w in caught
                                  if issubclass(w.category, SkippedConstraintWarning)]


def test_create_index_sql_or_a_warning(orm_db, vendor):
    connection = orm.connections["default"]
    index = FunctionalBook._meta.indexes[0].to_schema(FunctionalBook, connection)
    assert index.expressions and index.orders == ("DESC", "ASC")
    unique = FunctionalBook._meta.constraints[0].to_schema(FunctionalBook, connection)
    sql, skipped = _collected(connection, lambda editor: (
        editor.create_index("funcidx_functionalbook", index),
        editor.add_constraint("funcidx_functionalbook", unique),
    ))
    if vendor == "mysql":
        assert sql == []
        assert skipped == [
            "mysql does not support indexes on expressions: index 'fbook_lower_title_idx' on "
            "'funcidx_functionalbook' is not created",
            "mysql does not support unique constraints on expressions: 'fbook_title_ci_uniq' on "
            "'funcidx_functionalbook' is not created, so the database does not enforce the "
            "uniqueness of (LOWER(`title`), `category`)",
        ]
        return
    assert skipped == []
    assert sql == [
        'CREATE INDEX "fbook_lower_title_idx" ON "funcidx_functionalbook" '
        '((LOWER("title")) DESC, ("price") ASC);',
        'CREATE UNIQUE INDEX "fbook_title_ci_uniq" ON "funcidx_functionalbook" '
        '((LOWER("title")), ("category"));',
    ]


def test_the_database_enforces_a_unique_constraint_on_expressions(models_db, vendor):
    FunctionalBook.objects.create(title="Dune", category="sf", price=1)
    FunctionalBook.objects.create(title="DUNE", category="classic", price=2)
    if vendor == "mysql":
        FunctionalBook.objects.create(title="dune", category="sf", price=3)  # not created there
        return
    with pytest.raises(IntegrityError):
        FunctionalBook.objects.create(title="dune", category="sf", price=3)
    names = {
        index.name for index in orm.connections["default"].introspection.get_indexes(
            "funcidx_functionalbook") if index.expressions
    }
    assert names == {"fbook_lower_title_idx", "fbook_title_ci_uniq", "fbook_double_price_uniq"}


# -- validation ---------------------------------------------------------------


def test_full_clean_checks_unique_expressions_with_a_query(models_db):
    saved = FunctionalBook.objects.create(title="Dune", category="sf", price=1)
    duplicate = FunctionalBook(title="DUNE", category="sf", price=5)
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert caught.value.message_dict == {
        "__all__": ["Constraint fbook_title_ci_uniq is violated."]
    }
    FunctionalBook(title="DUNE", category="classic", price=5).full_clean()
    duplicate.full_clean(exclude=["title"])  # a constraint on an excluded field is not checked
    saved.title = "DUNE"
    saved.full_clean()  # the row itself is no duplicate
    saved.validate_constraints()


def test_validate_constraints_honours_the_condition(models_db):
    FunctionalBook.objects.create(title="a", price=3)
    FunctionalBook.objects.create(title="b", price=4, active=False)
    with pytest.raises(ValidationError, match="fbook_double_price_uniq"):
        FunctionalBook(title="c", price=3).validate_constraints()
    FunctionalBook(title="c", price=3, active=False).validate_constraints()
    FunctionalBook(title="c", price=4).validate_constraints()  # the other row is not active


# -- schema editor: a table rebuild keeps expression indexes ----------------------


def _expression_indexes(connection, table):
    return {
        index.name: index for index in connection.introspection.get_indexes(table)
        if index.expressions
    }


def test_expression_index_survives_alter_column_and_follows_a_rename(db, vendor):
    if vendor == "mysql":
        pytest.skip("MariaDB has no indexes on expressions")
    quote = db.dialect.quote_name
    table = Table("fx_item", (
        Column("id", "integer", null=False, primary_key=True),
        Column("title", "varchar(20)", null=False),
        Column("price", "integer", null=False),
    ), (
        Index("fx_item_lower_idx", (), False, None, ("DESC",), (f"LOWER({quote('title')})",)),
        Index("fx_item_price_idx", (), True, None, (), (f"{quote('price')} * 2",)),
    ))
    with db.schema_editor() as editor:
        editor.create_table(table)
    db.execute("INSERT INTO fx_item (id, title, price) VALUES (1, 'A', 1)")
    with db.schema_editor() as editor:
        editor.alter_column(table, table.column("title"), Column("title", "varchar(40)", null=False))
    assert set(_expression_indexes(db, "fx_item")) == {"fx_item_lower_idx", "fx_item_price_idx"}
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO fx_item (id, title, price) VALUES (2, 'B', 1)")
    if vendor == "sqlite":
        description = db.introspection.get_table_description("fx_item")
        assert {index.name: (index.expressions, index.orders) for index in description.indexes} == {
            "fx_item_lower_idx": (('LOWER("title")',), ("DESC",)),
            "fx_item_price_idx": (('"price" * 2',), ("ASC",)),
        }
        # A rename with a type change is a rebuild: the expression follows the column.
        renamed = Column("heading", "varchar(60)", null=False)
        with db.schema_editor() as editor:
            editor.alter_column("fx_item", Column("title", "varchar(40)", null=False), renamed)
        description = db.introspection.get_table_description("fx_item")
        assert dataclasses.replace(description.indexes[0]).expressions == ('LOWER("heading")',)
    else:
        with db.schema_editor() as editor:
            editor.rename_column("fx_item", "title", "heading")
    # Dropping a column an expression uses drops that index, and keeps the others.
    with db.schema_editor() as editor:
        editor.drop_column("fx_item", "heading")
    assert set(_expression_indexes(db, "fx_item")) == {"fx_item_price_idx"}
    assert db.execute("SELECT price FROM fx_item").fetchall() == [(1,)]


class FunctionalNick(orm.Model):
    nick = orm.CharField(max_length=20, null=True, blank=True)

    class Meta:
        app_label = "funcidx"
        constraints = [orm.UniqueConstraint(orm.Lower("nick"), name="fnick_ci_uniq")]


MODELS.append(FunctionalNick)


def test_nulls_never_collide_in_validation(models_db):
    FunctionalNick.objects.create(nick=None)
    FunctionalNick.objects.create(nick="Ab")
    FunctionalNick(nick=None).full_clean()
    with pytest.raises(ValidationError, match="fnick_ci_uniq"):
        FunctionalNick(nick="aB").full_clean()


class FunctionalSeat(orm.Model):
    room = orm.CharField(max_length=20)
    holder = orm.CharField(max_length=20, null=True, blank=True)
    active = orm.BooleanField(default=True)

    class Meta:
        app_label = "funcidx"
        constraints = [
            orm.UniqueConstraint(fields=["room", "holder"], condition=orm.Q(active=True),
                                 name="fseat_active_uniq"),
        ]


def test_full_clean_checks_a_conditional_unique_constraint_on_fields(models_db):
    """As Django: only rows meeting the condition collide, and NULLs never do."""
    from tests.orm.conftest import table_for

    connection = orm.connections["default"]
    # The check is a query, whatever the database has (MariaDB cannot make a partial index).
    with connection.schema_editor() as editor:
        editor.create_table(dataclasses.replace(table_for(FunctionalSeat, connection), constraints=()))
    FunctionalSeat.objects.create(room="a", holder="x")
    FunctionalSeat.objects.create(room="b", holder="x", active=False)
    FunctionalSeat.objects.create(room="c", holder=None)
    with pytest.raises(ValidationError) as caught:
        FunctionalSeat(room="a", holder="x").full_clean()
    assert caught.value.message_dict == {"__all__": ["Constraint fseat_active_uniq is violated."]}
    FunctionalSeat(room="a", holder="x", active=False).full_clean()
    FunctionalSeat(room="b", holder="x").full_clean()
    FunctionalSeat(room="c", holder=None).full_clean()
    FunctionalSeat(room="a", holder="x").full_clean(exclude=["holder"])
    FunctionalSeat.objects.get(room="a").full_clean()


def test_inspectdb_does_not_take_a_unique_expression_index_for_a_unique_column(db, vendor):
    """PostgreSQL lists the plain key columns of an index on expressions: ``team`` is not unique."""
    from cli.inspectdb import _model_lines

    if vendor == "mysql":
        pytest.skip("MariaDB has no indexes on expressions")
    quote = db.dialect.quote_name
    table = Table("fx_member", (
        Column("id", "integer", null=False, primary_key=True),
        Column("email", "varchar(40)", null=False),
        Column("team", "varchar(20)", null=False),
    ), (Index("fx_member_email_ci", (), True, None, (), (f"LOWER({quote('email')})", quote("team"))),))
    with db.schema_editor() as editor:
        editor.create_table(table)
    source = "\n".join(_model_lines(db, "fx_member", {"fx_member": "FxMember"}))
    assert "team = " in source and "unique=True" not in source, source
