"""MySQL/MariaDB connections through pymysql: autocommit, utf8mb4, UTC session."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pymysql
import pymysql.cursors
from pymysql.constants import CLIENT

from .. import errors
from ..base.connection import Connection as BaseConnection
from .dialect import Dialect
from .introspection import Introspection
from .schema_editor import SchemaEditor

__all__ = ["Connection"]

_ISOLATION = {
    "serializable": "SERIALIZABLE",
    "repeatable_read": "REPEATABLE READ",
    "read_committed": "READ COMMITTED",
    "read_uncommitted": "READ UNCOMMITTED",
}
_INT_OPTIONS = {"read_timeout", "write_timeout", "max_allowed_packet", "local_infile"}
_SERVER_STATUS_IN_TRANS = 1
# Constraint violations pymysql files under other classes: CHECK failed (MariaDB 4025,
# MySQL 3819), not null (1048), duplicate (1062), foreign keys (1216, 1217, 1451, 1452).
_INTEGRITY_CODES = frozenset({4025, 3819, 1048, 1062, 1216, 1217, 1451, 1452})
#: ER_LOCK_DEADLOCK
_DEADLOCK = 1213


class _RawConnection(pymysql.connections.Connection):
    """pymysql's connection, reading the rest of an open stream before it sends anything else."""

    #: Set by ``Connection.stream()`` while its unbuffered result is open.
    _stream_drain: Callable[[], None] | None = None

    def _execute_command(self, command: int, sql: Any) -> Any:
        drain = self._stream_drain
        if drain is not None:
            self._stream_drain = None
            result = self._result
            if result is not None and result.unbuffered_active:
                drain()
        return super()._execute_command(command, sql)


class Connection(BaseConnection):
    """A pymysql connection in autocommit mode, reporting matched (not changed) rows."""

    vendor = "mysql"
    dialect_class = Dialect
    introspection_class = Introspection
    schema_editor_class = SchemaEditor
    _driver_base_error = pymysql.err.Error
    _driver_errors = (
        (pymysql.err.IntegrityError, errors.IntegrityError),
        (pymysql.err.DataError, errors.DataError),
        (pymysql.err.OperationalError, errors.OperationalError),
        (pymysql.err.ProgrammingError, errors.ProgrammingError),
        (pymysql.err.NotSupportedError, errors.NotSupportedError),
        (pymysql.err.InterfaceError, errors.InterfaceError),
        (pymysql.err.DatabaseError, errors.DatabaseError),
    )

    def _raw_is_gone(self) -> bool:
        return not self._raw.open

    def _socket(self) -> int | None:
        sock = self._raw._sock
        return None if sock is None else sock.fileno()

    def _translate(self, error: BaseException) -> errors.Error:
        """Return our exception for a pymysql error, constraint violations as IntegrityError."""
        code = error.args[0] if error.args else None
        if code in _INTEGRITY_CODES:
            return errors.IntegrityError(str(error))
        return super()._translate(error)

    def is_transaction_conflict(self, error: BaseException) -> bool:
        """A deadlock (1213): InnoDB has rolled the whole transaction back.

        A lock wait timeout (1205) is not one: it undoes the statement only,
        and running the work again would wait as long.
        """
        cause = error.__cause__
        return (
            isinstance(cause, pymysql.err.OperationalError)
            and bool(cause.args)
            and cause.args[0] == _DEADLOCK
        )

    def _connect(self) -> pymysql.connections.Connection:
        url = self.url
        init = ["SET time_zone = '+00:00'"]
        if url.isolation_level:
            init.append(
                f"SET SESSION TRANSACTION ISOLATION LEVEL {_ISOLATION[url.isolation_level]}"
            )
        kwargs: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "user": url.user or "",
            "password": url.password or "",
            "database": url.name,
            "charset": "utf8mb4",
            "autocommit": True,
            "connect_timeout": url.connect_timeout,
            # Report rows matched by UPDATE, as the other backends do.
            "client_flag": CLIENT.FOUND_ROWS,
        }
        for key, value in url.options:
            kwargs[key] = int(value) if key in _INT_OPTIONS else value
        try:
            raw = _RawConnection(**kwargs)
            with raw.cursor() as cursor:
                for statement in init:
                    cursor.execute(statement)
        except pymysql.err.Error as error:
            message = str(error)
            if url.password:
                message = message.replace(url.password, "***")
            raise errors.OperationalError(
                f"could not connect to MySQL at {url.host}:{url.port} "
                f"(database {url.name!r}, user {url.user!r}): {message}"
            ) from error
        self.is_mariadb = "mariadb" in raw.get_server_info().lower()
        return raw

    def _begin_sql(self) -> str:
        return "START TRANSACTION"

    def _driver_in_transaction(self) -> bool:
        return bool(self._raw.server_status & _SERVER_STATUS_IN_TRANS)

    def is_usable(self) -> bool:
        """Cheap health check: ping the server without reconnecting."""
        if self._closed:
            return False
        try:
            self._raw.ping(reconnect=False)
        except Exception:  # noqa: BLE001 - any failure means "not usable"
            return False
        return True

    def stream(
        self, sql: str, params: Sequence[Any] | None = (), chunk_size: int = 2000
    ) -> Iterator[list[tuple]]:
        """Yield rows in chunks through an unbuffered SSCursor.

        MySQL cannot run another statement on a connection while an
        unbuffered result is open (pymysql would drop the rest of it). So if
        one is sent meanwhile (``book.author`` read inside the loop, a
        prefetch), the rows not yet read are read first and kept in memory,
        and the stream goes on from them.
        """
        raw = self._raw
        cursor = raw.cursor(pymysql.cursors.SSCursor)
        rest: list[list] = []

        def drain() -> None:
            try:
                rest.append(list(cursor.fetchall()))
            except pymysql.err.Error as error:
                raise self._translate(error) from error

        try:
            try:
                cursor.execute(sql, params or None)
            except pymysql.err.Error as error:
                raise self._translate(error) from error
            raw._stream_drain = drain
            while not rest:
                try:
                    rows = cursor.fetchmany(chunk_size)
                except pymysql.err.Error as error:
                    raise self._translate(error) from error
                if not rows:
                    return
                yield list(rows)
            remaining = rest[0]
            for start in range(0, len(remaining), chunk_size):
                yield remaining[start:start + chunk_size]
        finally:
            if raw._stream_drain is drain:
                raw._stream_drain = None
            if self._raw_is_gone():
                # The server ended the session: closing the cursor (or collecting its
                # result) would read the rest of the rows from the socket pymysql has
                # closed, and raise AttributeError over the error that says why.
                result = cursor._result
                if result is not None:
                    result.unbuffered_active = False
            else:
                cursor.close()
