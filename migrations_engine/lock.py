"""A lock around ``migrate`` so two concurrent runs never apply a migration twice.

PostgreSQL takes a session advisory lock, MySQL ``GET_LOCK``; SQLite holds
an exclusive transaction on a small lock database beside the database file
(the database itself cannot stay locked: each migration needs its own
transaction with foreign keys switched off for table rebuilds).
"""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import Iterator
from typing import Any

from .errors import MigrationError

__all__ = ["migration_lock", "LOCK_NAME"]

LOCK_NAME = "manouche_migrate"
#: The pg_advisory_lock key: a stable number derived from the lock name.
ADVISORY_KEY = zlib.crc32(LOCK_NAME.encode())
#: Seconds to wait for another migrate to finish.
TIMEOUT = 600


@contextlib.contextmanager
def migration_lock(connection: Any, timeout: int = TIMEOUT) -> Iterator[None]:
    """Hold the migration lock of ``connection``'s database for the ``with`` block."""
    vendor = connection.vendor
    if vendor == "postgresql":
        connection.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_KEY,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
    elif vendor == "mysql":
        row = connection.execute("SELECT GET_LOCK(%s, %s)", (LOCK_NAME, timeout)).fetchone()
        if not row or row[0] != 1:
            raise MigrationError(
                f"could not take the migration lock {LOCK_NAME!r} within {timeout}s: another "
                "'manouche migrate' is running on this database"
            )
        try:
            yield
        finally:
            connection.execute("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))
    else:
        with _sqlite_lock(connection, timeout):
            yield


@contextlib.contextmanager
def _sqlite_lock(connection: Any, timeout: int) -> Iterator[None]:
    path = connection.url.name
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        yield  # a private in-memory database cannot be migrated concurrently
        return
    lock = sqlite3.connect(f"{path}.migrate-lock", timeout=timeout, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            lock.execute("ROLLBACK")
    finally:
        lock.close()
