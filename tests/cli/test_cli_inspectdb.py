"""``manouche inspectdb``: model classes for existing tables, on every backend."""

from __future__ import annotations

import ast
import keyword
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backends
from backends.schema import Column, Constraint, ForeignKeyRef, Table
from cli.inspectdb import _attribute_name, field_for_type, model_class_name
from tests.orm.conftest import table_for


def column(connection, name, internal_type, null=True, **params):
    """A column of the SQL type the dialect uses for ``internal_type``."""
    return Column(name=name, type=connection.dialect.column_type(internal_type, params), null=null)


def primary_key(connection, name="id"):
    return Column(
        name=name,
        type=connection.dialect.column_type("BigAutoField"),
        null=False,
        primary_key=True,
        autoincrement=True,
    )


def create_plain_table(connection) -> Table:
    table = Table(
        name="legacy_author",
        columns=(
            primary_key(connection),
            column(connection, "name", "CharField", null=False, max_length=100),
            column(connection, "born", "DateField"),
            column(connection, "class", "TextField"),
            column(connection, "Score Value", "DecimalField", max_digits=8, decimal_places=2),
            column(connection, "active", "BooleanField", null=False),
            column(connection, "joined", "DateTimeField"),
            column(connection, "rating", "FloatField"),
            column(connection, "visits", "BigIntegerField", null=False),
            column(connection, "age", "SmallIntegerField"),
            column(connection, "at", "TimeField"),
            column(connection, "blob", "BinaryField"),
            column(connection, "email", "CharField", null=False, max_length=254),
        ),
        constraints=(Constraint("legacy_author_email_uniq", "unique", ("email",)),),
    )
    with connection.schema_editor() as editor:
        editor.create_table(table)
    return table


def create_related_tables(connection) -> None:
    create_plain_table(connection)
    author_pk = connection.dialect.rel_column_type("BigAutoField", {})
    post = Table(
        name="legacy_post",
        columns=(
            primary_key(connection),
            Column(
                "author_id", author_pk, null=False, references=ForeignKeyRef("legacy_author", "id")
            ),
            Column("editor", author_pk, null=True, references=ForeignKeyRef("legacy_author", "id")),
            Column(
                "parent_id", author_pk, null=True, references=ForeignKeyRef("legacy_post", "id")
            ),
            column(connection, "title", "CharField", null=False, max_length=200),
        ),
        constraints=(Constraint("legacy_post_author_title", "unique", ("author_id", "title")),),
    )
    profile = Table(
        name="legacy_profile",
        columns=(
            primary_key(connection),
            Column(
                "author_id",
                author_pk,
                null=False,
                unique=True,
                references=ForeignKeyRef("legacy_author", "id"),
            ),
        ),
    )
    with connection.schema_editor() as editor:
        editor.create_table(post)
        editor.create_table(profile)


def load_models(source: str, module_name: str) -> types.ModuleType:
    """Run the generated source as the module ``module_name`` (its app label is the parent)."""
    module = types.ModuleType(module_name)
    exec(compile(source, f"<inspectdb {module_name}>", "exec"), module.__dict__)
    return module


def test_inspectdb_output_defines_every_column_with_its_type_null_and_key(
    db, db_url, invoke, tmp_path
):
    table = create_plain_table(db)
    result = invoke(tmp_path, "--database-url", db_url, "inspectdb")
    assert result.exit_code == 0, result.output
    ast.parse(result.stdout)
    module = load_models(result.stdout, "inspected_plain.models")
    model = module.LegacyAuthor
    opts = model._meta
    assert opts.db_table == "legacy_author" and opts.managed is False
    live = {info.name: info for info in db.introspection.get_columns("legacy_author")}
    assert [field.column for field in opts.concrete_fields] == [c.name for c in table.columns]
    for field in opts.concrete_fields:
        assert field.null == live[field.column].null, field.name
    assert opts.pk.column == "id"
    assert opts.get_field("name").max_length == 100
    assert opts.get_field("email").unique
    assert not opts.get_field("name").unique
    assert opts.get_field("class_field").column == "class"
    assert opts.get_field("score_value").column == "Score Value"
    score = opts.get_field("score_value")
    assert (score.max_digits, score.decimal_places) == (8, 2) or db.vendor == "sqlite"
    assert type(opts.get_field("active")).__name__ == "BooleanField"
    assert type(opts.get_field("joined")).__name__ == "DateTimeField"
    assert type(opts.get_field("visits")).__name__ == "BigIntegerField"
    assert type(opts.get_field("blob")).__name__ == "BinaryField"


def test_inspected_models_recreate_the_same_schema(db, db_url, new_db_url, invoke, tmp_path):
    create_plain_table(db)
    result = invoke(tmp_path, "--database-url", db_url, "inspectdb", "legacy_author")
    assert result.exit_code == 0, result.output
    model = load_models(result.stdout, "inspected_again.models").LegacyAuthor
    copy = backends.connect(new_db_url())
    try:
        with copy.schema_editor() as editor:
            editor.create_table(table_for(model, copy))
        original = db.introspection.get_columns("legacy_author")
        recreated = copy.introspection.get_columns("legacy_author")
    finally:
        copy.close()
    assert [(c.name, c.null, c.primary_key) for c in recreated] == [
        (c.name, c.null, c.primary_key) for c in original
    ]
    assert [c.type for c in recreated] == [c.type for c in original]


def test_inspectdb_writes_foreign_keys_with_do_nothing(db, db_url, invoke, tmp_path):
    create_related_tables(db)
    result = invoke(tmp_path, "--database-url", db_url, "inspectdb")
    assert result.exit_code == 0, result.output
    assert "on_delete=orm.DO_NOTHING" in result.stdout
    module = load_models(result.stdout, "inspected_related.models")
    post = module.LegacyPost._meta
    author = post.get_field("author")
    assert author.related_model is module.LegacyAuthor
    assert author.column == "author_id" and not author.null
    editor = post.get_field("editor")
    assert editor.column == "editor" and editor.null
    assert post.get_field("parent").related_model is module.LegacyPost
    assert [tuple(names) for names in post.unique_together] == [("author", "title")]
    profile_author = module.LegacyProfile._meta.get_field("author")
    assert type(profile_author).__name__ == "OneToOneField"


def test_inspectdb_leaves_out_manouche_migrations_unless_named(db, db_url, invoke, tmp_path):
    create_plain_table(db)
    with db.schema_editor() as editor:
        editor.create_table(Table("manouche_migrations", (primary_key(db),)))
    everything = invoke(tmp_path, "--database-url", db_url, "inspectdb")
    assert "class ManoucheMigrations" not in everything.stdout
    named = invoke(tmp_path, "--database-url", db_url, "inspectdb", "manouche_migrations")
    assert "class ManoucheMigrations" in named.stdout
    assert "class LegacyAuthor" not in named.stdout


def test_inspectdb_unknown_table_is_a_user_error(db, db_url, invoke, tmp_path):
    create_plain_table(db)
    result = invoke(tmp_path, "--database-url", db_url, "inspectdb", "nope")
    assert result.exit_code == 1
    assert "'nope'" in result.stderr and "legacy_author" in result.stderr


@pytest.mark.parametrize(
    ("sql_type", "field_class", "kwargs"),
    [
        ("varchar(30)", "CharField", {"max_length": 30}),
        ("char(32)", "CharField", {"max_length": 32}),
        ("varchar", "TextField", {}),
        ("integer unsigned", "PositiveIntegerField", {}),
        ("bigint unsigned", "PositiveBigIntegerField", {}),
        ("decimal(12,3)", "DecimalField", {"max_digits": 12, "decimal_places": 3}),
        ("timestamp with time zone", "DateTimeField", {}),
        ("datetime(6)", "DateTimeField", {}),
        ("jsonb", "JSONField", {}),
        ("uuid", "UUIDField", {}),
        ("interval", "DurationField", {}),
        ("inet", "GenericIPAddressField", {}),
        ("longblob", "BinaryField", {}),
    ],
)
def test_field_for_type(sql_type, field_class, kwargs):
    guess = field_for_type(sql_type)
    assert (guess.field_class, guess.kwargs) == (field_class, kwargs)
    assert not guess.notes


def test_unknown_column_type_is_a_text_field_marked_as_a_guess():
    guess = field_for_type("geometry")
    assert guess.field_class == "TextField" and "geometry" in guess.notes[0]


@given(st.text(min_size=0, max_size=30))
def test_any_table_name_gives_a_valid_class_name(table):
    name = model_class_name(table)
    assert name.isidentifier() and not keyword.iskeyword(name) and name[0].isupper()


@given(st.text(min_size=1, max_size=30), st.booleans())
def test_any_column_name_gives_a_valid_field_name(column_name, is_relation):
    name, _notes = _attribute_name(column_name, is_relation)
    assert name.isidentifier() and not keyword.iskeyword(name)
    assert "__" not in name and not name.endswith("_") and name != "pk"
