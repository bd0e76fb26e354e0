"""``Connection.execute_count``: one statement without rows, its row count, the cursor reused.

It must do what ``execute(...).rowcount`` does (listeners told, ``%%`` rules,
errors translated, the connection usable after one), prepared or not, and
``begin``/``commit``/``rollback`` run through it. Every backend (``db``).
"""

from __future__ import annotations

import pytest

import backends
from backends import Column, Table
from backends.errors import IntegrityError, ProgrammingError


@pytest.fixture
def items(db):
    dialect = db.dialect
    with db.schema_editor() as editor:
        editor.create_table(
            Table(
                "items",
                (
                    Column("id", dialect.column_type("BigIntegerField"), null=False, primary_key=True),
                    Column("name", dialect.column_type("CharField", {"max_length": 50}), null=True),
                    Column("rank", dialect.column_type("IntegerField"), null=True),
                ),
            )
        )
    db.executemany(
        "INSERT INTO items (id, name, rank) VALUES (%s, %s, %s)",
        [(i, f"i{i} 50%", i % 4) for i in range(1, 21)],
    )
    return db


@pytest.mark.parametrize("prepared", [False, True], ids=["plain", "prepared"])
def test_row_counts_equal_execute_rowcount(items, prepared):
    db = items
    assert db.execute_count("UPDATE items SET rank = %s WHERE rank = %s", (9, 1), prepared=prepared) == 5
    assert db.execute_count("DELETE FROM items WHERE id <= %s", (3,), prepared=prepared) == 3
    assert db.execute_count("DELETE FROM items WHERE id <= %s", (3,), prepared=prepared) == 0
    for _ in range(7):  # past psycopg's prepare threshold
        db.execute_count("UPDATE items SET name = %s WHERE id = %s", ("renamed", 10), prepared=prepared)
    assert list(db.fetch_all("SELECT name FROM items WHERE id = %s", (10,))) == [("renamed",)]
    assert list(db.fetch_all("SELECT COUNT(*) FROM items WHERE rank = %s", (9,))) == [(4,)]  # id 1 deleted


def test_percent_signs_follow_execute(items):
    db = items
    assert db.execute_count("UPDATE items SET name = 'a%' WHERE id = 1") == 1
    assert db.execute_count("UPDATE items SET name = 'b%%' WHERE id = %s", (2,)) == 1
    assert list(db.fetch_all("SELECT name FROM items WHERE id <= 2 ORDER BY id")) == [("a%",), ("b%",)]


@pytest.mark.parametrize("prepared", [False, True], ids=["plain", "prepared"])
def test_errors_are_translated_and_the_connection_goes_on(items, prepared):
    db = items
    with pytest.raises(IntegrityError):
        db.execute_count("UPDATE items SET id = %s WHERE id = %s", (2, 1), prepared=prepared)
    with pytest.raises(ProgrammingError):
        db.execute_count("DELETE FROM no_such_table WHERE id = %s", (1,), prepared=prepared)
    assert db.execute_count("DELETE FROM items WHERE id = %s", (1,), prepared=prepared) == 1
    assert list(db.fetch_all("SELECT COUNT(*) FROM items")) == [(19,)]


def test_listeners_see_each_statement_and_transactions_go_through_it(items):
    db = items
    seen = []

    def listener(sql, params, vendor, alias):
        seen.append((sql.split()[0].upper(), tuple(params or ())))

    backends.add_query_listener(listener)
    try:
        db.begin()
        assert db.execute_count("DELETE FROM items WHERE id = %s", (5,), prepared=True) == 1
        db.rollback()
        db.begin()
        assert db.execute_count("DELETE FROM items WHERE id = %s", (6,)) == 1
        db.commit()
    finally:
        backends.remove_query_listener(listener)
    kinds = [kind for kind, _params in seen]
    assert kinds[0] in ("BEGIN", "START") and kinds[3] in ("BEGIN", "START")
    assert kinds[1:3] == ["DELETE", "ROLLBACK"] and kinds[4:] == ["DELETE", "COMMIT"]
    assert seen[1][1] == (5,) and seen[4][1] == (6,)
    assert not db.in_transaction
    assert list(db.fetch_all("SELECT id FROM items WHERE id IN (5, 6) ORDER BY id")) == [(5,)]
