"""The ``conn_max_age`` URL option: how long a connection is reused before it is replaced."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

import orm

connections_module = importlib.import_module("orm.connections")


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(connections_module, "_monotonic", fake)
    return fake


def _configure(db_url: str, option: str = "") -> None:
    separator = "&" if "?" in db_url else "?"
    orm.configure(databases={"default": f"{db_url}{separator}{option}" if option else db_url})


@pytest.fixture
def configured() -> Iterator[None]:
    try:
        yield
    finally:
        orm.connections.close_all()


def _session_id(connection) -> object:
    """The server's (or for SQLite, the driver's) identity of this connection's session."""
    if connection.vendor == "postgresql":
        return connection.execute("SELECT pg_backend_pid()").fetchone()[0]
    if connection.vendor == "mysql":
        return connection.execute("SELECT CONNECTION_ID()").fetchone()[0]
    return id(connection._raw)


def test_connection_is_reused_until_it_is_older_than_conn_max_age(db_url, clock, configured):
    _configure(db_url, "conn_max_age=60")
    first = orm.connections["default"]
    session = _session_id(first)
    clock.now += 59
    assert orm.connections["default"] is first
    clock.now += 2  # 61 s after it was opened, though used 2 s ago
    second = orm.connections["default"]
    assert second is not first and first.closed and not second.closed
    assert _session_id(second) != session
    assert second.execute("SELECT 1").fetchone()[0] == 1


def test_an_old_connection_is_never_swapped_inside_a_transaction(db_url, clock, configured):
    _configure(db_url, "conn_max_age=10")
    first = orm.connections["default"]
    with orm.atomic():
        clock.now += 100
        assert orm.connections["default"] is first
        first.execute("SELECT 1")
    # Outside the block it is replaced at the next use.
    assert orm.connections["default"] is not first


def test_conn_max_age_zero_opens_a_connection_per_use_outside_transactions(db_url, clock, configured):
    _configure(db_url, "conn_max_age=0")
    first = orm.connections["default"]
    second = orm.connections["default"]
    assert second is not first and first.closed
    with orm.atomic():
        inside = orm.connections["default"]
        assert orm.connections["default"] is inside


def test_without_conn_max_age_a_connection_lives_on(db_url, clock, configured):
    _configure(db_url)
    first = orm.connections["default"]
    clock.now += 10
    assert orm.connections["default"] is first
    clock.now += 365 * 24 * 3600  # idle that long: health-checked, still the same
    assert orm.connections["default"] is first


def test_queries_run_across_a_replacement(db_url, clock, configured):
    _configure(db_url, "conn_max_age=5")
    connection = orm.connections["default"]
    connection.execute("CREATE TABLE conn_age_probe (n INTEGER)")
    connection.execute("INSERT INTO conn_age_probe (n) VALUES (1)")
    clock.now += 6
    fresh = orm.connections["default"]
    assert fresh is not connection
    assert [tuple(row) for row in fresh.execute("SELECT n FROM conn_age_probe").fetchall()] == [(1,)]
    fresh.execute("DROP TABLE conn_age_probe")


@pytest.mark.backends("postgresql")
def test_pooled_connections_are_recycled_by_the_pool_too(db_url, clock, configured):
    from backends.postgresql.connection import _pool_for

    _configure(db_url, "pool_size=2&conn_max_age=30")
    first = orm.connections["default"]
    assert _pool_for(first.url).max_lifetime == 30
    clock.now += 31
    second = orm.connections["default"]
    assert second is not first
    assert second.execute("SELECT 1").fetchone()[0] == 1
