"""``Connection.fetch_all(..., load=f)``: the rows read a chunk at a time and given to ``f``.

What it returns must be what ``f(fetch_all(...))`` returns for a function
that maps rows one by one, for any number of rows (around the chunk size
too), prepared or not; driver errors met while reading a later chunk are
translated as ``fetch_all``'s; ``f``'s own errors are not; and ``f`` may use
the connection between chunks.
"""

from __future__ import annotations

import pytest

from backends import Column, Table
from backends.base.connection import FETCH_CHUNK_ROWS
from backends.errors import DatabaseError, DataError

SIZES = [0, 1, FETCH_CHUNK_ROWS - 1, FETCH_CHUNK_ROWS, FETCH_CHUNK_ROWS + 1, 2 * FETCH_CHUNK_ROWS + 3]
SELECT = "SELECT id, name, weight FROM numbers WHERE id <= %s ORDER BY id"


@pytest.fixture
def numbers(db):
    dialect = db.dialect
    with db.schema_editor() as editor:
        editor.create_table(
            Table(
                "numbers",
                (
                    Column("id", dialect.column_type("BigIntegerField"), null=False, primary_key=True),
                    Column("name", dialect.column_type("CharField", {"max_length": 50}), null=True),
                    Column("weight", dialect.column_type("FloatField"), null=True),
                ),
            )
        )
    db.executemany(
        "INSERT INTO numbers (id, name, weight) VALUES (%s, %s, %s)",
        [(i, None if i % 7 == 0 else f"n{i} 'é'", None if i % 5 == 0 else i / 4)
         for i in range(1, max(SIZES) + 1)],
    )
    return db


class Recorder:
    """A ``load`` function: each row as a list, and the size of each chunk it was given."""

    def __init__(self) -> None:
        self.chunks: list[int] = []

    def __call__(self, rows: list) -> list:
        self.chunks.append(len(rows))
        return [list(row) for row in rows]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("prepared", [False, True], ids=["plain", "prepared"])
def test_chunks_give_what_the_whole_fetch_gives(numbers, size, prepared):
    db = numbers
    expected = [list(row) for row in db.fetch_all(SELECT, (size,))]
    assert len(expected) == size
    for _ in range(7):  # past psycopg's prepare threshold
        load = Recorder()
        assert db.fetch_all(SELECT, (size,), prepared=prepared, load=load) == expected
        assert sum(load.chunks) == size
        assert all(chunk <= FETCH_CHUNK_ROWS for chunk in load.chunks)
        assert load.chunks[0] == min(size, FETCH_CHUNK_ROWS)


def test_without_parameters(numbers):
    load = Recorder()
    rows = numbers.fetch_all("SELECT id FROM numbers ORDER BY id", load=load)
    assert rows == [[i] for i in range(1, max(SIZES) + 1)]
    assert len(load.chunks) == 3


@pytest.mark.parametrize("prepared", [False, True], ids=["plain", "prepared"])
def test_the_load_function_may_query_the_connection_between_chunks(numbers, prepared):
    db = numbers
    size = 2 * FETCH_CHUNK_ROWS + 3

    def load(rows):
        # The same statement and the connection's reused cursors, in the middle of the outer read.
        inner = db.fetch_all(SELECT, (2,), prepared=prepared)
        assert [row[0] for row in inner] == [1, 2]
        return [row[0] for row in rows]

    for _ in range(7):
        assert db.fetch_all(SELECT, (size,), prepared=prepared, load=load) == list(range(1, size + 1))
    assert [row[0] for row in db.fetch_all(SELECT, (3,), prepared=prepared)] == [1, 2, 3]


@pytest.mark.parametrize("prepared", [False, True], ids=["plain", "prepared"])
def test_errors_of_the_load_function_are_its_own(numbers, prepared):
    db = numbers

    class Stop(Exception):
        pass

    def load(rows):
        if len(rows) < FETCH_CHUNK_ROWS:
            raise Stop
        return rows

    with pytest.raises(Stop):
        db.fetch_all(SELECT, (FETCH_CHUNK_ROWS + 5,), prepared=prepared, load=load)
    with pytest.raises(TypeError):
        db.fetch_all(SELECT, (3,), prepared=prepared, load=lambda rows: None + 1)
    assert len(db.fetch_all(SELECT, (FETCH_CHUNK_ROWS + 5,), prepared=prepared, load=list)) == (
        FETCH_CHUNK_ROWS + 5
    )


@pytest.mark.backends("postgresql")
def test_a_driver_error_in_a_later_chunk_is_ours(numbers):
    db = numbers
    db.execute("ALTER TABLE numbers ADD COLUMN day date")
    db.execute("UPDATE numbers SET day = '2024-02-29'")
    db.execute("UPDATE numbers SET day = 'infinity' WHERE id = %s", (FETCH_CHUNK_ROWS + 2,))
    sql = "SELECT id, day FROM numbers WHERE id <= %s ORDER BY id"
    for prepared in (False, True):
        assert len(db.fetch_all(sql, (FETCH_CHUNK_ROWS + 1,), prepared=prepared, load=list)) == (
            FETCH_CHUNK_ROWS + 1
        )
        with pytest.raises(DataError):
            db.fetch_all(sql, (FETCH_CHUNK_ROWS + 2,), prepared=prepared, load=list)
        with pytest.raises(DataError):
            db.fetch_all(sql, (FETCH_CHUNK_ROWS + 2,), prepared=prepared)
    assert len(db.fetch_all(sql, (FETCH_CHUNK_ROWS + 1,), load=list)) == FETCH_CHUNK_ROWS + 1


@pytest.mark.backends("sqlite")
def test_a_driver_error_in_a_later_chunk_is_ours_on_sqlite(numbers):
    db = numbers

    def fussy(value):
        if value == FETCH_CHUNK_ROWS + 2:
            raise ValueError(value)
        return value

    db.connection.create_function("fussy", 1, fussy)
    sql = "SELECT fussy(id) FROM numbers WHERE id <= %s ORDER BY id"
    assert len(db.fetch_all(sql, (FETCH_CHUNK_ROWS + 1,), load=list)) == FETCH_CHUNK_ROWS + 1
    with pytest.raises(DatabaseError):
        db.fetch_all(sql, (FETCH_CHUNK_ROWS + 2,), load=list)
    with pytest.raises(DatabaseError):
        db.fetch_all(sql, (FETCH_CHUNK_ROWS + 2,))
    assert len(db.fetch_all(SELECT, (3,), load=list)) == 3


def test_inside_a_transaction(numbers):
    db = numbers
    db.begin()
    try:
        db.execute("DELETE FROM numbers WHERE id > %s", (FETCH_CHUNK_ROWS + 10,))
        load = Recorder()
        rows = db.fetch_all(SELECT, (max(SIZES),), load=load)
        assert len(rows) == FETCH_CHUNK_ROWS + 10 and load.chunks == [FETCH_CHUNK_ROWS, 10]
    finally:
        db.rollback()
    assert len(db.fetch_all(SELECT, (max(SIZES),), load=list)) == max(SIZES)
