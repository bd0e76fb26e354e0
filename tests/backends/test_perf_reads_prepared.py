"""``Connection.fetch_all(..., prepared=True)``: the same rows as the ordinary path.

On PostgreSQL a prepared fetch binds its parameters server-side and psycopg
prepares the statement after a few runs; elsewhere the flag changes nothing.
The tests run each statement more often than psycopg's threshold (5) so the
prepared statement itself is exercised.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backends
from backends import Column, Table
from backends.errors import DataError, IntegrityError

RUNS = 8


def _make_things(db) -> None:
    dialect = db.dialect
    with db.schema_editor() as editor:
        editor.create_table(
            Table(
                "things",
                (
                    Column("id", dialect.column_type("BigAutoField"), null=False,
                           primary_key=True, autoincrement=True),
                    Column("name", dialect.column_type("CharField", {"max_length": 50}), null=True),
                    Column("size", dialect.column_type("IntegerField"), null=True),
                    Column("small", dialect.column_type("SmallIntegerField"), null=True),
                    Column("weight", dialect.column_type("FloatField"), null=True),
                    Column("active", dialect.column_type("BooleanField"), null=True),
                ),
            )
        )
    rows = [
        ("ant", 1, 1, 0.5, True),
        ("b'e\"e %s %%", 2, 2, 1.5, False),
        ("çà日本", 3, 3, -2.25, True),
        (None, None, None, None, None),
        ("", 70000, 7, 1e300, False),
    ]
    db.executemany(
        "INSERT INTO things (name, size, small, weight, active) VALUES (%s, %s, %s, %s, %s)",
        rows,
    )


def _both(db, sql: str, params) -> list:
    """The rows of the ordinary path, checked equal to the prepared path's, RUNS times."""
    expected = db.fetch_all(sql, params)
    for _ in range(RUNS):
        assert db.fetch_all(sql, params, prepared=True) == expected
    return expected


SELECT = "SELECT id, name, size, small, weight, active FROM things WHERE "


@pytest.mark.parametrize(
    ("where", "params"),
    [
        ("size = %s", [2]),
        ("size >= %s AND weight < %s", [2, 10.0]),
        ("name = %s", ["b'e\"e %s %%"]),
        ("name = %s", ["çà日本"]),
        ("name = %s", [""]),
        ("name > %s", ["a"]),
        ("active = %s", [True]),
        ("active = %s", [False]),
        ("small = %s", [3]),
        ("small < %s", [70000]),  # an int4 parameter against a smallint column
        ("size < %s", [2**40]),  # int8
        ("size < %s", [2**70]),  # numeric
        ("id = %s", [-1]),  # no rows
        ("weight >= %s", [1e299]),
    ],
)
def test_prepared_fetch_returns_the_rows_of_the_ordinary_path(db, where, params):
    if db.vendor == "sqlite" and params[0] == 2**70:
        pytest.skip("SQLite integers are 64-bit")
    _make_things(db)
    _both(db, SELECT + where + " ORDER BY id", params)


def test_prepared_fetch_with_a_literal_percent_and_the_shapes_changing_values(db):
    _make_things(db)
    sql = SELECT + "name LIKE 'b%%' AND size >= %s ORDER BY id"
    assert [row[1] for row in _both(db, sql, [0])] == ["b'e\"e %s %%"]
    for size in (1, 2, 3, 70000, 70001):
        assert db.fetch_all(SELECT + "size = %s", [size], prepared=True) == db.fetch_all(
            SELECT + "size = %s", [size]
        )


def test_prepared_fetch_inside_transactions_and_after_a_rollback(db):
    _make_things(db)
    sql = SELECT + "size = %s"
    db.begin()
    _both(db, sql, [1])
    db.execute("UPDATE things SET size = 10 WHERE size = 1")
    assert db.fetch_all(sql, [10], prepared=True)[0][1] == "ant"
    db.rollback()
    assert list(db.fetch_all(sql, [10], prepared=True)) == []
    assert db.fetch_all(sql, [1], prepared=True)[0][1] == "ant"


def test_prepared_fetch_errors_are_ours_and_the_connection_stays_usable(db):
    _make_things(db)
    wrong = "SELECT nope FROM things WHERE size = %s"
    with pytest.raises(backends.errors.DatabaseError) as ordinary:
        db.fetch_all(wrong, [1])
    with pytest.raises(type(ordinary.value)):
        db.fetch_all(wrong, [1], prepared=True)
    if db.vendor == "postgresql":
        with pytest.raises(DataError):
            db.fetch_all(SELECT + "name = %s", ["nul\x00byte"], prepared=True)
    db.begin()
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO things (id, name) VALUES (1, 'dup')")
    db.rollback()
    assert _both(db, SELECT + "size = %s", [3])[0][1] == "çà日本"


def test_prepared_fetch_notifies_query_listeners(db):
    _make_things(db)
    seen = []

    def listener(sql, params, vendor, alias):
        seen.append((sql, list(params)))

    backends.add_query_listener(listener)
    try:
        db.fetch_all(SELECT + "size = %s", [2], prepared=True)
    finally:
        backends.remove_query_listener(listener)
    assert seen == [(SELECT + "size = %s", [2])]


def test_prepared_fetch_on_a_closed_connection_raises_interface_error(db_url):
    db = backends.connect(db_url)
    _make_things(db)
    db.fetch_all(SELECT + "size = %s", [2], prepared=True)
    db.close()
    with pytest.raises(backends.errors.InterfaceError):
        db.fetch_all(SELECT + "size = %s", [2], prepared=True)


def test_a_prepared_statement_survives_another_connection_changing_the_table(db_url, vendor):
    if vendor == "sqlite":
        pytest.skip("one file, one writer: nothing is prepared across connections")
    reader = backends.connect(db_url)
    writer = backends.connect(db_url)
    try:
        _make_things(reader)
        sql = SELECT + "size = %s"
        _both(reader, sql, [2])  # prepared on the reader's session by now
        with writer.schema_editor() as editor:
            editor.execute("ALTER TABLE things ALTER COLUMN size TYPE bigint" if vendor ==
                           "postgresql" else "ALTER TABLE things MODIFY size bigint NULL")
        rows = reader.fetch_all(sql, [2], prepared=True)
        assert [row[1] for row in rows] == ["b'e\"e %s %%"]
        assert _both(reader, sql, [3])[0][1] == "çà日本"
    finally:
        reader.close()
        writer.close()


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("option, expected", [("none", None), ("OFF", None), ("0", 0), ("3", 3)])
def test_prepare_threshold_on_the_url_reaches_psycopg(db_url, option, expected):
    # "none" is what PgBouncer in transaction mode (before 1.21) needs: nothing prepared.
    separator = "&" if "?" in db_url else "?"
    db = backends.connect(f"{db_url}{separator}prepare_threshold={option}")
    try:
        _make_things(db)
        assert db._raw.prepare_threshold == expected
        assert _both(db, SELECT + "size = %s", [2])[0][1] == "b'e\"e %s %%"
        prepared = db.fetch_all("SELECT count(*) FROM pg_prepared_statements")[0][0]
        assert (prepared > 0) == (expected is not None)
    finally:
        db.close()


@pytest.mark.parametrize("value", ["-1", "soon", ""])
def test_a_bad_prepare_threshold_is_a_configuration_error(value):
    with pytest.raises(backends.errors.ImproperlyConfigured, match="prepare_threshold"):
        backends.parse_url(f"postgresql://app@db/app?prepare_threshold={value}")


def test_placeholders_are_numbered_and_other_percent_forms_are_left_to_psycopg():
    from backends.postgresql.prepared import convert

    assert convert("SELECT a FROM t WHERE a = %s AND b > %s", "utf-8") == (
        b"SELECT a FROM t WHERE a = $1 AND b > $2"
    )
    assert convert("SELECT 'x%%' || %s, '日本'", "utf-8") == "SELECT 'x%' || $1, '日本'".encode()
    assert convert("SELECT %(name)s", "utf-8") is None
    assert convert("SELECT %b", "utf-8") is None
    assert convert("SELECT 1 %", "utf-8") is None


def _prepared_names(db) -> list[str]:
    return sorted(row[0] for row in db.fetch_all("SELECT name FROM pg_prepared_statements"))


@pytest.mark.backends("postgresql")
def test_a_statement_is_named_once_it_ran_as_often_as_psycopgs_threshold(db):
    _make_things(db)
    sql = SELECT + "size = %s"
    for _run in range(db._raw.prepare_threshold):
        assert db.fetch_all(sql, [2], prepared=True)[0][1] == "b'e\"e %s %%"
        assert _prepared_names(db) == []
    assert db.fetch_all(sql, [3], prepared=True)[0][1] == "çà日本"
    assert [name.startswith("_manouche_") for name in _prepared_names(db)] == [True]
    assert db.execute_count("UPDATE things SET small = %s WHERE size = %s", [9, 2], prepared=True) == 1


@pytest.mark.backends("postgresql")
def test_at_most_prepared_max_statements_are_kept_and_the_oldest_goes_first(db):
    _make_things(db)
    db._raw.prepared_max = 2
    db._raw.prepare_threshold = 0
    wheres = ["size = %s", "small = %s", "size >= %s"]
    for where in wheres:
        _both(db, SELECT + where + " ORDER BY id", [2])
    assert len(_prepared_names(db)) == 2
    assert _both(db, SELECT + wheres[0] + " ORDER BY id", [3])[0][1] == "çà日本"
    assert len(_prepared_names(db)) == 2


@pytest.mark.backends("postgresql")
def test_statements_dropped_by_deallocate_all_are_prepared_again(db):
    _make_things(db)
    sql = SELECT + "size = %s"
    _both(db, sql, [2])
    db.execute("DEALLOCATE ALL")
    assert db.fetch_all(sql, [2], prepared=True)[0][1] == "b'e\"e %s %%"
    assert db.execute_count("UPDATE things SET small = %s WHERE size = %s", [4, 2], prepared=True) == 1
    assert _prepared_names(db) == []  # counted from zero again
    _both(db, sql, [2])
    assert len(_prepared_names(db)) == 1


@pytest.mark.backends("postgresql")
def test_the_kept_statements_are_bounded(db, monkeypatch):
    from backends.postgresql import prepared

    monkeypatch.setattr(prepared, "_MAX_QUERIES", 3)
    _make_things(db)
    db._raw.prepare_threshold = 0
    for size in range(6):  # six texts, each prepared at once
        assert db.fetch_all(SELECT + f"size <> {size + 10} AND size = %s", [2], prepared=True)[0][2] == 2
    assert len(db._statements.statements) <= 3 and len(db._statements.queries) <= 3
    assert len(_prepared_names(db)) <= 3


@pytest.mark.backends("postgresql")
def test_ddl_and_rollbacks_on_the_connection_make_it_prepare_afresh_even_in_a_transaction(db):
    _make_things(db)
    sql = SELECT + "size = %s"
    db.begin()
    _both(db, sql, [2])
    db.execute("ALTER TABLE things ALTER COLUMN size TYPE bigint")  # the result type changes
    assert _both(db, sql, [2])[0][1] == "b'e\"e %s %%"
    db.execute_count("ALTER TABLE things ALTER COLUMN size TYPE numeric")
    assert db.fetch_all(sql, [3], prepared=True)[0][2] == 3
    db.rollback()
    assert _both(db, sql, [2])[0][2] == 2
    names = _prepared_names(db)
    assert len(names) == 1  # the names forgotten at the rollback were deallocated


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30),
    size=st.integers(-(2**31), 2**31 - 1),
    weight=st.floats(allow_nan=False, allow_infinity=False, width=64),
    active=st.booleans(),
)
def test_any_values_read_back_the_same_through_both_paths(things, name, size, weight, active):
    db = things
    if not db.fetch_all("SELECT COUNT(*) FROM things WHERE id = 1000")[0][0]:
        db.execute("INSERT INTO things (id, name, size, weight, active) VALUES (1000, 'x', 0, 0, %s)", [True])
    db.execute("UPDATE things SET name = %s, size = %s, weight = %s, active = %s WHERE id = 1000",
               [name, size, weight, active])
    sql = SELECT + "id = %s AND name = %s AND size = %s AND active = %s"
    ordinary = db.fetch_all(sql, [1000, name, size, active])
    prepared = db.fetch_all(sql, [1000, name, size, active], prepared=True)
    assert prepared == ordinary and len(prepared) == 1
    assert prepared[0][1:3] == (name, size) and prepared[0][4] == pytest.approx(weight)


@pytest.fixture
def things(db):
    _make_things(db)
    return db


@pytest.mark.backends("postgresql")
def test_a_pooled_session_keeps_its_prepared_statements_across_borrowers(db_url):
    separator = "&" if "?" in db_url else "?"
    url = f"{db_url}{separator}pool_size=1"
    setup = backends.connect(db_url)
    try:
        _make_things(setup)
    finally:
        setup.close()
    sql = SELECT + "size = %s"
    for _borrower in range(4):  # each borrows the pool's one session, runs, gives it back
        db = backends.connect(url)
        try:
            assert _both(db, sql, [2])[0][1] == "b'e\"e %s %%"
            assert len(_prepared_names(db)) == 1  # the same statement, not one per borrower
        finally:
            db.close()
    db = backends.connect(url)  # a borrower whose first statement is DDL
    try:
        db.execute("ALTER TABLE things ALTER COLUMN size TYPE bigint")
        assert _both(db, sql, [3])[0][1] == "çà日本"
        assert len(_prepared_names(db)) == 1  # the stale one deallocated, the new one kept
    finally:
        db.close()
    from backends.postgresql.connection import close_pools

    close_pools()
