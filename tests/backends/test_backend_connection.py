"""Transactions, savepoints, errors, listeners, streaming, hostile names and values."""

from __future__ import annotations

import pytest

import backends
from backends import Column, IntegrityError, ProgrammingError, Table


def _make_items(db, name: str = "items") -> None:
    dialect = db.dialect
    with db.schema_editor() as editor:
        editor.create_table(
            Table(
                name,
                (
                    Column(
                        "id",
                        dialect.column_type("BigAutoField"),
                        null=False,
                        primary_key=True,
                        autoincrement=True,
                    ),  # fmt: skip
                    Column(
                        "code",
                        dialect.column_type("CharField", {"max_length": 50}),
                        null=False,
                        unique=True,
                    ),  # fmt: skip
                ),
            )
        )


def _codes(db, table: str = "items") -> list[str]:
    quoted = db.dialect.quote_name(table)
    return [row[0] for row in db.execute(f"SELECT code FROM {quoted} ORDER BY id").fetchall()]


def test_statements_autocommit_outside_transactions(db, db_url):
    _make_items(db)
    db.execute("INSERT INTO items (code) VALUES (%s)", ("a",))
    other = backends.connect(db_url)
    try:
        assert _codes(other) == ["a"]
    finally:
        other.close()


def test_savepoint_rolled_back_inside_committed_transaction(db):
    _make_items(db)
    db.begin()
    assert db.in_transaction
    db.execute("INSERT INTO items (code) VALUES (%s)", ("kept",))
    db.savepoint("sp 1")
    db.execute("INSERT INTO items (code) VALUES (%s)", ("undone",))
    db.rollback_to_savepoint("sp 1")
    db.release_savepoint("sp 1")
    db.commit()
    assert not db.in_transaction
    assert _codes(db) == ["kept"]


def test_error_inside_transaction_leaves_nothing_written(db):
    _make_items(db)
    db.begin()
    db.execute("INSERT INTO items (code) VALUES (%s)", ("first",))
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO items (code) VALUES (%s)", ("first",))
    db.rollback()
    assert _codes(db) == []


def test_unique_violation_is_our_integrity_error_caused_by_the_driver(db):
    _make_items(db)
    db.execute("INSERT INTO items (code) VALUES (%s)", ("dup",))
    with pytest.raises(IntegrityError) as caught:
        db.execute("INSERT INTO items (code) VALUES (%s)", ("dup",))
    assert isinstance(caught.value, backends.DatabaseError)
    cause = caught.value.__cause__
    assert cause is not None and type(cause).__module__.split(".")[0] in (
        "sqlite3",
        "psycopg",
        "pymysql",
    )
    assert str(caught.value) == str(cause)


def test_not_null_violation_is_integrity_error(db):
    _make_items(db)
    with pytest.raises(IntegrityError):
        db.execute("INSERT INTO items (code) VALUES (%s)", (None,))


def test_bad_sql_is_programming_error(db):
    with pytest.raises(ProgrammingError):
        db.execute("SELECT * FROM no_such_table")


def test_percent_is_literal_without_params_and_doubled_with_params(db):
    assert db.execute("SELECT '100%'").fetchone() == ("100%",)
    assert db.execute("SELECT '100%%', %s", ("x",)).fetchone() == ("100%", "x")


@pytest.mark.parametrize(
    "name",
    ['we"ird', "with space", "select", "ünïcödé_表", "back`tick", "semi;colon --"],
)
def test_hostile_identifiers_are_quoted(db, name):
    quote = db.dialect.quote_name
    with db.schema_editor() as editor:
        editor.create_table(
            Table(name, (Column(name, db.dialect.column_type("CharField", {"max_length": 50})),))
        )
    assert name in db.introspection.table_names()
    assert [c.name for c in db.introspection.get_columns(name)] == [name]
    db.execute(f"INSERT INTO {quote(name)} ({quote(name)}) VALUES (%s)", ("v",))
    assert db.execute(f"SELECT {quote(name)} FROM {quote(name)}").fetchone() == ("v",)


def test_hostile_values_are_stored_verbatim(db):
    _make_items(db)
    hostile = ["'; DROP TABLE items; --", "%s %% %(x)s", "\\'\\", '"quoted"', "?"]
    for value in hostile:
        db.execute("INSERT INTO items (code) VALUES (%s)", (value,))
    assert _codes(db) == hostile
    assert "items" in db.introspection.table_names()


def test_query_listeners_see_sql_params_vendor_and_alias(db):
    seen = []

    def listener(sql, params, vendor, alias):
        seen.append((sql, params, vendor, alias))

    backends.add_query_listener(listener)
    try:
        db.execute("SELECT %s", (1,))
    finally:
        backends.remove_query_listener(listener)
    db.execute("SELECT 2")
    assert seen == [("SELECT %s", (1,), db.vendor, db.alias)]


def test_stream_yields_chunks(db):
    _make_items(db)
    db.executemany("INSERT INTO items (code) VALUES (%s)", [(f"c{i:03}",) for i in range(25)])
    chunks = list(db.stream("SELECT code FROM items WHERE code > %s ORDER BY code", ("c",), 10))
    assert [len(chunk) for chunk in chunks] == [10, 10, 5]
    assert not db.in_transaction
    assert db.is_usable()


def test_lookups_are_case_sensitive_or_not_as_named(db):
    _make_items(db)
    for code in ["Apple", "apple pie", "50%_off", "a\\b"]:
        db.execute("INSERT INTO items (code) VALUES (%s)", (code,))
    dialect = db.dialect

    def matching(lookup, value):
        sql = dialect.lookup_sql(lookup, "code", "%s")
        rows = db.execute(f"SELECT code FROM items WHERE {sql} ORDER BY code", (value,))
        return sorted(row[0] for row in rows.fetchall())

    escape = dialect.pattern_escape
    assert matching("contains", f"%{escape('pple')}%") == ["Apple", "apple pie"]
    assert matching("contains", f"%{escape('App')}%") == ["Apple"]
    assert matching("icontains", f"%{escape('APP')}%") == ["Apple", "apple pie"]
    assert matching("startswith", f"{escape('a')}%") == ["a\\b", "apple pie"]
    assert matching("istartswith", f"{escape('A')}%") == ["Apple", "a\\b", "apple pie"]
    assert matching("endswith", f"%{escape('PIE')}") == []
    assert matching("iendswith", f"%{escape('PIE')}") == ["apple pie"]
    assert matching("contains", f"%{escape('%_')}%") == ["50%_off"]
    assert matching("contains", f"%{escape(chr(92))}%") == ["a\\b"]
    assert matching("iexact", "APPLE") == ["Apple"]
    assert matching("regex", "^A") == ["Apple"]
    assert matching("iregex", "^A") == ["Apple", "a\\b", "apple pie"]


def test_date_extract_and_trunc_in_utc(db):
    import datetime

    dialect = db.dialect
    with db.schema_editor() as editor:
        editor.create_table(Table("ev", (Column("at", dialect.column_type("DateTimeField")),)))
    moment = datetime.datetime(2021, 1, 3, 13, 45, 30, 500, tzinfo=datetime.timezone.utc)
    adapt = dialect.get_adapter("DateTimeField") or (lambda value: value)
    db.execute("INSERT INTO ev (at) VALUES (%s)", (adapt(moment),))
    expected = {"year": 2021, "month": 1, "day": 3, "week_day": 1, "week": 53, "quarter": 1,
                "iso_year": 2020, "iso_week_day": 7, "hour": 13, "minute": 45, "second": 30}  # fmt: skip
    for kind, value in expected.items():
        (got,) = db.execute(f"SELECT {dialect.date_extract_sql(kind, 'at')} FROM ev").fetchone()
        assert int(got) == value, kind
    converter = dialect.get_converter("DateTimeField") or (lambda v: v)
    (month,) = db.execute(f"SELECT {dialect.datetime_trunc_sql('month', 'at')} FROM ev").fetchone()
    assert converter(month) == datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
    (hour,) = db.execute(f"SELECT {dialect.datetime_trunc_sql('hour', 'at')} FROM ev").fetchone()
    assert converter(hour) == datetime.datetime(2021, 1, 3, 13, tzinfo=datetime.timezone.utc)


def test_closed_connection_is_not_usable(db_url):
    connection = backends.connect(db_url)
    assert connection.is_usable()
    connection.close()
    assert connection.closed and not connection.is_usable()
    with pytest.raises(backends.InterfaceError):
        connection.execute("SELECT 1")


@pytest.mark.backends("sqlite")
def test_an_error_met_while_fetching_is_ours(db):
    # sqlite3 runs a statement a row at a time: the second row's overflow surfaces in fetch*().
    sql = (
        "SELECT CASE WHEN column1 = 2 THEN abs(-9223372036854775807 - 1) ELSE column1 END "
        "FROM (VALUES (1), (2))"
    )
    for fetch in (
        lambda cursor: cursor.fetchall(),
        lambda cursor: cursor.fetchmany(5),
        lambda cursor: [cursor.fetchone(), cursor.fetchone()],
        list,
    ):
        cursor = db.execute(sql)
        with pytest.raises(backends.OperationalError, match="integer overflow") as caught:
            fetch(cursor)
        assert type(caught.value.__cause__).__module__ == "sqlite3"
    assert db.execute("SELECT 1 UNION ALL SELECT 2").fetchmany() == [(1,)]
    assert list(db.execute("SELECT 1 UNION ALL SELECT 2")) == [(1,), (2,)]
