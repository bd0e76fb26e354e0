"""Turning `backends.schema` descriptions into DDL, and running or collecting it.

Use the editor as a context manager: inside ``with``, the work runs in one
transaction where the backend has transactional DDL, and foreign keys that
may point at tables created later are added at the end. With
``collect_sql=True`` nothing runs: the statements land in ``collected_sql``
(what ``sqlmigrate`` prints).
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
import json
import uuid
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import NotSupportedError, ProgrammingError
from ..schema import NOT_PROVIDED, Column, Constraint, ForeignKeyRef, Index, Table

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["SchemaEditor", "TableRef", "SkippedConstraintWarning"]


class SkippedConstraintWarning(UserWarning):
    """A constraint or index the backend cannot make was left out, as Django.

    A deferrable unique constraint, or an index or unique constraint on
    expressions (Django's system checks ``models.W038``, ``W043``, ``W044``).
    """

#: A table given as its description or by name.
TableRef = Table | str


def table_name(table: TableRef) -> str:
    """Return the name of a table given as a `Table` or a name."""
    return table if isinstance(table, str) else table.name


#: (editor class, dialect) -> {id(column): (column, its column_sql)}; see `_column_definitions`.
_COLUMN_SQL: dict[tuple[type, Any], dict[int, tuple[Column, str]]] = {}
_COLUMN_SQL_EDITORS_MAX = 64
_COLUMN_SQL_MAX = 4096


class SchemaEditor:
    """Runs (or collects) the DDL of schema changes on one connection."""

    #: Whether column-level CHECK and REFERENCES go inside the column definition.
    inline_column_constraints = False
    #: Whether a column referenced by foreign keys may change type while they exist
    #: (SQLite rebuilds the table and checks keys at commit); elsewhere they are
    #: dropped first and added back once both sides have the new type.
    alters_referenced_columns_in_place = False

    def __init__(self, connection: Connection, collect_sql: bool = False) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.collect_sql = collect_sql
        self.collected_sql: list[str] = []
        self.deferred_sql: list[str] = []
        self._entered = False
        self._own_transaction = False
        self._captured: list[tuple[bool, str, tuple]] | None = None
        if type(self).quote_name is SchemaEditor.quote_name:
            # The dialect's own method: one call less per name (a migrate quotes tens of thousands).
            self.quote_name = self.dialect.quote_name  # type: ignore[method-assign]

    # -- context ------------------------------------------------------------

    def __enter__(self) -> SchemaEditor:
        self._entered = True
        self.deferred_sql = []
        if (
            not self.collect_sql
            and self.dialect.supports_transactional_ddl
            and not self.connection.in_transaction
        ):
            self._start_transaction()
            self._own_transaction = True
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            if exc_type is None:
                while self.deferred_sql:
                    self.execute(self.deferred_sql.pop(0))
                if self._own_transaction:
                    self._before_commit()
        except BaseException:
            if self._own_transaction:
                self._end_transaction(commit=False)
            raise
        finally:
            self._entered = False
            self.deferred_sql = []
        if self._own_transaction:
            self._own_transaction = False
            self._end_transaction(commit=exc_type is None)

    def _start_transaction(self) -> None:
        self.connection.begin()

    def _before_commit(self) -> None:
        """Last checks inside the transaction (SQLite: foreign_key_check)."""

    def _end_transaction(self, commit: bool) -> None:
        if commit:
            self.connection.commit()
        else:
            self.connection.rollback()

    # -- running ------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one DDL statement (or collect it, values inlined, when collecting)."""
        if self._captured is not None:
            self._captured.append((False, sql, tuple(params)))
            return
        if self.collect_sql:
            if params:
                sql = sql % tuple(self.quote_value(value) for value in params)
            self.collected_sql.append(sql + ";")
            return
        if params:
            self.connection.execute(sql, params)
        else:
            # No rows to read: the connection's reused cursor, rather than a new one per statement.
            self.connection.execute_count(sql)

    def _defer(self, sql: str) -> None:
        """Run ``sql`` at the end of the ``with`` block (immediately outside one)."""
        if self._captured is not None:
            self._captured.append((True, sql, ()))
            return
        if self._entered:
            self.deferred_sql.append(sql)
        else:
            self.execute(sql)

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[tuple[bool, str, tuple]]]:
        """Within the block, record statements instead of running them; `replay` runs them.

        The list holds ``(deferred, sql, params)`` in order, ``deferred`` for
        the statements left to the end of a ``with`` block (foreign keys of
        new tables). Nothing is run, so no connection is used: the SQL of a
        change can be worked out where the connection must not be touched
        (the executor does it in a forked process).
        """
        saved, self._captured = self._captured, []
        try:
            yield self._captured
        finally:
            self._captured = saved

    def replay(self, captured: Sequence[tuple[bool, str, tuple]]) -> None:
        """Run statements recorded by `capture`: each now, or deferred as it was."""
        for deferred, sql, params in captured:
            if deferred:
                self._defer(sql)
            else:
                self.execute(sql, params)

    # -- quoting ------------------------------------------------------------

    def quote_name(self, name: str) -> str:
        """Quote an identifier for this backend."""
        return self.dialect.quote_name(name)

    def quote_value(self, value: Any) -> str:
        """Return ``value`` as an SQL literal for DDL defaults (the only place values enter SQL)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int | float | decimal.Decimal):
            return str(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return "X'" + bytes(value).hex() + "'"
        if isinstance(value, datetime.datetime | datetime.date | datetime.time):
            value = (
                value.isoformat(" ") if isinstance(value, datetime.datetime) else value.isoformat()
            )
        elif isinstance(value, uuid.UUID):
            value = value.hex
        elif isinstance(value, dict | list):
            value = json.dumps(value)
        text = str(value)
        if "\x00" in text:
            raise ProgrammingError("a DDL default cannot contain a NUL character")
        return "'" + text.replace("'", "''") + "'"

    def object_name(self, table: str, columns: Sequence[str], suffix: str) -> str:
        """Return a deterministic index/constraint name that fits `max_name_length`."""
        digest = hashlib.md5(
            "\x00".join([table, *columns, suffix]).encode(), usedforsecurity=False
        ).hexdigest()[:8]
        name = f"{table}_{'_'.join(columns)}_{digest}_{suffix}"
        limit = self.dialect.max_name_length
        if len(name) > limit:
            keep = limit - len(digest) - len(suffix) - 2
            name = f"{name[:keep]}_{digest}_{suffix}"
        return name

    # -- SQL pieces -----------------------------------------------------------

    def default_sql(self, column: Column) -> str | None:
        """Return the DEFAULT expression of a column, or None."""
        if column.db_default_sql is not None:
            return column.db_default_sql
        if column.default is not NOT_PROVIDED:
            return self.quote_value(column.default)
        return None

    def column_sql(self, column: Column, inline_constraints: bool | None = None) -> str:
        """Return a column definition for CREATE TABLE / ADD COLUMN."""
        inline = (
            self.inline_column_constraints if inline_constraints is None else inline_constraints
        )
        if column.generated_sql is not None:
            return self._generated_column_definition(column)
        sql = self.quote_name(column.name) + " " + column.type
        # default_sql, skipped when neither default is set (it returns None then on every
        # backend): one call less per column of every CREATE TABLE.
        if column.db_default_sql is not None or column.default is not NOT_PROVIDED:
            default = self.default_sql(column)
            if default is not None:
                sql += " DEFAULT " + default
        if column.primary_key:
            sql += " NOT NULL PRIMARY KEY"
            if column.autoincrement and self.dialect.autoincrement_suffix:
                sql += " " + self.dialect.autoincrement_suffix
        else:
            sql += " NULL" if column.null else " NOT NULL"
            if column.unique:
                sql += " UNIQUE"
        if inline:
            if column.check_sql:
                sql += f" CHECK ({column.check_sql})"
            if column.references is not None:
                sql += " " + self.references_sql(column.references)
        if column.comment is not None and self.dialect.supports_inline_column_comments:
            sql += " COMMENT " + self.quote_value(column.comment)
        return sql

    def _generated_column_definition(self, column: Column) -> str:
        """A generated column's definition: no default, key, check or reference of its own."""
        sql = f"{self.quote_name(column.name)} {column.type} {self.generated_column_sql(column)}"
        if self.dialect.generated_columns_take_null:
            sql += " NULL" if column.null else " NOT NULL"
        if column.unique:
            sql += " UNIQUE"
        return sql

    def generated_column_sql(self, column: Column) -> str:
        """``GENERATED ALWAYS AS (...) STORED|VIRTUAL``, or NotSupportedError naming the column."""
        stored = column.generated_stored
        if not (
            self.dialect.supports_stored_generated_columns
            if stored
            else self.dialect.supports_virtual_generated_columns
        ):
            kind, fix = ("stored", "False") if stored else ("virtual", "True")
            raise NotSupportedError(
                f"{self.dialect.vendor} does not support {kind} generated columns "
                f"(column {column.name!r}); set db_persist={fix} on its GeneratedField"
            )
        return f"GENERATED ALWAYS AS ({column.generated_sql}) {'STORED' if stored else 'VIRTUAL'}"

    def _column_definitions(self, columns: Sequence[Column]) -> list[str]:
        """``column_sql`` of each column, remembered per column value for this editor class and dialect.

        Column descriptions are shared values (`Field.column_description` gives
        equal columns one instance), so a migrate writes the same few hundred
        into thousands of CREATE TABLEs. Keyed by identity: an entry holds its
        column, so the id cannot be reused while the entry lives. Columns with a
        quoted default, and every column of an editor whose class overrides
        ``column_sql``, are written each time.
        """
        if type(self).column_sql is not SchemaEditor.column_sql:
            return [self.column_sql(column) for column in columns]
        cache_key = (type(self), self.dialect)
        cache = _COLUMN_SQL.get(cache_key)
        if cache is None:
            if len(_COLUMN_SQL) >= _COLUMN_SQL_EDITORS_MAX:
                _COLUMN_SQL.clear()
            cache = _COLUMN_SQL[cache_key] = {}
        definitions = []
        cached = cache.get
        for column in columns:
            entry = cached(id(column))
            if entry is not None and entry[0] is column:
                definitions.append(entry[1])
            elif column.default is not NOT_PROVIDED:
                # Never kept: a quoted value may depend on the session (MySQL's NO_BACKSLASH_ESCAPES).
                definitions.append(self.column_sql(column))
            else:
                if len(cache) >= _COLUMN_SQL_MAX:
                    cache.clear()
                entry = cache[id(column)] = (column, self.column_sql(column))
                definitions.append(entry[1])
        return definitions

    def references_sql(self, reference: ForeignKeyRef) -> str:
        """Return ``REFERENCES "t" ("c")`` with ON DELETE / DEFERRABLE where given."""
        sql = f"REFERENCES {self.quote_name(reference.table)} ({self.quote_name(reference.column)})"
        if reference.on_delete:
            sql += f" ON DELETE {reference.on_delete}"
        if reference.deferrable and self.dialect.supports_deferrable_constraints:
            sql += " DEFERRABLE INITIALLY DEFERRED"
        return sql

    def constraint_sql(self, constraint: Constraint) -> str:
        """Return a table-level ``CONSTRAINT name ...`` clause (not for partial uniques)."""
        name = self.quote_name(constraint.name)
        columns = ", ".join(self.quote_name(column) for column in constraint.columns)
        if constraint.kind == "unique":
            if constraint.deferrable:
                return (
                    f"CONSTRAINT {name} UNIQUE ({columns}) "
                    f"DEFERRABLE INITIALLY {constraint.deferrable.upper()}"
                )
            return f"CONSTRAINT {name} UNIQUE ({columns})"
        if constraint.kind == "check":
            return f"CONSTRAINT {name} CHECK ({constraint.check_sql})"
        if constraint.kind == "primary_key":
            return f"CONSTRAINT {name} PRIMARY KEY ({columns})"
        if constraint.kind == "foreign_key":
            if constraint.references is None:
                raise ProgrammingError(
                    f"foreign key constraint {constraint.name!r} has no references"
                )
            return f"CONSTRAINT {name} FOREIGN KEY ({columns}) " + self.references_sql(
                constraint.references
            )
        raise NotSupportedError(f"unknown constraint kind {constraint.kind!r} ({constraint.name})")

    def skips_constraint(self, table: str, constraint: Constraint, warn: bool = True) -> bool:
        """Whether ``constraint`` is left out here: a deferrable unique one where unsupported.

        As Django, which skips it with the system check warning ``models.W038``;
        the warning (`SkippedConstraintWarning`) names the constraint and table.
        """
        if constraint.expressions and not self.dialect.supports_expression_indexes:
            if warn:
                warnings.warn(
                    f"{self.dialect.vendor} does not support unique constraints on expressions: "
                    f"{constraint.name!r} on {table!r} is not created, so the database does not "
                    f"enforce the uniqueness of ({', '.join(constraint.expressions)})",
                    SkippedConstraintWarning,
                    stacklevel=3,
                )
            return True
        if constraint.deferrable is None or self.dialect.supports_deferrable_unique_constraints:
            return False
        if warn:
            warnings.warn(
                f"{self.dialect.vendor} does not support deferrable unique constraints: "
                f"{constraint.name!r} on {table!r} is not created, so the database does not "
                f"enforce the uniqueness of ({', '.join(constraint.columns)})",
                SkippedConstraintWarning,
                stacklevel=3,
            )
        return True

    def skips_index(self, table: str, index: Index, warn: bool = True) -> bool:
        """Whether ``index`` is left out here: one on expressions where unsupported.

        As Django, which skips it with the system check warning ``models.W043``;
        the warning (`SkippedConstraintWarning`) names the index and table.
        """
        if not index.expressions or self.dialect.supports_expression_indexes:
            return False
        if warn:
            warnings.warn(
                f"{self.dialect.vendor} does not support indexes on expressions: index "
                f"{index.name!r} on {table!r} is not created",
                SkippedConstraintWarning,
                stacklevel=3,
            )
        return True

    def _column_check_constraint(self, table: str, column: Column) -> Constraint:
        return Constraint(
            self.object_name(table, [column.name], "check"),
            "check",
            (column.name,),
            column.check_sql,
        )

    def _column_fk_constraint(self, table: str, column: Column) -> Constraint:
        assert column.references is not None
        reference = column.references
        return Constraint(
            self.object_name(table, [column.name, reference.table, reference.column], "fk"),
            "foreign_key",
            (column.name,),
            references=reference,
        )

    def index_sql(self, table: str, index: Index) -> str:
        """Return the CREATE INDEX statement of an index."""
        if index.condition_sql and not self.dialect.supports_partial_indexes:
            raise NotSupportedError(
                f"{self.dialect.vendor} does not support partial indexes "
                f"(index {index.name!r} on {table!r} has a condition)"
            )
        quote_name = self.quote_name
        if index.expressions:
            columns = [f"({expression})" for expression in index.expressions]
            for position, order in enumerate(index.orders[: len(columns)]):
                if order.upper() not in ("ASC", "DESC"):
                    raise ProgrammingError(f"index {index.name!r}: order must be ASC or DESC")
                columns[position] += f" {order.upper()}"
        elif index.orders:
            columns = []
            for position, column in enumerate(index.columns):
                order = index.orders[position] if position < len(index.orders) else ""
                if order and order.upper() not in ("ASC", "DESC"):
                    raise ProgrammingError(f"index {index.name!r}: order must be ASC or DESC")
                columns.append(quote_name(column) + (f" {order.upper()}" if order else ""))
        else:
            columns = [quote_name(column) for column in index.columns]
        sql = (
            f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {quote_name(index.name)} "
            f"ON {quote_name(table)} ({', '.join(columns)})"
        )
        if index.condition_sql:
            sql += f" WHERE {index.condition_sql}"
        return sql

    # -- tables ---------------------------------------------------------------

    def create_table(self, table: Table) -> None:
        """Create a table with its columns, constraints and indexes."""
        definitions = self._column_definitions(table.columns)
        later: list[Constraint] = []
        if not self.inline_column_constraints:
            for column in table.columns:
                if column.check_sql:
                    definitions.append(
                        self.constraint_sql(self._column_check_constraint(table.name, column))
                    )
                if column.references is not None:
                    later.append(self._column_fk_constraint(table.name, column))
        partial_uniques = []
        for constraint in table.constraints:
            if (
                constraint.deferrable is not None or constraint.expressions
            ) and self.skips_constraint(table.name, constraint):
                continue
            if constraint.is_index:
                partial_uniques.append(constraint)
            elif constraint.kind == "foreign_key" and not self.inline_column_constraints:
                later.append(constraint)
            else:
                definitions.append(self.constraint_sql(constraint))
        if not self.dialect.supports_partial_indexes:
            # Refused before CREATE TABLE, which MySQL would not roll back.
            conditional = [
                index for index in table.indexes
                if index.condition_sql and not self.skips_index(table.name, index, warn=False)
            ] + [constraint.as_index() for constraint in partial_uniques if constraint.condition_sql]
            for index in conditional:
                self.index_sql(table.name, index)  # raises NotSupportedError naming it
        self.execute(f"CREATE TABLE {self.quote_name(table.name)} ({', '.join(definitions)})")
        if table.comment:
            self.alter_table_comment(table.name, None, table.comment)
        for column in table.columns:
            if column.comment is not None:
                self._comment_on_column(table.name, column)
        for index in table.indexes:
            self.create_index(table.name, index)
        for constraint in partial_uniques:
            self.add_constraint(table.name, constraint)
        for constraint in later:
            self._defer(self._add_constraint_sql(table.name, constraint))

    def drop_table(self, name: str) -> None:
        """Drop a table."""
        self.execute(f"DROP TABLE {self.quote_name(name)}")

    def rename_table(self, old_name: str, new_name: str) -> None:
        """Rename a table (foreign keys pointing at it follow)."""
        self.execute(
            f"ALTER TABLE {self.quote_name(old_name)} RENAME TO {self.quote_name(new_name)}"
        )

    # -- columns --------------------------------------------------------------

    def add_column(self, table: TableRef, column: Column) -> None:
        """Add a column (with its default, unique, check and foreign key)."""
        name = table_name(table)
        self.execute(
            f"ALTER TABLE {self.quote_name(name)} ADD COLUMN "
            + self.column_sql(column, inline_constraints=False)
        )
        if column.check_sql:
            self.execute(
                self._add_constraint_sql(name, self._column_check_constraint(name, column))
            )
        if column.references is not None:
            self._defer(self._add_constraint_sql(name, self._column_fk_constraint(name, column)))
        if column.comment is not None:
            self._comment_on_column(name, column)

    # -- comments -------------------------------------------------------------

    def alter_table_comment(self, table: str, old_comment: str | None, new_comment: str | None) -> None:
        """Set (or with None/"" remove) a table's comment, where the backend keeps comments."""
        if not self.dialect.supports_comments or (old_comment or None) == (new_comment or None):
            return
        self.execute(self._table_comment_sql(table, new_comment or None))

    def _table_comment_sql(self, table: str, comment: str | None) -> str:
        value = "NULL" if comment is None else self.quote_value(comment)
        return f"COMMENT ON TABLE {self.quote_name(table)} IS {value}"

    def _comment_on_column(self, table: str, column: Column) -> None:
        """``COMMENT ON COLUMN``; a backend writing comments in the definition has done it."""
        if not self.dialect.supports_comments or self.dialect.supports_inline_column_comments:
            return
        value = "NULL" if column.comment is None else self.quote_value(column.comment)
        self.execute(
            f"COMMENT ON COLUMN {self.quote_name(table)}.{self.quote_name(column.name)} IS {value}"
        )

    def drop_column(self, table: TableRef, column_name: str) -> None:
        """Drop a column (and the constraints on it)."""
        name = table_name(table)
        self.execute(
            f"ALTER TABLE {self.quote_name(name)} DROP COLUMN {self.quote_name(column_name)}"
        )

    def rename_column(self, table: TableRef, old_name: str, new_name: str) -> None:
        """Rename a column."""
        self.execute(
            f"ALTER TABLE {self.quote_name(table_name(table))} "
            f"RENAME COLUMN {self.quote_name(old_name)} TO {self.quote_name(new_name)}"
        )

    def alter_column(self, table: TableRef, old_column: Column, new_column: Column) -> None:
        """Change a column: name, type, null, default, unique, check and references."""
        name = table_name(table)
        if old_column.name != new_column.name:
            self.rename_column(name, old_column.name, new_column.name)
        column = new_column.name
        # Named table constraints on the same column are not the column's own (as Django).
        keep = {c.name for c in getattr(table, "constraints", ()) or () if c.name}
        # Constraints that change go first, so a type change does not trip over them.
        if old_column.references != new_column.references and old_column.references is not None:
            self._drop_column_constraints(name, column, "foreign_key")
        if old_column.check_sql != new_column.check_sql and old_column.check_sql:
            self._drop_column_constraints(name, column, "check", keep)
        if old_column.unique and not new_column.unique and not new_column.primary_key:
            self._drop_column_constraints(name, column, "unique", keep)
        self._alter_column_definition(name, old_column, new_column)
        if old_column.comment != new_column.comment:
            self._comment_on_column(name, new_column)
        if new_column.unique and not old_column.unique and not new_column.primary_key:
            constraint = Constraint(self.object_name(name, [column], "uniq"), "unique", (column,))
            self.execute(self._add_constraint_sql(name, constraint))
        if new_column.check_sql and old_column.check_sql != new_column.check_sql:
            self.execute(
                self._add_constraint_sql(name, self._column_check_constraint(name, new_column))
            )
        if new_column.references is not None and old_column.references != new_column.references:
            self._defer(
                self._add_constraint_sql(name, self._column_fk_constraint(name, new_column))
            )

    def _alter_column_definition(self, table: str, old: Column, new: Column) -> None:
        """Change type, null and default (PostgreSQL-style statements)."""
        prefix = f"ALTER TABLE {self.quote_name(table)} ALTER COLUMN {self.quote_name(new.name)}"
        if old.type != new.type:
            column = self.quote_name(new.name)
            self.execute(f"{prefix} TYPE {new.type} USING {column}::{new.type}")
        old_default, new_default = self.default_sql(old), self.default_sql(new)
        if old_default != new_default:
            if new_default is None:
                self.execute(f"{prefix} DROP DEFAULT")
            else:
                self.execute(f"{prefix} SET DEFAULT {new_default}")
        if old.null != new.null:
            self.execute(f"{prefix} {'DROP' if new.null else 'SET'} NOT NULL")

    def _drop_column_constraints(
        self, table: str, column: str, kind: str, keep: set[str] | frozenset[str] = frozenset()
    ) -> None:
        """Drop the constraints of ``kind`` on exactly this one column (found by introspection).

        Constraints named in ``keep`` (the table's own named constraints) stay.
        """
        for info in self.connection.introspection.get_constraints(table):
            if info.name in keep:
                continue
            if info.kind == kind and info.name and self._constraint_is_on(info, column):
                self.execute(self._drop_constraint_sql(table, info.name, kind))

    def _constraint_is_on(self, info: Any, column: str) -> bool:
        return tuple(info.columns) == (column,)

    # -- indexes --------------------------------------------------------------

    def create_index(self, table_name: str, index: Index) -> None:
        """Create an index (partial when ``condition_sql`` is set and supported).

        An index on expressions where the backend has none is left out, with a
        `SkippedConstraintWarning` (as Django).
        """
        if index.expressions and self.skips_index(table_name, index):
            return
        self.execute(self.index_sql(table_name, index))

    def drop_index(self, table_name: str, index_name: str) -> None:
        """Drop an index."""
        self.execute(f"DROP INDEX {self.quote_name(index_name)}")

    def rename_index(self, table_name: str, old_name: str, new_name: str) -> None:
        """Rename an index."""
        self.execute(
            f"ALTER INDEX {self.quote_name(old_name)} RENAME TO {self.quote_name(new_name)}"
        )

    # -- constraints ----------------------------------------------------------

    def add_constraint(self, table: TableRef, constraint: Constraint) -> None:
        """Add a unique (partial -> unique index), check or foreign key constraint."""
        name = table_name(table)
        if self.skips_constraint(name, constraint):
            return
        if constraint.is_index:
            self.create_index(name, constraint.as_index())
            return
        self.execute(self._add_constraint_sql(name, constraint))

    def drop_constraint(self, table: TableRef, constraint: Constraint | str) -> None:
        """Drop a constraint given as its description or its name."""
        name = table_name(table)
        if isinstance(constraint, str):
            constraint = self._find_constraint(name, constraint)
        elif self.skips_constraint(name, constraint, warn=False):
            return  # never created
        if constraint.is_index:
            self.drop_index(name, constraint.name)
            return
        self.execute(self._drop_constraint_sql(name, constraint.name, constraint.kind))

    def _find_constraint(self, table: str, name: str) -> Constraint:
        """Describe the live constraint (or unique index) called ``name`` on ``table``."""
        introspection = self.connection.introspection
        for info in introspection.get_constraints(table):
            if info.name == name:
                return Constraint(name, info.kind, tuple(info.columns), info.check)
        for index in introspection.get_indexes(table):
            if index.name == name and index.unique:
                return Constraint(
                    name, "unique", tuple(index.columns), None, index.condition or "1"
                )
        raise ProgrammingError(f"table {table!r} has no constraint named {name!r}")

    def _add_constraint_sql(self, table: str, constraint: Constraint) -> str:
        return f"ALTER TABLE {self.quote_name(table)} ADD {self.constraint_sql(constraint)}"

    def _drop_constraint_sql(self, table: str, name: str, kind: str) -> str:
        return f"ALTER TABLE {self.quote_name(table)} DROP CONSTRAINT {self.quote_name(name)}"
