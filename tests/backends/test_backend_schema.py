"""Every schema editor operation, verified by introspection afterwards."""

from __future__ import annotations

import dataclasses

import pytest

from backends import (
    Column,
    Constraint,
    ForeignKeyRef,
    Index,
    IntegrityError,
    NotSupportedError,
    Table,
)


def _types(db, **params):
    dialect = db.dialect
    return {
        "pk": dialect.column_type("BigAutoField"),
        "fk": dialect.rel_column_type("BigAutoField"),
        "char": dialect.column_type("CharField", {"max_length": params.get("length", 100)}),
        "int": dialect.column_type("IntegerField"),
    }


def _author_and_book(db) -> tuple[Table, Table]:
    types = _types(db)
    author = Table(
        "author",
        (
            Column("id", types["pk"], null=False, primary_key=True, autoincrement=True),
            Column("name", types["char"], null=False),
            Column("email", types["char"], unique=True),
        ),
        indexes=(Index("author_name_idx", ("name",)),),
    )
    book = Table(
        "book",
        (
            Column("id", types["pk"], null=False, primary_key=True, autoincrement=True),
            Column("title", types["char"], null=False, default="untitled"),
            Column("pages", types["int"], check_sql=db.dialect.quote_name("pages") + " > 0"),
            Column(
                "author_id", types["fk"], references=ForeignKeyRef("author", "id", deferrable=True)
            ),
        ),
        constraints=(Constraint("book_title_pages_uniq", "unique", ("title", "pages")),),
    )
    return author, book


def _columns(db, table):
    return {column.name: column for column in db.introspection.get_columns(table)}


def test_create_table_is_seen_by_introspection(db):
    author, book = _author_and_book(db)
    with db.schema_editor() as editor:
        editor.create_table(author)
        editor.create_table(book)
    assert {"author", "book"} <= set(db.introspection.table_names())
    columns = _columns(db, "author")
    assert list(columns) == ["id", "name", "email"]
    assert columns["id"].primary_key and columns["id"].autoincrement
    assert columns["name"].type == db.introspection.normalize_type(_types(db)["char"])
    assert columns["name"].type == "varchar(100)"
    assert not columns["name"].null and columns["email"].null
    assert db.introspection.get_primary_key_columns("author") == ["id"]
    assert [i.name for i in db.introspection.get_indexes("author")] == ["author_name_idx"]
    assert db.introspection.get_foreign_keys("book") == {"author_id": ("author", "id")}
    kinds = {(c.kind, tuple(c.columns)) for c in db.introspection.get_constraints("book")}
    assert ("unique", ("title", "pages")) in kinds
    assert ("foreign_key", ("author_id",)) in kinds
    assert any(c.kind == "check" for c in db.introspection.get_constraints("book"))
    assert any(
        c.kind == "unique" and tuple(c.columns) == ("email",)
        for c in db.introspection.get_constraints("author")
    )
    db.execute("INSERT INTO book (pages) VALUES (%s)", (3,))
    assert db.execute("SELECT title FROM book").fetchone() == ("untitled",)
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO book (pages) VALUES (%s)", (0,))
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO book (pages, author_id) VALUES (%s, %s)", (5, 999))


def test_rename_and_drop_table(db):
    author, _ = _author_and_book(db)
    with db.schema_editor() as editor:
        editor.create_table(author)
        editor.rename_table("author", "writer")
    assert "writer" in db.introspection.table_names()
    assert "author" not in db.introspection.table_names()
    with db.schema_editor() as editor:
        editor.drop_table("writer")
    assert "writer" not in db.introspection.table_names()


def test_add_rename_and_drop_column(db):
    author, book = _author_and_book(db)
    types = _types(db)
    with db.schema_editor() as editor:
        editor.create_table(author)
        editor.create_table(book)
    db.execute("INSERT INTO author (name) VALUES (%s)", ("Ann",))
    with db.schema_editor() as editor:
        editor.add_column(author, Column("age", types["int"], null=False, default=7))
        editor.add_column("author", Column("nick", types["char"]))
    assert db.execute("SELECT age, nick FROM author").fetchone() == (7, None)
    with db.schema_editor() as editor:
        editor.rename_column("author", "nick", "nickname")
    assert "nickname" in _columns(db, "author")
    with db.schema_editor() as editor:
        editor.drop_column("author", "nickname")
        editor.drop_column("book", "author_id")
    assert "nickname" not in _columns(db, "author")
    assert db.introspection.get_foreign_keys("book") == {}
    assert list(db.execute("SELECT name, age FROM author").fetchall()) == [("Ann", 7)]


def test_alter_column_type_null_default_unique_and_rename(db):
    author, _ = _author_and_book(db)
    with db.schema_editor() as editor:
        editor.create_table(author)
    db.execute("INSERT INTO author (name) VALUES (%s)", ("Bo",))
    old = author.column("name")
    wider = Column("full_name", _types(db, length=250)["char"], null=True, unique=True, default="x")
    with db.schema_editor() as editor:
        editor.alter_column(author, old, wider)
    columns = _columns(db, "author")
    assert "name" not in columns
    assert columns["full_name"].type == "varchar(250)" and columns["full_name"].null
    assert any(
        c.kind == "unique" and tuple(c.columns) == ("full_name",)
        for c in db.introspection.get_constraints("author")
    )
    db.execute("INSERT INTO author (email) VALUES (%s)", ("e@x",))
    rows = db.execute("SELECT full_name FROM author ORDER BY id").fetchall()
    assert list(rows) == [("Bo",), ("x",)]
    with db.schema_editor() as editor:
        editor.alter_column("author", wider, Column("full_name", wider.type, null=False))
    assert not _columns(db, "author")["full_name"].null
    assert not any(
        c.kind == "unique" and tuple(c.columns) == ("full_name",)
        for c in db.introspection.get_constraints("author")
    )


def test_create_rename_and_drop_index(db):
    author, _ = _author_and_book(db)
    with db.schema_editor() as editor:
        editor.create_table(author)
        editor.create_index(
            "author", Index("author_email_name_idx", ("email", "name"), unique=True)
        )
    indexes = {i.name: i for i in db.introspection.get_indexes("author")}
    assert indexes["author_email_name_idx"].columns == ("email", "name")
    assert indexes["author_email_name_idx"].unique
    with db.schema_editor() as editor:
        editor.rename_index("author", "author_email_name_idx", "author_en_idx")
    names = {i.name for i in db.introspection.get_indexes("author")}
    assert "author_en_idx" in names and "author_email_name_idx" not in names
    with db.schema_editor() as editor:
        editor.drop_index("author", "author_en_idx")
    assert "author_en_idx" not in {i.name for i in db.introspection.get_indexes("author")}


def test_partial_index_or_not_supported(db):
    author, _ = _author_and_book(db)
    index = Index(
        "author_named_idx", ("name",), condition_sql=db.dialect.quote_name("email") + " IS NOT NULL"
    )
    with db.schema_editor() as editor:
        editor.create_table(author)
    if not db.dialect.supports_partial_indexes:
        with pytest.raises(NotSupportedError):
            with db.schema_editor() as editor:
                editor.create_index("author", index)
        return
    with db.schema_editor() as editor:
        editor.create_index("author", index)
    (info,) = [i for i in db.introspection.get_indexes("author") if i.name == "author_named_idx"]
    assert info.partial and "email" in info.condition


def test_a_table_with_a_conditional_index_is_refused_before_it_is_created(db):
    if db.dialect.supports_partial_indexes:
        pytest.skip("partial indexes are supported")
    author, _ = _author_and_book(db)
    condition = db.dialect.quote_name("email") + " IS NOT NULL"
    for table in (
        dataclasses.replace(author, indexes=(Index("author_named_idx", ("name",), condition_sql=condition),)),
        dataclasses.replace(author, constraints=(Constraint("author_named_uniq", "unique", ("name",),
                                                condition_sql=condition),)),
    ):
        with pytest.raises(NotSupportedError, match="author_named_"):
            with db.schema_editor() as editor:
                editor.create_table(table)
        assert "author" not in db.introspection.table_names()  # nothing left behind


def test_add_and_drop_constraints(db):
    author, book = _author_and_book(db)
    with db.schema_editor() as editor:
        editor.create_table(author)
        editor.create_table(book)
    quote = db.dialect.quote_name
    unique = Constraint("author_name_uniq", "unique", ("name",))
    check = Constraint("author_name_check", "check", (), f"{quote('name')} <> ''")
    with db.schema_editor() as editor:
        editor.add_constraint("author", unique)
        editor.add_constraint("author", check)
    constraints = {c.name: c for c in db.introspection.get_constraints("author")}
    assert constraints["author_name_uniq"].kind == "unique"
    assert constraints["author_name_check"].kind == "check"
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO author (name) VALUES (%s)", ("",))
    with db.schema_editor() as editor:
        editor.drop_constraint("author", unique)
        editor.drop_constraint("author", "author_name_check")
    names = {c.name for c in db.introspection.get_constraints("author")}
    assert "author_name_uniq" not in names and "author_name_check" not in names
    db.execute("INSERT INTO author (name) VALUES (%s)", ("",))


def test_collect_sql_runs_nothing(db):
    author, _ = _author_and_book(db)
    with db.schema_editor(collect_sql=True) as editor:
        editor.create_table(author)
    assert any(statement.startswith("CREATE TABLE") for statement in editor.collected_sql)
    assert "author" not in db.introspection.table_names()


def test_quote_value_keeps_hostile_defaults_verbatim(db):
    hostile = "it's'; DROP TABLE x; --\\"
    table = Table(
        "t", (Column("v", _types(db)["char"], default=hostile), Column("n", _types(db)["int"]))
    )
    with db.schema_editor() as editor:
        editor.create_table(table)
    db.execute("INSERT INTO t (n) VALUES (%s)", (1,))
    assert db.execute("SELECT v FROM t").fetchone() == (hostile,)
