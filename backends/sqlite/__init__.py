"""SQLite backend (the embedded default)."""

from .connection import Connection

__all__ = ["Connection"]
