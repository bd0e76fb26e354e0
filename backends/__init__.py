"""Connections, dialects, schema editing and introspection for SQLite, PostgreSQL and MySQL.

`backends` knows tables, columns and SQL, never model classes (SPEC §1).

    import backends
    conn = backends.connect("sqlite:///:memory:")
    conn.execute("SELECT %s + %s", (1, 2)).fetchone()   # (3,)
"""

from __future__ import annotations

import importlib
from typing import Any

from .base.connection import Connection
from .base.dialect import PATTERN_LOOKUPS, Dialect
from .base.introspection import Introspection
from .base.schema_editor import SchemaEditor
from .errors import (
    DatabaseError,
    DataError,
    Error,
    ImproperlyConfigured,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    TransactionManagementError,
)
from .listeners import add_query_listener, remove_query_listener
from .schema import (
    NOT_PROVIDED,
    Column,
    ColumnInfo,
    Constraint,
    ConstraintInfo,
    ForeignKeyRef,
    Index,
    IndexInfo,
    Table,
)
from .urls import DatabaseURL, parse_url

__all__ = [
    "connect",
    "parse_url",
    "DatabaseURL",
    "Connection",
    "Dialect",
    "Introspection",
    "SchemaEditor",
    "PATTERN_LOOKUPS",
    "add_query_listener",
    "remove_query_listener",
    "Error",
    "DatabaseError",
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "TransactionManagementError",
    "DataError",
    "InterfaceError",
    "NotSupportedError",
    "ImproperlyConfigured",
    "Table",
    "Column",
    "ForeignKeyRef",
    "Index",
    "Constraint",
    "ColumnInfo",
    "IndexInfo",
    "ConstraintInfo",
    "NOT_PROVIDED",
    "connection_class",
]


def connection_class(vendor: str) -> type[Connection]:
    """Return the Connection class of a vendor (imports only that driver)."""
    module = importlib.import_module(f"{__name__}.{vendor}.connection")
    return module.Connection


def connect(url: str | DatabaseURL, alias: str | None = None, **options: Any) -> Connection:
    """Open a connection to the database at ``url`` (see SPEC §2 for the URL forms)."""
    parsed = parse_url(url)
    return connection_class(parsed.vendor)(parsed, alias=alias, **options)
