"""Turning `backends.schema` descriptions into DDL and running it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["SchemaEditor"]


class SchemaEditor:
    """Runs (or collects) DDL for one connection."""

    def __init__(self, connection: Connection, collect_sql: bool = False) -> None:
        self.connection = connection
        self.collect_sql = collect_sql
        self.collected_sql: list[str] = []
