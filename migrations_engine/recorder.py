"""The ``manouche_migrations`` table: which migrations are applied."""

from __future__ import annotations

import datetime
from typing import Any

from backends.schema import Table

__all__ = ["MigrationRecorder", "TABLE_NAME"]

TABLE_NAME = "manouche_migrations"


class MigrationRecorder:
    """Reads and writes the applied migrations of one connection (table created on demand)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def table_description(self) -> Table:
        """The table as `backends.schema` data: ``(id, app, name, applied)``."""
        import orm

        fields = [
            ("id", orm.BigAutoField(primary_key=True)),
            ("app", orm.CharField(max_length=255)),
            ("name", orm.CharField(max_length=255)),
            ("applied", orm.DateTimeField()),
        ]
        columns = []
        for name, field in fields:
            field.set_attributes_from_name(name)
            columns.append(field.column_description(self.connection))
        return Table(TABLE_NAME, tuple(columns))

    def has_table(self) -> bool:
        return self.connection.introspection.has_table(TABLE_NAME)

    def ensure_schema(self) -> None:
        """Create the table if it does not exist."""
        if self.has_table():
            return
        with self.connection.schema_editor() as editor:
            editor.create_table(self.table_description())

    def applied_migrations(self) -> dict[tuple[str, str], datetime.datetime | str]:
        """``{(app, name): applied}`` (empty when the table does not exist yet)."""
        if not self.has_table():
            return {}
        quote = self.connection.dialect.quote_name
        rows = self.connection.execute(
            f"SELECT {quote('app')}, {quote('name')}, {quote('applied')} "
            f"FROM {quote(TABLE_NAME)} ORDER BY {quote('id')}"
        ).fetchall()
        return {(app, name): applied for app, name, applied in rows}

    def record_applied(self, app: str, name: str) -> None:
        quote = self.connection.dialect.quote_name
        # "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; isoformat writes it several times faster than strftime.
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
        self.connection.execute(
            f"INSERT INTO {quote(TABLE_NAME)} ({quote('app')}, {quote('name')}, "
            f"{quote('applied')}) VALUES (%s, %s, %s)",
            (app, name, now),
        )

    def record_unapplied(self, app: str, name: str) -> None:
        quote = self.connection.dialect.quote_name
        self.connection.execute(
            f"DELETE FROM {quote(TABLE_NAME)} WHERE {quote('app')} = %s AND {quote('name')} = %s",
            (app, name),
        )

    def flush(self) -> None:
        """Forget every applied migration (tests)."""
        if self.has_table():
            self.connection.execute(f"DELETE FROM {self.connection.dialect.quote_name(TABLE_NAME)}")
