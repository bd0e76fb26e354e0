"""The test harness itself: every backend answers through its plain driver.

These tests use psycopg, pymysql and sqlite3 directly, so they pass before
(and whatever the state of) the ``backends`` package.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, unquote, urlsplit

import pytest


def connect_plain(url: str):  # type: ignore[no-untyped-def]
    """A DB-API connection to ``url`` through the vendor's own driver."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return sqlite3.connect(parts.path[1:])  # sqlite:////abs/path -> /abs/path
    database = unquote(parts.path.lstrip("/"))
    if parts.scheme == "postgresql":
        import psycopg

        return psycopg.connect(
            host=parts.hostname, port=parts.port, user=parts.username,
            dbname=database, autocommit=True,
        )  # fmt: skip
    if parts.scheme == "mysql":
        import pymysql

        charset = parse_qs(parts.query).get("charset", ["utf8mb4"])[0]
        return pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=parts.username,
            password=unquote(parts.password or ""), database=database,
            charset=charset, autocommit=True,
        )  # fmt: skip
    raise AssertionError(f"unexpected URL scheme in {url!r}")


def table_names(connection, vendor: str) -> list[str]:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    elif vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    else:
        cursor.execute("SHOW TABLES")
    return sorted(row[0] for row in cursor.fetchall())


def test_each_backend_answers_select_1(db_url: str, vendor: str) -> None:
    connection = connect_plain(db_url)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
    finally:
        connection.close()


def test_db_url_has_the_documented_shape(db_url: str, vendor: str) -> None:
    assert db_url.startswith({"sqlite": "sqlite:////", "postgresql": "postgresql://",
                              "mysql": "mysql://"}[vendor])  # fmt: skip
    if vendor == "mysql":
        assert db_url.endswith("?charset=utf8mb4")
    if vendor != "sqlite":
        assert urlsplit(db_url).hostname == "127.0.0.1"


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_a_fresh_empty_database(db_url: str, vendor: str, attempt: int) -> None:
    # Both rounds create the same table: the second would fail if the
    # database of the first were handed out again.
    connection = connect_plain(db_url)
    try:
        assert table_names(connection, vendor) == []
        connection.cursor().execute("CREATE TABLE harness_probe (id INTEGER PRIMARY KEY)")
        assert table_names(connection, vendor) == ["harness_probe"]
    finally:
        connection.close()


def test_new_db_url_gives_another_database(db_url: str, new_db_url, vendor: str) -> None:  # type: ignore[no-untyped-def]
    other = new_db_url()
    assert other != db_url
    first, second = connect_plain(db_url), connect_plain(other)
    try:
        first.cursor().execute("CREATE TABLE only_in_first (id INTEGER PRIMARY KEY)")
        assert table_names(second, vendor) == []
    finally:
        first.close()
        second.close()


@pytest.mark.backends("mysql")
def test_mariadb_speaks_utf8mb4_with_unicode_collation(db_url: str) -> None:
    connection = connect_plain(db_url)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT @@character_set_database, @@collation_database")
        assert cursor.fetchone() == ("utf8mb4", "utf8mb4_unicode_ci")
        cursor.execute("SELECT %s", ("🎸 manouche",))
        assert cursor.fetchone()[0] == "🎸 manouche"
    finally:
        connection.close()


@pytest.mark.backends("postgresql")
def test_backends_marker_keeps_only_the_named_backends(vendor: str) -> None:
    assert vendor == "postgresql"


def test_database_urls_lists_the_servers_that_are_up(database_urls: dict[str, str]) -> None:
    for vendor, url in database_urls.items():
        assert vendor in ("postgresql", "mysql")
        connection = connect_plain(url)
        connection.close()


def test_db_fixture_connects_with_backends(request: pytest.FixtureRequest, vendor: str) -> None:
    backends = pytest.importorskip("backends")
    if not hasattr(backends, "connect"):
        pytest.skip("backends.connect() is not written yet")
    db = request.getfixturevalue("db")
    assert db.vendor == vendor
    cursor = db.execute("SELECT 1")
    assert cursor.fetchone()[0] == 1
