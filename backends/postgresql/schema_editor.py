"""PostgreSQL schema editor: transactional DDL, identity columns, deferrable foreign keys."""

from __future__ import annotations

from typing import Any

from psycopg import sql as psycopg_sql
from psycopg.types.json import Jsonb

from ..base.schema_editor import SchemaEditor as BaseSchemaEditor
from ..base.schema_editor import TableRef, table_name

__all__ = ["SchemaEditor"]


class SchemaEditor(BaseSchemaEditor):
    """DDL for PostgreSQL."""

    def quote_value(self, value: Any) -> str:
        """Quote a DDL default with psycopg's own literal quoting."""
        if isinstance(value, dict | list):
            value = Jsonb(value)
        return psycopg_sql.Literal(value).as_string(self.connection.connection)

    def drop_table(self, name: str) -> None:
        """Drop a table and the foreign keys pointing at it."""
        self.execute(f"DROP TABLE {self.quote_name(name)} CASCADE")

    def drop_column(self, table: TableRef, column_name: str) -> None:
        """Drop a column with its indexes and the foreign keys pointing at it."""
        self.execute(
            f"ALTER TABLE {self.quote_name(table_name(table))} "
            f"DROP COLUMN {self.quote_name(column_name)} CASCADE"
        )
