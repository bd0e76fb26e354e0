"""mysql schema editor."""

from __future__ import annotations

from ..base.schema_editor import SchemaEditor as BaseSchemaEditor

__all__ = ["SchemaEditor"]


class SchemaEditor(BaseSchemaEditor):
    """DDL for mysql."""
