"""A server that drops a connection, and connection health, on every backend (helper H4's round).

The server side of a connection is ended from another connection
(PostgreSQL ``pg_terminate_backend``, MariaDB ``KILL``), which is what a
server restart, a failover or an idle-session killer does to it; each test
waits until the server has really ended the session, so nothing depends on
timing. Idle time is a fake clock (``orm.connections`` reads ``_monotonic``).
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator

import pytest

import backends
import orm
from orm.transaction import in_atomic_block

from ..orm.conftest import create_tables

connections_module = importlib.import_module("orm.connections")


class ReconnectNote(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "probes15reconnect"


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
def notes(db_url: str, clock: Clock) -> Iterator[str]:
    """``orm`` on the test database with the notes table and two notes; yields the URL."""
    _configure(db_url)
    try:
        create_tables(ReconnectNote)
        ReconnectNote.objects.create(name="a")
        ReconnectNote.objects.create(name="b")
        yield db_url
    finally:
        orm.connections.close_all()


def _session_id(connection) -> object:
    """The server's identity of this connection's session (for SQLite: the driver object's)."""
    if connection.vendor == "postgresql":
        return connection.execute("SELECT pg_backend_pid()").fetchone()[0]
    if connection.vendor == "mysql":
        return connection.execute("SELECT CONNECTION_ID()").fetchone()[0]
    return id(connection._raw)


def _end_sessions(db_url: str, vendor: str, *session_ids: object) -> None:
    """End these server sessions from another connection and wait until the server has."""
    other = backends.connect(db_url)
    try:
        if vendor == "postgresql":
            kill, alive = (
                "SELECT pg_terminate_backend(%s)",
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s",
            )
        else:
            kill, alive = "KILL %s", "SELECT 1 FROM information_schema.processlist WHERE id = %s"
        for session_id in session_ids:
            other.execute(kill, [session_id])
        deadline = time.monotonic() + 60
        for session_id in session_ids:
            while other.execute(alive, [session_id]).fetchone() is not None:
                assert time.monotonic() < deadline, f"session {session_id} outlived its kill"
                time.sleep(0.01)
    finally:
        other.close()


def _sessions_become(db_url: str, vendor: str, expected: list) -> list:
    """The sessions open on the test database once they are ``expected`` (or after 30 s).

    A session the client closed leaves the server's list a moment later (a
    PostgreSQL backend process exits after reading the client's goodbye), later
    still on a loaded machine: wait for it instead of reading once.
    """
    deadline = time.monotonic() + 30
    while True:
        sessions = _database_sessions(db_url, vendor)
        if sessions == expected or time.monotonic() > deadline:
            return sessions
        time.sleep(0.05)


def _database_sessions(db_url: str, vendor: str) -> list:
    """The ids of the sessions open on the test database, other than the asking one."""
    other = backends.connect(db_url)
    try:
        if vendor == "postgresql":
            sql = (
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        else:
            sql = (
                "SELECT id FROM information_schema.processlist "
                "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            )
        return sorted(row[0] for row in other.execute(sql).fetchall())
    finally:
        other.close()


def _lost(error: BaseException) -> bool:
    return isinstance(error, (orm.OperationalError, orm.InterfaceError)) and (
        "default: the connection to the server was lost" in str(error)
    )


servers = pytest.mark.backends("postgresql", "mysql")


@servers
def test_a_connection_dropped_while_idle_is_replaced_before_the_next_query(notes, vendor, clock):
    connection = orm.connections["default"]
    session = _session_id(connection)
    _end_sessions(notes, vendor, session)
    clock.now += 2  # idle long enough to be polled, well short of the 30 s ping
    assert ReconnectNote.objects.count() == 2
    assert orm.connections["default"] is not connection and connection.closed
    assert _session_id(orm.connections["default"]) != session


@servers
def test_a_connection_dropped_between_two_queries_fails_once_with_a_clear_error(notes, vendor):
    connection = orm.connections["default"]
    _end_sessions(notes, vendor, _session_id(connection))
    # Used again at once (the fake clock does not move): no check, so the query meets the loss.
    with orm.capture_queries() as queries:
        with pytest.raises((orm.OperationalError, orm.InterfaceError)) as raised:
            ReconnectNote.objects.get(name="a")
        assert _lost(raised.value), str(raised.value)
        assert ReconnectNote.objects.get(name="a").name == "a"
    assert len(queries) == 2
    assert orm.connections["default"] is not connection and connection.closed


@servers
def test_a_connection_dropped_inside_atomic_raises_once_and_the_next_block_works(notes, vendor):
    ran = []
    with pytest.raises((orm.OperationalError, orm.InterfaceError)) as raised:
        with orm.atomic():
            ReconnectNote.objects.create(name="lost")
            orm.on_commit(lambda: ran.append("lost"))
            _end_sessions(notes, vendor, _session_id(orm.connections["default"]))
            ReconnectNote.objects.count()
    # The block's exit (a ROLLBACK on a dead connection) does not replace the error.
    assert _lost(raised.value), str(raised.value)
    assert ran == []
    assert not in_atomic_block()
    with orm.atomic():
        ReconnectNote.objects.create(name="kept")
        orm.on_commit(lambda: ran.append("kept"))
    assert ran == ["kept"]
    assert sorted(ReconnectNote.objects.values_list("name", flat=True)) == ["a", "b", "kept"]


@servers
def test_a_loss_caught_inside_atomic_makes_the_exit_raise_a_clear_error(notes, vendor):
    ran = []
    with pytest.raises((orm.OperationalError, orm.InterfaceError)) as raised:
        with orm.atomic():
            ReconnectNote.objects.create(name="lost")
            orm.on_commit(lambda: ran.append("lost"))
            _end_sessions(notes, vendor, _session_id(orm.connections["default"]))
            with pytest.raises((orm.OperationalError, orm.InterfaceError)):
                ReconnectNote.objects.count()
    # MariaDB said "(0, '')" here: the COMMIT met the socket pymysql had closed.
    assert _lost(raised.value), str(raised.value)
    assert ran == []
    assert ReconnectNote.objects.count() == 2


@servers
def test_a_connection_dropped_in_a_nested_block_fails_the_whole_transaction(notes, vendor):
    with pytest.raises((orm.OperationalError, orm.InterfaceError)) as raised:
        with orm.atomic():
            ReconnectNote.objects.create(name="outer")
            with orm.atomic():
                ReconnectNote.objects.create(name="inner")
                _end_sessions(notes, vendor, _session_id(orm.connections["default"]))
                ReconnectNote.objects.count()
    assert _lost(raised.value), str(raised.value)
    assert not in_atomic_block()
    assert ReconnectNote.objects.count() == 2


@servers
def test_a_connection_dropped_before_commit_fails_the_commit(notes, vendor):
    ran = []
    with pytest.raises((orm.OperationalError, orm.InterfaceError)) as raised:
        with orm.atomic():
            ReconnectNote.objects.create(name="lost")
            orm.on_commit(lambda: ran.append("lost"))
            _end_sessions(notes, vendor, _session_id(orm.connections["default"]))
    assert _lost(raised.value), str(raised.value)
    assert ran == []
    assert ReconnectNote.objects.count() == 2


@servers
def test_iterator_whose_connection_dies_mid_stream_raises_and_the_next_query_works(notes, vendor):
    ReconnectNote.objects.bulk_create([ReconnectNote(name=f"n{number}") for number in range(2000)])
    session = _session_id(orm.connections["default"])
    # 10 kB a row, 20 MB in all: more than the socket buffers hold, so MariaDB's
    # unbuffered result cannot have been sent whole before the kill.
    rows = ReconnectNote.objects.annotate(pad=orm.LPad("name", 10000, orm.Value("x")))
    read = 0
    with pytest.raises((orm.OperationalError, orm.InterfaceError)) as raised:
        for _note in rows.iterator(chunk_size=100):
            read += 1
            if read == 150:
                _end_sessions(notes, vendor, session)
    assert _lost(raised.value), str(raised.value)
    assert 150 <= read < 2002
    assert ReconnectNote.objects.count() == 2002


@pytest.mark.backends("postgresql")  # pool_size is PostgreSQL's (psycopg_pool)
def test_a_killed_connection_is_not_handed_out_again_by_the_pool(db_url, vendor, clock):
    _configure(db_url, "pool_size=2")
    try:
        create_tables(ReconnectNote)
        pooled = orm.connections["default"]
        session = _session_id(pooled)
        pooled.close()  # back to the pool
        # Every session of the database ends: the pooled ones too (a server restart).
        _end_sessions(db_url, vendor, *_database_sessions(db_url, vendor))
        for _attempt in range(3):  # each would get a dead connection without the pool's check
            connection = orm.connections["default"]
            assert connection.execute("SELECT 1").fetchone()[0] == 1
            assert _session_id(connection) != session
            connection.close()
    finally:
        orm.connections.close_all()


def test_close_then_reuse_opens_a_new_connection(notes, vendor):
    connection = orm.connections["default"]
    session = _session_id(connection)
    connection.close()
    assert ReconnectNote.objects.count() == 2
    assert orm.connections["default"] is not connection
    if vendor != "sqlite":
        assert _session_id(orm.connections["default"]) != session


def test_two_threads_get_two_connections_closed_when_the_threads_end(notes, vendor):
    both_open = threading.Barrier(2, timeout=60)
    opened = []

    def work() -> None:
        connection = orm.connections["default"]
        connection.execute("SELECT 1").fetchall()
        opened.append(connection)
        both_open.wait()  # both connections are open at the same time

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = opened
    assert first is not second
    assert first is not orm.connections["default"]
    # A finished thread's connections are closed, not kept until close_all().
    assert first.closed and second.closed
    assert not orm.connections["default"].closed
    if vendor != "sqlite":
        expected = [_session_id(orm.connections["default"])]
        assert _sessions_become(notes, vendor, expected) == expected


@pytest.mark.backends("postgresql")
def test_a_finished_thread_gives_its_pooled_connection_back(db_url, vendor):
    _configure(db_url, "pool_size=2&connect_timeout=5")
    results = []

    def work() -> None:
        try:
            results.append(orm.connections["default"].execute("SELECT 1").fetchone()[0])
        except orm.DatabaseError as error:
            results.append(error)

    try:
        for _thread in range(3):  # the third waited for a connection and timed out
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
        assert results == [1, 1, 1]
    finally:
        orm.connections.close_all()


@pytest.mark.backends("postgresql")
def test_close_all_gives_every_thread_s_pooled_connection_back(db_url, vendor):
    _configure(db_url, "pool_size=2&connect_timeout=5")
    holding, release = threading.Event(), threading.Event()
    held = []

    def hold() -> None:
        held.append(orm.connections["default"])
        holding.set()
        release.wait(60)

    worker = threading.Thread(target=hold)
    try:
        mine = orm.connections["default"]
        worker.start()
        assert holding.wait(60)
        orm.connections.close_all()  # both of the pool's connections, the worker's too
        assert mine.closed and held[0].closed
        # Both can be borrowed again (each would wait 5 s and fail if it were still out).
        again = orm.connections["default"]
        assert again.execute("SELECT 1").fetchone()[0] == 1
        results = []
        other = threading.Thread(
            target=lambda: results.append(
                orm.connections["default"].execute("SELECT 1").fetchone()[0]
            )
        )
        other.start()
        other.join()
        assert results == [1]
    finally:
        release.set()
        worker.join()
        orm.connections.close_all()
