"""SQLite schema editor: what ALTER TABLE cannot do is a table rebuild keeping every row.

The rebuild is SQLite's documented recipe (sqlite.org/lang_altertable.html,
"other kinds of table schema changes"), like sqlite-utils' ``transform``:
with ``PRAGMA foreign_keys`` off, create the new table under a temporary
name, copy the rows, drop the old table, rename the new one, recreate the
indexes, and check ``PRAGMA foreign_key_check`` before committing. Tables
whose foreign keys point at the rebuilt table keep pointing at it because
they name it, and the new table takes that name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..base.schema_editor import SchemaEditor as BaseSchemaEditor
from ..base.schema_editor import TableRef, table_name
from ..errors import IntegrityError, NotSupportedError
from ..schema import NOT_PROVIDED, Column, Constraint, Index, Table
from .introspection import Introspection
from .table_sql import mentions_identifier, rename_identifier

__all__ = ["SchemaEditor"]


class SchemaEditor(BaseSchemaEditor):
    """DDL for SQLite, rebuilding tables where ALTER TABLE falls short."""

    inline_column_constraints = True
    alters_referenced_columns_in_place = True

    # -- transaction: foreign keys off for the whole block ------------------

    def _start_transaction(self) -> None:
        # PRAGMA foreign_keys is a no-op inside a transaction: switch it off first.
        self.connection.execute("PRAGMA foreign_keys = OFF")
        self.connection.begin()

    def _before_commit(self) -> None:
        self._check_foreign_keys()

    def _end_transaction(self, commit: bool) -> None:
        try:
            super()._end_transaction(commit)
        finally:
            self.connection.execute("PRAGMA foreign_keys = ON")

    def _check_foreign_keys(self) -> None:
        rows = self.connection.execute("PRAGMA foreign_key_check").fetchall()
        if rows:
            problems = ", ".join(f"{row[0]} rowid {row[1]} -> {row[2]}" for row in rows[:10])
            raise IntegrityError(
                f"schema change would leave rows with broken foreign keys: {problems}"
            )

    def _run_rebuild(self, work: Callable[[], None]) -> None:
        """Run a rebuild inside a transaction with foreign keys off, opening one if needed."""
        if self.collect_sql or self._own_transaction:
            work()
            return
        if self.connection.in_transaction:
            enforced = self.connection.execute("PRAGMA foreign_keys").fetchone()[0]
            if enforced:
                raise NotSupportedError(
                    "SQLite cannot rebuild a table inside a transaction while foreign keys "
                    "are enforced: run the schema editor outside the transaction "
                    "(or PRAGMA foreign_keys = OFF before BEGIN)"
                )
            work()
            return
        self._start_transaction()
        try:
            work()
            self._check_foreign_keys()
        except BaseException:
            self._end_transaction(commit=False)
            raise
        self._end_transaction(commit=True)

    # -- describing the current table -----------------------------------------

    def describe(self, table: TableRef) -> Table:
        """Return the `Table` description, introspecting when given a name."""
        if isinstance(table, Table):
            return table
        introspection = self.connection.introspection
        assert isinstance(introspection, Introspection)
        return introspection.get_table_description(table)

    # -- the rebuild ------------------------------------------------------------

    def rebuild_table(self, old: Table, new: Table, copy_sql: dict[str, str] | None = None) -> None:
        """Replace table ``old`` by ``new`` keeping its rows.

        ``copy_sql`` maps a new column to the SQL expression (over the old
        table) that fills it; columns present in both tables copy by name,
        other new columns take their default.
        """
        self._run_rebuild(lambda: self._rebuild(old, new, copy_sql or {}))

    def _rebuild(self, old: Table, new: Table, copy_sql: dict[str, str]) -> None:
        quote = self.quote_name
        old_names = {column.name for column in old.columns}
        temporary = f"{new.name}__manouche_rebuild"
        targets: list[str] = []
        sources: list[str] = []
        for column in new.columns:
            source: str | None
            if column.generated_sql is not None:
                continue  # computed by the new table itself
            if column.name in copy_sql:
                source = copy_sql[column.name]
            elif column.name in old_names:
                source = quote(column.name)
            else:
                source = self.default_sql(column)
                if source is None:
                    continue
            if source is not None and not column.null:
                default = self.default_sql(column)
                if default is not None and source != default:
                    source = f"COALESCE({source}, {default})"
            targets.append(quote(column.name))
            sources.append(source)
        sequence = None
        if not self.collect_sql:
            sequence = self._autoincrement_sequence(old.name)
        plain_constraints = tuple(
            c for c in new.constraints
            if not c.is_index and not self.skips_constraint(new.name, c, warn=False)
        )
        self.create_table(
            dataclasses.replace(new, name=temporary, indexes=(), constraints=plain_constraints)
        )
        if targets:
            self.execute(
                f"INSERT INTO {quote(temporary)} ({', '.join(targets)}) "
                f"SELECT {', '.join(sources)} FROM {quote(old.name)}"
            )
        self.execute(f"DROP TABLE {quote(old.name)}")
        # Legacy mode: the rename must not rewrite references in other tables (they
        # already name the final table) nor choke on them while the old one is gone.
        self.execute("PRAGMA legacy_alter_table = ON")
        self.execute(f"ALTER TABLE {quote(temporary)} RENAME TO {quote(new.name)}")
        self.execute("PRAGMA legacy_alter_table = OFF")
        for index in new.indexes:
            self.create_index(new.name, index)
        for constraint in new.constraints:
            if constraint.is_index:
                self.create_index(new.name, constraint.as_index())
        if sequence is not None:
            self.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s",
                (sequence, new.name),
            )

    def _autoincrement_sequence(self, table: str) -> int | None:
        exists = self.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        ).fetchone()
        if not exists:
            return None
        row = self.connection.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = %s", (table,)
        ).fetchone()
        return row[0] if row else None

    # -- operations -------------------------------------------------------------

    def drop_table(self, name: str) -> None:
        """Drop a table."""
        self.execute(f"DROP TABLE {self.quote_name(name)}")

    def add_column(self, table: TableRef, column: Column) -> None:
        """Add a column; rebuild when ALTER TABLE ADD COLUMN cannot take its constraints."""
        needs_rebuild = (
            column.primary_key
            or column.unique
            or (not column.null and self.default_sql(column) is None)
            or (column.references is not None and self.default_sql(column) not in (None, "NULL"))
            or (column.db_default_sql is not None)
            # ALTER TABLE ADD COLUMN takes virtual generated columns only.
            or (column.generated_sql is not None and column.generated_stored)
        )
        if not needs_rebuild:
            self.execute(
                f"ALTER TABLE {self.quote_name(table_name(table))} ADD COLUMN "
                + self.column_sql(column)
            )
            return
        old = self.describe(table)
        new = dataclasses.replace(old, columns=(*old.columns, column))
        self.rebuild_table(old, new)

    def drop_column(self, table: TableRef, column_name: str) -> None:
        """Drop a column by rebuilding the table (keeps rows, indexes and foreign keys)."""
        old = self.describe(table)
        old.column(column_name)
        new = Table(
            old.name,
            tuple(column for column in old.columns if column.name != column_name),
            tuple(index for index in old.indexes if not _uses(index, column_name)),
            tuple(c for c in old.constraints if not _uses(c, column_name)),
        )
        self.rebuild_table(old, new)

    def alter_column(self, table: TableRef, old_column: Column, new_column: Column) -> None:
        """Change a column; a rename alone is ALTER TABLE, anything else a rebuild."""
        name = table_name(table)
        renamed = old_column.name != new_column.name
        if renamed and dataclasses.replace(old_column, name=new_column.name) == new_column:
            self.rename_column(name, old_column.name, new_column.name)
            return
        old = self.describe(table)
        columns = tuple(
            new_column if column.name == old_column.name else column for column in old.columns
        )

        def rename(item: Any) -> Any:
            if not renamed or not (old_column.name in item.columns or item.expressions):
                return item
            return dataclasses.replace(
                item,
                columns=tuple(new_column.name if n == old_column.name else n for n in item.columns),
                expressions=tuple(
                    rename_identifier(sql, old_column.name, self.quote_name(new_column.name))
                    for sql in item.expressions
                ),
            )

        new = Table(
            old.name,
            columns,
            tuple(rename(index) for index in old.indexes),
            tuple(rename(constraint) for constraint in old.constraints),
        )
        self.rebuild_table(old, new, {new_column.name: self.quote_name(old_column.name)})

    def rename_index(self, table_name: str, old_name: str, new_name: str) -> None:
        """Rename an index: SQLite has no RENAME INDEX, so drop and recreate it."""
        description = self.describe(table_name)
        for index in description.indexes:
            if index.name == old_name:
                self.drop_index(table_name, old_name)
                self.create_index(table_name, dataclasses.replace(index, name=new_name))
                return
        raise NotSupportedError(f"table {table_name!r} has no index named {old_name!r}")

    def add_constraint(self, table: TableRef, constraint: Constraint) -> None:
        """Add a constraint: a partial unique is an index, anything else a rebuild."""
        if self.skips_constraint(table_name(table), constraint):
            return
        if constraint.is_index:
            super().add_constraint(table, constraint)
            return
        old = self.describe(table)
        new = dataclasses.replace(old, constraints=(*old.constraints, constraint))
        self.rebuild_table(old, new)

    def drop_constraint(self, table: TableRef, constraint: Constraint | str) -> None:
        """Drop a constraint: a partial unique index is dropped, anything else a rebuild."""
        name = constraint if isinstance(constraint, str) else constraint.name
        if not isinstance(constraint, str) and self.skips_constraint(
            table_name(table), constraint, warn=False
        ):
            return  # never created
        if not isinstance(constraint, str) and constraint.is_index:
            self.drop_index(table_name(table), name)
            return
        old = self.describe(table)
        if any(index.name == name for index in old.indexes):
            self.drop_index(old.name, name)
            return
        remaining = tuple(c for c in old.constraints if c.name != name)
        columns = old.columns
        if len(remaining) == len(old.constraints) and not isinstance(constraint, str):
            columns = tuple(self._without(column, constraint) for column in old.columns)
        self.rebuild_table(old, dataclasses.replace(old, columns=columns, constraints=remaining))

    @staticmethod
    def _without(column: Column, constraint: Constraint) -> Column:
        """Strip a column-level form of ``constraint`` from ``column``."""
        if column.name not in constraint.columns or len(constraint.columns) != 1:
            return column
        changes: dict[str, Any] = {}
        if constraint.kind == "unique":
            changes["unique"] = False
        elif constraint.kind == "foreign_key":
            changes["references"] = None
        elif constraint.kind == "check":
            changes["check_sql"] = None
        return dataclasses.replace(column, **changes) if changes else column

    def default_sql(self, column: Column) -> str | None:
        """Return the DEFAULT expression; raw SQL defaults are parenthesised as SQLite needs."""
        if column.db_default_sql is not None:
            return f"({column.db_default_sql})"
        return super().default_sql(column)

    def quote_value(self, value: Any) -> str:
        """Quote a DDL default by hand (sqlite3 has no literal quoting): strings doubled quotes."""
        if value is NOT_PROVIDED:
            raise ValueError("no default to quote")
        return super().quote_value(value)


def _uses(item: Index | Constraint, column: str) -> bool:
    """Whether an index or constraint is on ``column`` (in its columns or its expressions)."""
    return column in item.columns or any(
        mentions_identifier(sql, column) for sql in item.expressions
    )
