"""MySQL/MariaDB schema editor: DDL commits implicitly, columns change through MODIFY."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
from typing import Any

from ..base.schema_editor import SchemaEditor as BaseSchemaEditor
from ..base.schema_editor import TableRef, table_name
from ..schema import Column

__all__ = ["SchemaEditor"]


class SchemaEditor(BaseSchemaEditor):
    """DDL for MySQL/MariaDB (no transactional DDL: each statement commits)."""

    def quote_value(self, value: Any) -> str:
        """Quote a DDL default with pymysql's escaping (honours NO_BACKSLASH_ESCAPES)."""
        if value is None or isinstance(value, bool | int | float | decimal.Decimal | bytes):
            return super().quote_value(value)
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        text = super().quote_value(value)[1:-1].replace("''", "'")
        return self.connection.connection.escape(text)

    def _alter_column_definition(self, table: str, old: Column, new: Column) -> None:
        """Change type, null and default with one ALTER TABLE ... MODIFY."""
        if (old.type, old.null, self.default_sql(old), old.autoincrement, old.comment) == (
            new.type,
            new.null,
            self.default_sql(new),
            new.autoincrement,
            new.comment,
        ):
            return
        parts = [self.quote_name(new.name), new.type]
        default = self.default_sql(new)
        if default is not None:
            parts.append("DEFAULT " + default)
        parts.append("NULL" if new.null and not new.primary_key else "NOT NULL")
        if new.primary_key and new.autoincrement:
            parts.append(self.dialect.autoincrement_suffix)
        if new.comment is not None:
            parts.append("COMMENT " + self.quote_value(new.comment))
        self.execute(f"ALTER TABLE {self.quote_name(table)} MODIFY {' '.join(parts)}")

    def alter_column(self, table: TableRef, old_column: Column, new_column: Column) -> None:
        """Change a column; a foreign key losing its unique goes and comes back around it.

        MySQL refuses to drop the unique index a foreign key uses (a one-to-one
        field becoming a foreign key), so the key is dropped first and added again.
        """
        if (old_column.references is not None and old_column.unique
                and not new_column.unique and not new_column.primary_key):
            self._drop_column_constraints(table_name(table), old_column.name, "foreign_key")
            old_column = dataclasses.replace(old_column, references=None)
        super().alter_column(table, old_column, new_column)

    def _table_comment_sql(self, table: str, comment: str | None) -> str:
        return f"ALTER TABLE {self.quote_name(table)} COMMENT = {self.quote_value(comment or '')}"

    def drop_column(self, table: TableRef, column_name: str) -> None:
        """Drop a column after its foreign keys and checks (MySQL refuses otherwise)."""
        name = table_name(table)
        self._drop_column_constraints(name, column_name, "foreign_key")
        self._drop_column_constraints(name, column_name, "check")
        super().drop_column(name, column_name)

    def _constraint_is_on(self, info: Any, column: str) -> bool:
        if info.kind == "check" and not info.columns:
            # MySQL does not say which columns a CHECK uses; its clause names them quoted.
            return self.quote_name(column) in (info.check or "")
        return super()._constraint_is_on(info, column)

    def drop_index(self, table_name: str, index_name: str) -> None:
        """Drop an index of a table.

        MySQL refuses to drop the only index a foreign key can use; that index is
        renamed after the foreign key instead (what MySQL would have made for it).
        """
        introspection = self.connection.introspection
        rows = introspection._index_rows(table_name)  # type: ignore[attr-defined]
        columns = list(rows.get(index_name, (False, []))[1])
        others = [c for name, (_u, c) in rows.items() if name != index_name]
        for constraint in introspection.get_constraints(table_name):
            needs = list(constraint.columns)
            if (constraint.kind == "foreign_key" and constraint.name and needs
                    and columns[: len(needs)] == needs
                    and not any(other[: len(needs)] == needs for other in others)):
                self.rename_index(table_name, index_name, constraint.name)
                return
        self.execute(f"DROP INDEX {self.quote_name(index_name)} ON {self.quote_name(table_name)}")

    def rename_index(self, table_name: str, old_name: str, new_name: str) -> None:
        """Rename an index."""
        self.execute(
            f"ALTER TABLE {self.quote_name(table_name)} "
            f"RENAME INDEX {self.quote_name(old_name)} TO {self.quote_name(new_name)}"
        )

    def _drop_constraint_sql(self, table: str, name: str, kind: str) -> str:
        prefix = f"ALTER TABLE {self.quote_name(table)} DROP"
        if kind == "unique":
            return f"{prefix} INDEX {self.quote_name(name)}"
        if kind == "foreign_key":
            return f"{prefix} FOREIGN KEY {self.quote_name(name)}"
        if kind == "primary_key":
            return f"{prefix} PRIMARY KEY"
        return f"{prefix} CONSTRAINT {self.quote_name(name)}"
