"""Reading the live schema: tables, columns, indexes, constraints, foreign keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Introspection"]


class Introspection:
    """Reads the live schema of one connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
