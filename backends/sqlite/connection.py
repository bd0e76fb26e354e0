"""SQLite connections: autocommit with explicit BEGIN, foreign keys on, `%s` -> `?`."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from .. import errors
from ..base.connection import Connection as BaseConnection
from ..listeners import notify_listeners, query_listeners
from .dialect import Dialect
from .introspection import Introspection
from .schema_editor import SchemaEditor
from .sql_functions import register_functions

__all__ = ["Connection"]

# sql -> sql with `?` placeholders; bounded so ad-hoc SQL cannot grow it forever.
_PLACEHOLDER_CACHE: dict[tuple[str, int], str] = {}
_PLACEHOLDER_CACHE_SIZE = 4096

_PROGRAMMING_ERRORS = (
    "no such table",
    "no such column",
    "near ",
    "syntax error",
    "no such function",
    "table ",
    "duplicate column",
    "no such index",
    "index ",
)
_INT_OPTIONS = {"cached_statements"}
_FLOAT_OPTIONS = {"timeout"}
_BOOL_OPTIONS = {"uri"}


class _Cursor(sqlite3.Cursor):
    """The cursor ``execute()`` returns: errors met while fetching become ours too.

    sqlite3 runs a statement a row at a time, so an error on a later row
    (an integer overflow, a failing function) surfaces in ``fetch*()``, not in
    ``execute()``.
    """

    _translate: Any

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def fetchmany(self, size: int | None = None) -> list:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def fetchall(self) -> list:
        try:
            return super().fetchall()
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as error:
            raise self._translate(error) from error


def _to_qmark(sql: str, count: int) -> str:
    """Turn `%s` placeholders into `?` and `%%` into `%` (cached)."""
    key = (sql, count)
    converted = _PLACEHOLDER_CACHE.get(key)
    if converted is None:
        converted = sql % (("?",) * count)
        if len(_PLACEHOLDER_CACHE) >= _PLACEHOLDER_CACHE_SIZE:
            _PLACEHOLDER_CACHE.clear()
        _PLACEHOLDER_CACHE[key] = converted
    return converted


class Connection(BaseConnection):
    """A sqlite3 connection with PRAGMA foreign_keys=ON and a busy timeout."""

    vendor = "sqlite"
    dialect_class = Dialect
    introspection_class = Introspection
    schema_editor_class = SchemaEditor
    _driver_base_error = sqlite3.Error
    _parameter_errors = (TypeError,)
    _driver_errors = (
        (sqlite3.IntegrityError, errors.IntegrityError),
        (sqlite3.DataError, errors.DataError),
        (sqlite3.OperationalError, errors.OperationalError),
        (sqlite3.NotSupportedError, errors.NotSupportedError),
        (sqlite3.ProgrammingError, errors.ProgrammingError),
        (sqlite3.InterfaceError, errors.InterfaceError),
        (sqlite3.DatabaseError, errors.DatabaseError),
    )

    def _translate(self, error: BaseException) -> errors.Error:
        """Return our exception; SQLite files wrong SQL under OperationalError, we do not."""
        if isinstance(error, sqlite3.OperationalError) and str(error).startswith(
            _PROGRAMMING_ERRORS
        ):
            return errors.ProgrammingError(str(error))
        return super()._translate(error)

    def _connect(self) -> sqlite3.Connection:
        path = self.url.name
        kwargs: dict[str, Any] = {"timeout": self.url.connect_timeout}
        for key, value in self.url.options:
            if key in _FLOAT_OPTIONS:
                kwargs[key] = float(value)
            elif key in _INT_OPTIONS:
                kwargs[key] = int(value)
            elif key in _BOOL_OPTIONS:
                kwargs[key] = value.lower() in ("1", "true", "yes", "on")
            else:
                raise errors.ImproperlyConfigured(
                    f"{self.url.masked}: unknown SQLite option {key!r}; "
                    "supported: timeout, cached_statements, uri"
                )
        if path != ":memory:" and not kwargs.get("uri"):
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise errors.OperationalError(
                    f"cannot open SQLite database {path!r}: directory {directory!r} "
                    "does not exist (create it first)"
                )
        try:
            raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, **kwargs)
        except sqlite3.Error as error:
            raise errors.OperationalError(
                f"cannot open SQLite database {path!r}: {error}"
            ) from error
        return raw

    def _configure(self) -> None:
        raw = self._raw
        raw.execute("PRAGMA foreign_keys = ON")
        # Make LIKE case-sensitive, as on the other backends; i-lookups lower both sides.
        raw.execute("PRAGMA case_sensitive_like = ON")
        busy_ms = int(self.url.connect_timeout * 1000)
        raw.execute(f"PRAGMA busy_timeout = {busy_ms}")
        if self.url.isolation_level == "read_uncommitted":
            raw.execute("PRAGMA read_uncommitted = 1")
        register_functions(raw)

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> Any:
        """Run one statement with `%s` placeholders and return the sqlite3 cursor."""
        if query_listeners:
            notify_listeners(sql, params, self.vendor, self.alias)
        cursor = self._translating_cursor()
        try:
            if params:
                cursor.execute(_to_qmark(sql, len(params)), params)
            else:
                cursor.execute(sql)
        except sqlite3.Error as error:
            raise self._translate(error) from error
        except TypeError as error:
            raise errors.ProgrammingError(f"{error} in SQL: {sql}") from error
        return cursor

    def _translating_cursor(self) -> _Cursor:
        if self._closed:
            raise errors.InterfaceError(f"connection {self._label()} is closed")
        cursor = self._raw.cursor(_Cursor)
        cursor._translate = self._translate
        return cursor

    def _driver_sql(self, sql: str, params: Sequence[Any]) -> str:
        converted = _PLACEHOLDER_CACHE.get((sql, len(params)))
        return converted if converted is not None else _to_qmark(sql, len(params))

    def executemany(self, sql: str, seq_of_params: Sequence[Sequence[Any]]) -> Any:
        """Run one statement once per parameter tuple; return the cursor."""
        if query_listeners:
            notify_listeners(sql, seq_of_params, self.vendor, self.alias)
        seq_of_params = list(seq_of_params)
        cursor = self._translating_cursor()
        if seq_of_params and seq_of_params[0]:
            sql = _to_qmark(sql, len(seq_of_params[0]))
        try:
            cursor.executemany(sql, seq_of_params)
        except sqlite3.Error as error:
            raise self._translate(error) from error
        return cursor

    def _begin_sql(self) -> str:
        # SERIALIZABLE: take the write lock at BEGIN so two writers cannot both read first.
        return "BEGIN IMMEDIATE" if self.url.isolation_level == "serializable" else "BEGIN"

    def _driver_in_transaction(self) -> bool:
        return bool(self._raw.in_transaction)
