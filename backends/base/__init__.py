"""Shared behaviour of every backend; each vendor folder overrides small pieces."""

from .connection import Connection
from .dialect import Dialect
from .introspection import Introspection
from .schema_editor import SchemaEditor

__all__ = ["Connection", "Dialect", "Introspection", "SchemaEditor"]
