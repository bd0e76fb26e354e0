"""SQLite table rebuilds keep rows, indexes and the foreign keys pointing in and out."""

from __future__ import annotations

import pytest

from backends import Column, ForeignKeyRef, Index, IntegrityError, Table

pytestmark = pytest.mark.backends("sqlite")


def _setup(db):
    dialect = db.dialect
    pk = Column(
        "id", dialect.column_type("AutoField"), null=False, primary_key=True, autoincrement=True
    )
    parent = Table(
        "parent",
        (
            pk,
            Column("name", dialect.column_type("CharField", {"max_length": 20})),
            Column("score", dialect.column_type("IntegerField")),
            Column("notes", dialect.column_type("TextField")),
        ),
        indexes=(Index("parent_name_idx", ("name",)),),
    )
    child = Table(
        "child",
        (
            pk,
            Column(
                "parent_id",
                dialect.rel_column_type("AutoField"),
                null=False,
                references=ForeignKeyRef("parent", "id", deferrable=True),
            ),  # fmt: skip
        ),
    )
    with db.schema_editor() as editor:
        editor.create_table(parent)
        editor.create_table(child)
    for number in range(1, 6):
        db.execute(
            "INSERT INTO parent (name, score, notes) VALUES (%s, %s, %s)",
            (f"n{number}", number, None if number % 2 else "x"),
        )
        db.execute("INSERT INTO child (parent_id) VALUES (%s)", (number,))
    return parent, child


def _assert_intact(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.introspection.get_foreign_keys("child") == {"parent_id": ("parent", "id")}
    assert db.execute("SELECT COUNT(*) FROM parent").fetchone() == (5,)
    assert "parent_name_idx" in {i.name for i in db.introspection.get_indexes("parent")}
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO child (parent_id) VALUES (%s)", (99,))


def test_rebuild_for_type_change_keeps_rows_and_foreign_keys(db):
    parent, _ = _setup(db)
    old = parent.column("score")
    with db.schema_editor() as editor:
        editor.alter_column("parent", old, Column("score", "text"))
    _assert_intact(db)
    assert {c.name: c.type for c in db.introspection.get_columns("parent")}["score"] == "text"
    assert db.execute("SELECT score FROM parent WHERE id = 3").fetchone() == ("3",)


def test_rebuild_adding_not_null_fills_default_and_keeps_autoincrement(db):
    parent, _ = _setup(db)
    old = parent.column("notes")
    with db.schema_editor() as editor:
        editor.alter_column(parent, old, Column("notes", old.type, null=False, default="none"))
        editor.add_column(
            "parent", Column("rank", db.dialect.column_type("IntegerField"), null=False, default=0)
        )
    _assert_intact(db)
    columns = {c.name: c for c in db.introspection.get_columns("parent")}
    assert not columns["notes"].null and not columns["rank"].null
    assert columns["id"].autoincrement
    notes = [row[0] for row in db.execute("SELECT notes FROM parent ORDER BY id")]
    assert notes == ["none", "x", "none", "x", "none"]
    db.execute("INSERT INTO parent (name, notes) VALUES (%s, %s)", ("n6", "y"))
    assert db.execute("SELECT MAX(id) FROM parent").fetchone() == (6,)


def test_not_null_without_default_on_null_rows_fails_and_changes_nothing(db):
    parent, _ = _setup(db)
    old = parent.column("notes")
    with pytest.raises(IntegrityError):
        with db.schema_editor() as editor:
            editor.alter_column("parent", old, Column("notes", old.type, null=False))
    assert {c.name: c for c in db.introspection.get_columns("parent")}["notes"].null
    _assert_intact(db)


def test_rebuild_dropping_an_indexed_column(db):
    _setup(db)
    with db.schema_editor() as editor:
        editor.drop_column("parent", "score")
    _assert_intact(db)
    assert [c.name for c in db.introspection.get_columns("parent")] == ["id", "name", "notes"]


def test_dropping_a_referenced_column_of_the_child_keeps_the_parent(db):
    _setup(db)
    with db.schema_editor() as editor:
        editor.drop_column("child", "parent_id")
    assert db.introspection.get_foreign_keys("child") == {}
    assert db.execute("SELECT COUNT(*) FROM child").fetchone() == (5,)


def test_collected_rebuild_sql_is_the_recipe(db):
    parent, _ = _setup(db)
    with db.schema_editor(collect_sql=True) as editor:
        editor.drop_column(parent, "score")
    sql = "\n".join(editor.collected_sql)
    assert (
        "CREATE TABLE" in sql
        and "INSERT INTO" in sql
        and "DROP TABLE" in sql
        and "RENAME TO" in sql
    )
    assert "score" in {c.name for c in db.introspection.get_columns("parent")}
