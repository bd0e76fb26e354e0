"""SQLite introspection from PRAGMAs plus the tokenized CREATE statements."""

from __future__ import annotations

from ..base.introspection import Introspection as BaseIntrospection
from ..errors import ProgrammingError
from ..schema import (
    Column,
    ColumnInfo,
    Constraint,
    ConstraintInfo,
    ForeignKeyRef,
    Index,
    IndexInfo,
    Table,
)
from .table_sql import ParsedTable, index_condition, index_expressions, parse_create_table

__all__ = ["Introspection"]


class Introspection(BaseIntrospection):
    """Reads the live SQLite schema."""

    def table_names(self) -> list[str]:
        """Return the names of the user tables, sorted."""
        rows = self._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
        return [row[0] for row in rows]

    def _create_sql(self, table: str) -> str:
        rows = self._rows(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", (table,)
        )
        if not rows:
            raise ProgrammingError(f"no such table: {table!r}")
        return rows[0][0]

    def _parsed(self, table: str) -> ParsedTable:
        return parse_create_table(self._create_sql(table))

    def _pragma(self, pragma: str, name: str) -> list[tuple]:
        return self._rows(f"PRAGMA {pragma}({self.dialect.quote_name(name)})")

    def get_columns(self, table: str) -> list[ColumnInfo]:
        """Return the columns of ``table`` in order, types normalized."""
        parsed = self._parsed(table)
        columns = []
        for _cid, name, sql_type, notnull, default, pk, _hidden in self._table_xinfo(table):
            extra = parsed.columns.get(name)
            columns.append(
                ColumnInfo(
                    name=name,
                    type=self.normalize_type(sql_type),
                    null=not notnull and not pk,
                    default=default,
                    primary_key=bool(pk),
                    autoincrement=bool(extra and extra.autoincrement),
                )
            )
        return columns

    def _table_xinfo(self, table: str) -> list[tuple]:
        """``PRAGMA table_xinfo`` rows: ``table_info``'s and ``hidden``, generated columns included.

        ``table_info`` leaves generated columns out; hidden 1 marks a virtual
        table's hidden column, which is none of the table's.
        """
        return [row for row in self._pragma("table_xinfo", table) if row[6] != 1]

    def get_primary_key_columns(self, table: str) -> list[str]:
        """Return the primary key columns in key order."""
        rows = [row for row in self._pragma("table_info", table) if row[5]]
        return [row[1] for row in sorted(rows, key=lambda row: row[5])]

    def _index_list(self, table: str) -> list[tuple]:
        # seq, name, unique, origin ('c' CREATE INDEX, 'u' UNIQUE, 'pk'), partial
        return self._pragma("index_list", table)

    def _index_columns(self, index: str) -> tuple[str, ...]:
        rows = sorted(self._pragma("index_info", index))
        return tuple(row[2] for row in rows)

    def _index_sql(self, name: str) -> str | None:
        rows = self._rows(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", (name,)
        )
        return rows[0][0] if rows else None

    def get_indexes(self, table: str) -> list[IndexInfo]:
        """Return the indexes made with CREATE INDEX, with partial conditions."""
        indexes = []
        for _seq, name, unique, origin, partial in self._index_list(table):
            if origin != "c":
                continue
            condition = index_condition(self._index_sql(name))
            # index_info names no column for a key part on an expression.
            columns = self._index_columns(name)
            plain = tuple(column for column in columns if column is not None)
            indexes.append(
                IndexInfo(
                    name, plain, bool(unique), bool(partial), condition, len(plain) != len(columns)
                )
            )
        return sorted(indexes, key=lambda index: index.name)

    def get_constraints(self, table: str) -> list[ConstraintInfo]:
        """Return primary key, unique, check and foreign key constraints."""
        parsed = self._parsed(table)
        named = {(c.kind, c.columns): c.name for c in parsed.constraints if c.name}
        constraints = []
        pk = self.get_primary_key_columns(table)
        if pk:
            constraints.append(
                ConstraintInfo(named.get(("primary_key", tuple(pk))), "primary_key", tuple(pk))
            )
        for _seq, name, _unique, origin, _partial in self._index_list(table):
            if origin == "u":
                columns = self._index_columns(name)
                constraints.append(
                    ConstraintInfo(named.get(("unique", columns), name), "unique", columns)
                )
        for constraint in parsed.constraints:
            if constraint.kind == "check":
                constraints.append(
                    ConstraintInfo(constraint.name, "check", (), constraint.check_sql)
                )
        for column in parsed.columns.values():
            for check in column.checks:
                constraints.append(ConstraintInfo(None, "check", (column.name,), check))
        deferred = _deferrable_foreign_keys(parsed)
        for source, target in self._foreign_key_rows(table):
            name = named.get(("foreign_key", (source,)))
            constraints.append(
                ConstraintInfo(
                    name, "foreign_key", (source,), references=target,
                    deferred=deferred.get(source, False),
                )
            )
        return constraints

    def _foreign_key_rows(self, table: str) -> list[tuple[str, tuple[str, str]]]:
        rows = self._pragma("foreign_key_list", table)
        result = []
        for row in rows:
            target_table, source, target_column = row[2], row[3], row[4]
            if target_column is None:
                target_pk = self.get_primary_key_columns(target_table)
                target_column = target_pk[0] if target_pk else "rowid"
            result.append((source, (target_table, target_column)))
        return result

    def get_table_description(self, table: str) -> Table:
        """Describe the live table as a `Table` (what a rebuild needs to keep)."""
        parsed = self._parsed(table)
        pk_columns = self.get_primary_key_columns(table)
        single_pk = pk_columns[0] if len(pk_columns) == 1 else None
        unique_single: set[str] = set()
        constraints: list[Constraint] = []
        for _seq, name, _unique, origin, _partial in self._index_list(table):
            if origin == "u":
                columns = self._index_columns(name)
                if len(columns) == 1 and not any(
                    c.kind == "unique" and c.columns == columns for c in parsed.constraints
                ):
                    unique_single.add(columns[0])
        deferrable_fk = _deferrable_foreign_keys(parsed)
        fk_rows = self._pragma("foreign_key_list", table)
        references: dict[str, ForeignKeyRef] = {}
        for row in fk_rows:
            target_table, source, target_column, on_delete = row[2], row[3], row[4], row[6]
            if target_column is None:
                target_pk = self.get_primary_key_columns(target_table)
                target_column = target_pk[0] if target_pk else "rowid"
            references[source] = ForeignKeyRef(
                target_table,
                target_column,
                deferrable_fk.get(source, False),
                None if on_delete in (None, "NO ACTION") else on_delete,
            )
        table_columns: list[Column] = []
        for _cid, name, sql_type, notnull, default, _pk, _hidden in self._table_xinfo(table):
            extra = parsed.columns.get(name)
            checks = extra.checks if extra else []
            table_columns.append(
                Column(
                    name=name,
                    type=sql_type,
                    null=not notnull,
                    primary_key=name == single_pk,
                    autoincrement=bool(extra and extra.autoincrement),
                    unique=name in unique_single,
                    db_default_sql=default,
                    check_sql=" AND ".join(f"({check})" for check in checks) or None,
                    references=references.get(name),
                    generated_sql=extra.generated_sql if extra else None,
                    generated_stored=bool(extra and extra.generated_stored),
                )
            )
        for constraint in parsed.constraints:
            if constraint.kind == "primary_key" and len(constraint.columns) > 1:
                name = constraint.name or f"{table}_pk"
                constraints.append(Constraint(name, "primary_key", constraint.columns))
            elif constraint.kind == "unique":
                name = constraint.name or f"{table}_{'_'.join(constraint.columns)}_uniq"
                constraints.append(Constraint(name, "unique", constraint.columns))
            elif constraint.kind == "check":
                constraints.append(
                    Constraint(
                        constraint.name or f"{table}_check", "check", (), constraint.check_sql
                    )
                )
        indexes = []
        for info in self.get_indexes(table):
            orders = tuple(
                "DESC" if row[3] else "ASC"
                for row in sorted(self._pragma("index_xinfo", info.name))
                if row[5]
            )
            expressions = index_expressions(self._index_sql(info.name) or "") if info.expressions else ()
            columns = () if expressions else info.columns
            indexes.append(
                Index(info.name, columns, info.unique, info.condition, orders, expressions)
            )
        return Table(table, tuple(table_columns), tuple(indexes), tuple(constraints))


def _deferrable_foreign_keys(parsed) -> dict[str, bool]:
    """Per foreign key column of a parsed CREATE TABLE: whether it is DEFERRABLE INITIALLY DEFERRED."""
    deferrable = {
        name: bool(column.deferrable) for name, column in parsed.columns.items()
    }
    for constraint in parsed.constraints:
        if constraint.kind == "foreign_key":
            for column in constraint.columns:
                deferrable[column] = constraint.deferrable
    return deferrable
