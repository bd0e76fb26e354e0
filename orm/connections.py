"""Connections by alias: one per thread per alias, opened lazily, checked on reuse.

A URL's ``conn_max_age`` (seconds) bounds how long a connection is reused: the
first time it is handed out after that age, outside a transaction, it is
closed and a new one opened in its place. Without it a connection lives until
it is closed, found broken, or its thread ends.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

from orm.exceptions import ImproperlyConfigured

__all__ = ["ConnectionHandler", "connections", "DEFAULT_DB_ALIAS"]

DEFAULT_DB_ALIAS = "default"
# A connection idle for longer than this is polled (one non-blocking syscall) before it is
# handed out again: a server that ended the session has made its socket readable.
POLL_AFTER_SECONDS = 1.0
# A connection idle for longer than this is pinged (a round trip) before it is handed out again.
HEALTH_CHECK_AFTER_SECONDS = 30.0
_monotonic = time.monotonic  # read for every query (a global, not a module attribute)
_NEVER = float("inf")


class ConnectionHandler:
    """``connections["default"]`` gives this thread's connection for the alias."""

    def __init__(self) -> None:
        self._local = threading.local()  # alias -> this thread's connection
        self._closers = threading.local()  # a _ThreadCloser for this thread's connections
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        self._urls: dict[str, str] | None = None

    @property
    def urls(self) -> dict[str, str]:
        if self._urls is None:
            from orm.config import settings

            self._urls = dict(settings.get().databases)
        return self._urls

    def reset(self) -> None:
        """Forget the configured URLs (after ``configure()``)."""
        self._urls = None

    def __iter__(self) -> Iterator[str]:
        return iter(self.urls)

    def __contains__(self, alias: str) -> bool:
        return alias in self.urls

    def _open(self, alias: str):
        import backends

        try:
            url = self.urls[alias]
        except KeyError:
            raise ImproperlyConfigured(
                f"no database alias {alias!r}; configured aliases: {sorted(self.urls)}"
            ) from None
        connection = backends.connect(url, alias=alias)
        now = _monotonic()
        connection._orm_last_used = now  # type: ignore[attr-defined]
        max_age = connection.url.conn_max_age
        connection._orm_expires = _NEVER if max_age is None else now + max_age  # type: ignore[attr-defined]
        with self._all_lock:
            self._all.append(connection)
        if not hasattr(self._closers, "closer"):
            self._closers.closer = _ThreadCloser(self, self._local.__dict__)
        return connection

    def __getitem__(self, alias: str):
        cache = self._local.__dict__
        connection = cache.get(alias)
        if connection is not None:
            if not connection.closed:
                now = _monotonic()
                idle = now - connection._orm_last_used
                connection._orm_last_used = now
                if idle < POLL_AFTER_SECONDS and now < connection._orm_expires:
                    return connection
                if connection.in_transaction:
                    return connection  # never swapped inside a transaction, even when too old
                if now < connection._orm_expires and (
                    (idle < HEALTH_CHECK_AFTER_SECONDS and not connection.has_unread_input())
                    or connection.is_usable()
                ):
                    return connection
            elif _in_atomic_block(connection):
                # Swapping it now would run the rest of the block outside its
                # transaction: let the block fail, replace it afterwards.
                return connection
            self._discard(connection)
            del cache[alias]
        connection = self._open(alias)
        cache[alias] = connection
        return connection

    def _discard(self, connection) -> None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close
            pass
        with self._all_lock:
            if connection in self._all:
                self._all.remove(connection)

    def all(self) -> list:
        """This thread's open connections."""
        return [conn for conn in self._local.__dict__.values() if not conn.closed]

    def close_all(self) -> None:
        """Close every connection this handler opened, in every thread."""
        with self._all_lock:
            opened, self._all = self._all, []
        for connection in opened:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
        self._local = threading.local()
        self._closers = threading.local()


class _ThreadCloser:
    """Closes a thread's connections (pooled ones go back to their pool) when the thread ends.

    Kept in a ``threading.local``, whose data for a thread is freed when the
    thread ends: without it a finished thread's connections stayed open (and
    out of their pool) until ``close_all()``.
    """

    __slots__ = ("handler", "connections")

    def __init__(self, handler: ConnectionHandler, connections: dict[str, Any]) -> None:
        self.handler = handler
        self.connections = connections  # the thread's alias -> connection dict, not a copy

    def __del__(self) -> None:
        for connection in list(self.connections.values()):
            self.handler._discard(connection)


def _in_atomic_block(connection) -> bool:
    state = getattr(connection, "_orm_transaction", None)
    return bool(state is not None and state.blocks)


connections = ConnectionHandler()
