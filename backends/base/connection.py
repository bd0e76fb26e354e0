"""The connection object every backend returns from `backends.connect`."""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .. import errors
from ..listeners import notify_listeners, query_listeners
from ..urls import DatabaseURL

if TYPE_CHECKING:
    from .dialect import Dialect
    from .introspection import Introspection
    from .schema_editor import SchemaEditor

__all__ = ["Connection", "FETCH_CHUNK_ROWS"]

#: Rows read from the driver at a time when `Connection.fetch_all` is given a ``load`` function.
FETCH_CHUNK_ROWS = 1000
_poll = getattr(select, "poll", None)  # not on Windows: select() there


class Connection:
    """A database connection: autocommit outside explicit transactions, our errors, `%s` params.

    Subclasses set ``vendor``, the dialect/introspection/schema editor
    classes and ``_driver_errors`` (the driver's exception classes mapped to
    ours), and implement ``_connect``.
    """

    vendor: ClassVar[str] = ""
    dialect_class: ClassVar[type[Dialect]]
    introspection_class: ClassVar[type[Introspection]]
    schema_editor_class: ClassVar[type[SchemaEditor]]
    #: (driver exception class, our class), most specific first.
    _driver_errors: ClassVar[tuple[tuple[type[BaseException], type[errors.Error]], ...]] = ()
    #: The driver's base exception class (what `execute` catches).
    _driver_base_error: ClassVar[type[BaseException]] = Exception
    #: Exceptions the driver raises for parameters that do not fit the SQL (count, type),
    #: which `fetch_all` reports as ProgrammingError naming the SQL.
    _parameter_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, url: DatabaseURL, alias: str | None = None, **options: Any) -> None:
        self.url = url
        self.alias = alias
        self.options = options
        self.dialect = self.dialect_class()
        self._in_transaction = False
        self._closed = False
        self._introspection: Introspection | None = None
        self._fetch_cursor: Any = None
        self._raw: Any = None
        self._raw = self._connect()
        self._configure()

    # -- driver specifics ---------------------------------------------------

    def _connect(self) -> Any:
        """Open and return the driver connection (autocommit on)."""
        raise NotImplementedError

    def _configure(self) -> None:
        """Per-connection setup run once after connecting (session settings)."""

    def _close_raw(self) -> None:
        self._raw.close()

    # -- errors -------------------------------------------------------------

    def is_transaction_conflict(self, error: BaseException) -> bool:
        """Whether ``error`` is the database ending a transaction over a conflict with another.

        True for a deadlock or a serialization failure, after which the
        database has rolled the transaction back and the same work, run again
        from its start, may succeed. ``error`` is ours, raised from the
        driver's; the driver's is read from ``__cause__``.
        """
        return False

    def _translate(self, error: BaseException) -> errors.Error:
        """Return our exception of the same meaning as the driver's ``error``.

        When the error left the driver's connection dead (the server ended the
        session: restart, kill, timeout), the message says so and names the
        database: the driver's own can be as terse as ``(0, '')``.
        """
        message = str(error)
        if self._raw is not None and self._raw_is_gone():
            message = self._lost_message(message)
        for driver_class, our_class in self._driver_errors:
            if isinstance(error, driver_class):
                return our_class(message)
        return errors.DatabaseError(message)

    def _lost_message(self, detail: str) -> str:
        """The message of an error met on a connection the server has ended."""
        if detail in ("", "(0, '')"):  # pymysql's "(0, '')": it had closed the socket already
            detail = ""
        else:  # pymysql's messages come bracketed already: "(2013, 'Lost connection ...')"
            detail = " " + (detail if detail.startswith("(") else f"({detail})")
        return (
            f"{self._label()}: the connection to the server was lost{detail}; the server "
            "ended the session (restart, kill or timeout) and rolled back any transaction "
            "open on it; orm.connections opens a new connection at the next use"
        )

    # -- statements ---------------------------------------------------------

    @property
    def connection(self) -> Any:
        """The underlying DB-API connection (for code that needs the driver itself)."""
        return self._raw

    def cursor(self) -> Any:
        """Return a new DB-API cursor of the driver."""
        if self._closed:
            raise errors.InterfaceError(f"connection {self._label()} is closed")
        return self._raw.cursor()

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> Any:
        """Run one statement with `%s` placeholders and return the DB-API cursor.

        With empty or None params the SQL is sent untouched (no `%`
        interpretation); with params a literal `%` is written `%%`.
        """
        if query_listeners:
            notify_listeners(sql, params, self.vendor, self.alias)
        cursor = self.cursor()
        try:
            if params:
                cursor.execute(sql, params)
            else:
                cursor.execute(sql)
        except self._driver_base_error as error:
            raise self._translate(error) from error
        return cursor

    def fetch_all(
        self,
        sql: str,
        params: Sequence[Any] | None = (),
        prepared: bool = False,
        load: Callable[[list], list] | None = None,
    ) -> list:
        """Run a query and return all its rows, as `execute` + ``fetchall()`` would.

        Nothing is left open, so one cursor is kept and reused: creating a
        cursor per query is a measurable part of a small query's cost.
        ``prepared=True`` says the statement is a fixed shape run many times
        whose every parameter is compared with a column: a backend may then
        bind the parameters server-side and prepare the statement (PostgreSQL).
        ``load``: a function turning a list of rows into a list of results
        (rows into objects); the rows are then read and given to it
        `FETCH_CHUNK_ROWS` at a time and its results returned joined (see
        `_load_chunks`). Its own errors are not translated.
        """
        if query_listeners:
            notify_listeners(sql, params, self.vendor, self.alias)
        cursor = self._fetch_cursor
        if cursor is None:
            cursor = self._fetch_cursor = self.cursor()
        try:
            if params:
                cursor.execute(self._driver_sql(sql, params), params)
            else:
                cursor.execute(sql)
            if load is None:
                return cursor.fetchall()
            rows = cursor.fetchmany(FETCH_CHUNK_ROWS)
        except self._driver_base_error as error:
            self._fetch_cursor = None
            raise self._translate(error) from error
        except self._parameter_errors as error:
            self._fetch_cursor = None
            raise errors.ProgrammingError(f"{error} in SQL: {sql}") from error
        return self._load_chunks(cursor, rows, load)

    def _load_chunks(self, cursor: Any, rows: list, load: Callable[[list], list]) -> list:
        """``load(rows)`` (the first chunk), then ``load`` of each next chunk of ``cursor``, joined.

        Each row becomes an object while it is still in the CPU's caches: read
        all at once, a large result's rows would be written out to memory,
        read back to be converted, and freed cold, which cost more than the
        raw driver's whole fetch in the ORM's loads. ``load`` may query this
        connection between chunks, so a cursor with more to read is taken
        off the ones the connection reuses.
        """
        if len(rows) < FETCH_CHUNK_ROWS:
            return load(rows)
        self._release_cursor(cursor)
        result = load(rows)
        while True:
            rows = []  # the last chunk is freed before the next is made (its memory is warm)
            try:
                rows = cursor.fetchmany(FETCH_CHUNK_ROWS)
            except self._driver_base_error as error:
                raise self._translate(error) from error
            if rows:
                result += load(rows)
            if len(rows) < FETCH_CHUNK_ROWS:
                return result

    def _release_cursor(self, cursor: Any) -> None:
        """Stop reusing ``cursor`` for `fetch_all` (it is still being read)."""
        if self._fetch_cursor is cursor:
            self._fetch_cursor = None

    def _driver_sql(self, sql: str, params: Sequence[Any]) -> str:
        """``sql`` in the driver's placeholder style (``%s`` already is, except on SQLite)."""
        return sql

    def execute_count(
        self, sql: str, params: Sequence[Any] | None = (), prepared: bool = False
    ) -> int:
        """Run one statement that returns no rows (``DELETE``, ``BEGIN``); its row count.

        Nothing is left open, so the cursor `fetch_all` reuses runs it too
        (making a cursor costs more than a small statement's own work);
        ``prepared`` as for `fetch_all`. SQL and parameters as for `execute`.
        """
        return self._run_reused(sql, params).rowcount

    def execute_insert(self, sql: str, params: Sequence[Any], table: str, pk_column: str) -> Any:
        """Run one ``INSERT`` (no RETURNING) on the reused cursor; the key it generated."""
        return self.last_insert_id(self._run_reused(sql, params), table, pk_column)

    def _run_reused(self, sql: str, params: Sequence[Any] | None) -> Any:
        """Run a statement on the cursor `fetch_all` reuses and return that cursor.

        `fetch_all` repeats these steps inline rather than calling this: it runs
        for every read, and the call would be one more frame on each.
        """
        if query_listeners:
            notify_listeners(sql, params, self.vendor, self.alias)
        cursor = self._fetch_cursor
        if cursor is None:
            cursor = self._fetch_cursor = self.cursor()
        try:
            if params:
                cursor.execute(self._driver_sql(sql, params), params)
            else:
                cursor.execute(sql)
        except self._driver_base_error as error:
            self._fetch_cursor = None
            raise self._translate(error) from error
        except self._parameter_errors as error:
            self._fetch_cursor = None
            raise errors.ProgrammingError(f"{error} in SQL: {sql}") from error
        return cursor

    def executemany(self, sql: str, seq_of_params: Sequence[Sequence[Any]]) -> Any:
        """Run one statement once per parameter tuple; return the cursor."""
        if query_listeners:
            notify_listeners(sql, seq_of_params, self.vendor, self.alias)
        cursor = self.cursor()
        try:
            cursor.executemany(sql, seq_of_params)
        except self._driver_base_error as error:
            raise self._translate(error) from error
        return cursor

    def stream(
        self, sql: str, params: Sequence[Any] | None = (), chunk_size: int = 2000
    ) -> Iterator[list[tuple]]:
        """Yield the result rows in lists of at most ``chunk_size`` without loading them all."""
        cursor = self.execute(sql, params)
        try:
            while True:
                try:
                    rows = cursor.fetchmany(chunk_size)
                except self._driver_base_error as error:
                    raise self._translate(error) from error
                if not rows:
                    return
                yield list(rows)
        finally:
            cursor.close()

    def last_insert_id(self, cursor: Any, table: str, pk_column: str) -> Any:
        """Return the primary key the last INSERT on ``cursor`` generated."""
        return cursor.lastrowid

    # -- transactions -------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        """True between `begin()` and `commit()`/`rollback()`."""
        return self._in_transaction

    def begin(self) -> None:
        """Start a transaction (statements autocommit until this is called)."""
        if self._in_transaction:
            raise errors.ProgrammingError(f"{self._label()}: a transaction is already open")
        self.execute_count(self._begin_sql())
        self._in_transaction = True

    def _begin_sql(self) -> str:
        return "BEGIN"

    def commit(self) -> None:
        """Commit the open transaction and return to autocommit."""
        try:
            self.execute_count("COMMIT")
        except errors.Error:
            self._in_transaction = self._driver_in_transaction()
            raise
        self._in_transaction = False

    def rollback(self) -> None:
        """Roll the open transaction back and return to autocommit."""
        try:
            self.execute_count("ROLLBACK")
        finally:
            self._in_transaction = False

    def _driver_in_transaction(self) -> bool:
        """Whether the driver still has a transaction open (after a failed COMMIT)."""
        return False

    def savepoint(self, name: str) -> None:
        """Create a savepoint called ``name`` inside the open transaction."""
        self.execute("SAVEPOINT " + self.dialect.quote_name(name))

    def rollback_to_savepoint(self, name: str) -> None:
        """Undo everything since savepoint ``name`` (the savepoint stays)."""
        self.execute("ROLLBACK TO SAVEPOINT " + self.dialect.quote_name(name))

    def release_savepoint(self, name: str) -> None:
        """Forget savepoint ``name``, keeping its work in the transaction."""
        self.execute("RELEASE SAVEPOINT " + self.dialect.quote_name(name))

    # -- life cycle ---------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once `close()` was called or the driver connection is gone."""
        return self._closed or self._raw_is_gone()

    def _raw_is_gone(self) -> bool:
        """True when the driver knows its connection died (server restart, killed session)."""
        return False

    def _socket(self) -> int | None:
        """The file descriptor of the connection to the server, None when there is none."""
        return None

    def has_unread_input(self) -> bool:
        """Whether the server sent something since the last response, without waiting for it.

        Between statements the server sends nothing, except when it ends the
        session (restart, kill, idle timeout): the socket then turns readable.
        A non-blocking poll (no round trip); True means "ask `is_usable()`".
        """
        fd = self._socket()
        if fd is None:
            return False
        try:
            if _poll is None:
                return bool(select.select([fd], [], [], 0)[0])
            poller = _poll()
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(0))
        except (OSError, ValueError):  # closed meanwhile, or past select()'s descriptor limit
            return True

    def close(self) -> None:
        """Close the connection (or hand it back to its pool); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._in_transaction = False
        self._fetch_cursor = None
        try:
            self._close_raw()
        except Exception:  # noqa: BLE001 - closing a broken connection must not fail
            pass

    def is_usable(self) -> bool:
        """Cheap health check: False when the connection is closed or broken."""
        if self._closed:
            return False
        try:
            cursor = self._raw.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
        except Exception:  # noqa: BLE001 - any failure means "not usable"
            return False
        return True

    # -- helpers for the other parts of the backend ---------------------------

    @property
    def introspection(self) -> Introspection:
        """Read the live schema: tables, columns, indexes, constraints, foreign keys."""
        if self._introspection is None:
            self._introspection = self.introspection_class(self)
        return self._introspection

    def schema_editor(self, collect_sql: bool = False) -> SchemaEditor:
        """Return a schema editor; use it as a context manager (one transaction where possible)."""
        return self.schema_editor_class(self, collect_sql=collect_sql)

    def _label(self) -> str:
        return f"{self.vendor} database {self.alias or self.url.masked!s}"

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<{type(self).__name__} {self.vendor} {self.url.masked} alias={self.alias!r} {state}>"
        )
