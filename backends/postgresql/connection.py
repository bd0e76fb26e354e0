"""PostgreSQL connections through psycopg 3: autocommit, UTC session, optional pool."""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.pq import ConnStatus, TransactionStatus

from .. import errors
from ..base.connection import FETCH_CHUNK_ROWS
from ..base.connection import Connection as BaseConnection
from ..listeners import notify_listeners, query_listeners
from ..urls import DatabaseURL
from .dialect import Dialect
from .introspection import Introspection
from .prepared import Statements, forget_statements, statements_of
from .schema_editor import SchemaEditor

__all__ = ["Connection"]

_ISOLATION = {
    "serializable": "serializable",
    "repeatable_read": "repeatable\\ read",
    "read_committed": "read\\ committed",
    "read_uncommitted": "read\\ uncommitted",
}
_POOLS: dict[tuple, Any] = {}
_POOLS_LOCK = threading.Lock()
_cursor_names = itertools.count(1)
_CONNECTION_BAD = ConnStatus.BAD  # a module global: reading it from the enum class costs more


def _connect_kwargs(url: DatabaseURL) -> dict[str, Any]:
    """Keyword arguments for psycopg.connect built from the URL."""
    settings = ["-c TimeZone=UTC"]
    if url.isolation_level:
        settings.append(f"-c default_transaction_isolation={_ISOLATION[url.isolation_level]}")
    options = dict(url.options)
    if "options" in options:
        settings.append(options.pop("options"))
    threshold = options.pop("prepare_threshold", None)
    kwargs: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "dbname": url.name,
        # libpq's connect_timeout is whole seconds, at least 2.
        "connect_timeout": max(2, math.ceil(url.connect_timeout)),
        "options": " ".join(settings),
        "autocommit": True,
        "cursor_factory": psycopg.ClientCursor,
    }
    if url.user:
        kwargs["user"] = url.user
    if url.password is not None:
        kwargs["password"] = url.password
    if threshold is not None:
        # psycopg's own keyword: after how many runs a server-bound statement is
        # prepared; "none" never prepares (PgBouncer in transaction mode before 1.21).
        kwargs["prepare_threshold"] = None if threshold.lower() in ("none", "off") else int(threshold)
    kwargs.update(options)
    return kwargs


def _pool_for(url: DatabaseURL) -> Any:
    """Return the module-level pool of this URL, creating it on first use."""
    key = (
        url.host,
        url.port,
        url.user,
        url.password,
        url.name,
        url.options,
        url.isolation_level,
        url.pool_size,
        url.conn_max_age,
    )
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            from psycopg_pool import ConnectionPool

            lifetime: dict[str, Any] = {"max_lifetime": url.conn_max_age} if url.conn_max_age else {}
            pool = ConnectionPool(
                conninfo="",
                # A connection the server ended while it sat in the pool (restart, kill,
                # timeout) is found at getconn (one empty query) and replaced, not handed out.
                check=ConnectionPool.check_connection,
                kwargs=_connect_kwargs(url),
                min_size=1,
                max_size=max(1, url.pool_size or 1),
                timeout=url.connect_timeout,
                open=True,
                name=f"manouche-{url.host}:{url.port}/{url.name}",
                **lifetime,
            )
            _POOLS[key] = pool
        return pool


def close_pools() -> None:
    """Close every connection pool this process opened."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()


def _is_stale_plan(error: psycopg.Error) -> bool:
    """Whether ``error`` is PostgreSQL refusing a prepared statement whose tables changed."""
    return "cached plan must not change result type" in str(error)


#: Statements after which the prepared ones are forgotten, as psycopg does for its own: a
#: dropped, altered or rolled-back object may come back different, and DISCARD ALL and
#: DEALLOCATE ALL drop them on the server (_KEEPS_NAMES: nothing left to deallocate).
_INVALIDATES = re.compile(r"\s*(?:DROP|ALTER|ROLLBACK|DISCARD\s+ALL|DEALLOCATE\s+ALL)\b", re.IGNORECASE).match
_KEEPS_NAMES = re.compile(r"\s*(?:DISCARD|DEALLOCATE)\b", re.IGNORECASE).match


def _forget_prepared(raw: psycopg.Connection) -> None:
    """Make psycopg drop its prepared statements (they are deallocated before its next query)."""
    # psycopg does this itself when it sees DROP, ALTER or DEALLOCATE ALL on this
    # connection; a change made by another connection needs telling.
    raw._prepared.clear()


class Connection(BaseConnection):
    """A psycopg connection (or one borrowed from a pool when ``pool_size`` is set)."""

    vendor = "postgresql"
    dialect_class = Dialect
    introspection_class = Introspection
    schema_editor_class = SchemaEditor
    _driver_base_error = psycopg.Error
    _driver_errors = (
        (psycopg.IntegrityError, errors.IntegrityError),
        (psycopg.DataError, errors.DataError),
        (psycopg.OperationalError, errors.OperationalError),
        (psycopg.ProgrammingError, errors.ProgrammingError),
        (psycopg.NotSupportedError, errors.NotSupportedError),
        (psycopg.InterfaceError, errors.InterfaceError),
        (psycopg.DatabaseError, errors.DatabaseError),
    )

    def is_transaction_conflict(self, error: BaseException) -> bool:
        """A deadlock (40P01) or a serialization failure (40001)."""
        conflicts = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)
        return isinstance(error.__cause__, conflicts)

    def _connect(self) -> psycopg.Connection:
        url = self.url
        self._pool = None
        self._bound_cursor: psycopg.Cursor | None = None
        self._statements: Statements | None = None
        try:
            if url.pool_size:
                self._pool = _pool_for(url)
                return self._pool.getconn()
            return psycopg.connect(**_connect_kwargs(url))
        except psycopg.Error as error:
            message = str(error)
            if url.password:
                message = message.replace(url.password, "***")
            raise errors.OperationalError(
                f"could not connect to PostgreSQL at {url.host}:{url.port} "
                f"(database {url.name!r}, user {url.user!r}): {message}"
            ) from error

    @property
    def closed(self) -> bool:
        """True once `close()` was called or the server connection is gone.

        ``orm.connections`` asks this at every use: libpq's status is read
        directly (what psycopg's own ``closed`` compares), without two calls.
        """
        return self._closed or self._raw.pgconn.status == _CONNECTION_BAD

    def _raw_is_gone(self) -> bool:
        return self._raw.pgconn.status == _CONNECTION_BAD

    def _socket(self) -> int | None:
        try:
            return self._raw.pgconn.socket
        except psycopg.Error:  # libpq has no socket: the connection is closed
            return None

    def _close_raw(self) -> None:
        if self._pool is not None:
            self._pool.putconn(self._raw)
        else:
            self._raw.close()

    def fetch_all(
        self,
        sql: str,
        params: Sequence[Any] | None = (),
        prepared: bool = False,
        load: Callable[[list], list] | None = None,
    ) -> list:
        """Run a query and return all its rows; ``prepared`` ones bind server-side.

        Statements go through a ``ClientCursor`` (parameters interpolated on
        the client) because a server-bound parameter whose type the server
        cannot infer fails (``%s IS NULL``, untyped expressions, DDL). A
        ``prepared`` statement compares every parameter with a column, so it
        is bound server-side and prepared after a few runs (the server parses
        and plans it once), through `prepared.Statements`: psycopg's protocol
        steps without its cursor's per-call bookkeeping.
        """
        if not prepared or not params:
            return super().fetch_all(sql, params, load=load)
        if query_listeners:
            notify_listeners(sql, params, self.vendor, self.alias)
        statements = self._statements
        if statements is None or statements.raw is not self._raw:
            statements = self._new_statements()
        query = statements.query(sql)
        if query is None:
            return self._fetch_bound(sql, params, load)
        result = self._run_bound(statements, query, params)
        count = result.ntuples
        try:
            if load is None:
                return statements.load_rows(result, 0, count)
            if count <= FETCH_CHUNK_ROWS:
                return load(statements.load_rows(result, 0, count))
            # Each chunk becomes objects while its rows are still in the CPU's caches
            # (see _load_chunks); load may run queries of its own in between.
            loaded = load(statements.load_rows(result, 0, FETCH_CHUNK_ROWS))
            for first in range(FETCH_CHUNK_ROWS, count, FETCH_CHUNK_ROWS):
                loaded += load(statements.load_rows(result, first, min(count, first + FETCH_CHUNK_ROWS)))
            return loaded
        except psycopg.Error as error:
            raise self._translate(error) from error

    def _new_statements(self) -> Statements:
        if self._closed:
            raise errors.InterfaceError(f"connection {self._label()} is closed")
        statements = self._statements = statements_of(self._raw)
        return statements

    def _run_bound(self, statements: Statements, query: bytes, params: Sequence[Any]) -> Any:
        """``statements.run``, its driver errors translated; a statement the server lost is run again."""
        try:
            return statements.run(query, params)
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.InvalidSqlStatementName) as error:
            stale = _is_stale_plan(error)
            if not stale and isinstance(error, psycopg.errors.FeatureNotSupported):
                raise self._translate(error) from error
            # Another connection changed a table this statement reads (ALTER ... TYPE),
            # or this one ran DEALLOCATE/DISCARD ALL: prepare afresh. Run once more in
            # autocommit only, since the failure aborted an open transaction.
            statements.forget(deallocate=stale)
            _forget_prepared(self._raw)
            if self._in_transaction:
                raise self._translate(error) from error
            try:
                if stale:
                    statements.deallocate_all()
                return statements.run(query, params)
            except psycopg.Error as again:
                raise self._translate(again) from again
        except psycopg.Error as error:
            raise self._translate(error) from error

    def _execute_bound(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor:
        """Run a statement `prepared.Statements` cannot convert on psycopg's server-binding cursor."""
        cursor = self._bound_cursor
        if cursor is None:
            cursor = self._bound_cursor = psycopg.Cursor(self._raw)
        try:
            cursor.execute(sql, params)
        except psycopg.Error as error:
            self._bound_cursor = None
            raise self._translate(error) from error
        return cursor

    def _fetch_bound(self, sql: str, params: Sequence[Any], load: Callable[[list], list] | None) -> list:
        """`fetch_all` of a statement `prepared.Statements` cannot convert (see `_execute_bound`)."""
        cursor = self._execute_bound(sql, params)
        try:
            if load is None:
                return cursor.fetchall()
            rows = cursor.fetchmany(FETCH_CHUNK_ROWS)
        except psycopg.Error as error:
            self._bound_cursor = None
            raise self._translate(error) from error
        return self._load_chunks(cursor, rows, load)

    def _release_cursor(self, cursor: Any) -> None:
        super()._release_cursor(cursor)
        if self._bound_cursor is cursor:
            self._bound_cursor = None

    def execute_count(
        self, sql: str, params: Sequence[Any] | None = (), prepared: bool = False
    ) -> int:
        """Run one statement that returns no rows; its row count (``prepared`` ones bind server-side).

        As in `fetch_all`: a ``prepared`` statement compares (or assigns) every
        parameter with a column, so it is bound server-side, which also spares
        the client quoting each value into the SQL text.
        """
        if not prepared or not params:
            if _INVALIDATES(sql):
                forget_statements(self._raw, deallocate=_KEEPS_NAMES(sql) is None)
            return super().execute_count(sql, params)
        if query_listeners:
            notify_listeners(sql, params, self.vendor, self.alias)
        statements = self._statements
        if statements is None or statements.raw is not self._raw:
            statements = self._new_statements()
        query = statements.query(sql)
        if query is None:
            return self._execute_bound(sql, params).rowcount
        count = self._run_bound(statements, query, params).command_tuples
        return -1 if count is None else count

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> Any:
        """Run one statement and return the cursor (see the base class); DDL and rollbacks reset `Statements`."""
        if _INVALIDATES(sql):
            forget_statements(self._raw, deallocate=_KEEPS_NAMES(sql) is None)
        return super().execute(sql, params)

    def close(self) -> None:
        """Close the connection, or roll back and hand it back to its pool."""
        self._bound_cursor = None
        self._statements = None
        if not self._closed and self._pool is not None and self._driver_in_transaction():
            forget_statements(self._raw)  # as after any rollback (see _INVALIDATES)
            try:
                self._raw.execute("ROLLBACK")
            except psycopg.Error:
                pass
        super().close()

    def _driver_in_transaction(self) -> bool:
        return self._raw.info.transaction_status != TransactionStatus.IDLE

    def is_usable(self) -> bool:
        """Cheap health check (closed flag, then SELECT 1)."""
        if self._closed or self._raw.closed:
            return False
        return super().is_usable()

    def last_insert_id(self, cursor: Any, table: str, pk_column: str) -> Any:
        """Return the current value of the sequence behind ``table.pk_column``."""
        row = self.execute(
            "SELECT currval(pg_get_serial_sequence(%s, %s))",
            (self.dialect.quote_name(table), pk_column),
        ).fetchone()
        return row[0]

    def stream(
        self, sql: str, params: Sequence[Any] | None = (), chunk_size: int = 2000
    ) -> Iterator[list[tuple]]:
        """Yield rows in chunks through a named server-side cursor (inside a transaction)."""
        own_transaction = not self._in_transaction
        if own_transaction:
            self.begin()
        cursor = self._raw.cursor(name=f"manouche_stream_{next(_cursor_names)}")
        failed = False
        try:
            try:
                cursor.execute(sql, params or None)
            except psycopg.Error as error:
                failed = True
                raise self._translate(error) from error
            while True:
                try:
                    rows = cursor.fetchmany(chunk_size)
                except psycopg.Error as error:
                    failed = True
                    raise self._translate(error) from error
                if not rows:
                    return
                yield rows
        finally:
            try:
                cursor.close()
            except psycopg.Error:
                failed = True
            if own_transaction:
                if not failed:
                    self.commit()
                elif self._raw_is_gone():
                    # The server ended the session: ROLLBACK would fail too, and its
                    # error would hide the one that says why the stream stopped.
                    self._in_transaction = False
                else:
                    self.rollback()
