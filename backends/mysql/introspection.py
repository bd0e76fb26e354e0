"""MySQL/MariaDB introspection from information_schema (current database)."""

from __future__ import annotations

from collections import defaultdict

from ..base.introspection import Introspection as BaseIntrospection
from ..schema import ColumnInfo, ConstraintInfo, IndexInfo

__all__ = ["Introspection"]

_KINDS = {"PRIMARY KEY": "primary_key", "UNIQUE": "unique", "FOREIGN KEY": "foreign_key"}


class Introspection(BaseIntrospection):
    """Reads the live MySQL/MariaDB schema."""

    def table_names(self) -> list[str]:
        """Return the names of the base tables of the current database, sorted."""
        rows = self._rows(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        return [row[0] for row in rows]

    def get_columns(self, table: str) -> list[ColumnInfo]:
        """Return the columns of ``table`` in order, types normalized."""
        rows = self._rows(
            "SELECT column_name, column_type, is_nullable, column_default, column_key, extra, "
            "data_type, column_comment FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        checks = self._checks(table)
        columns = []
        for name, sql_type, nullable, default, key, extra, data_type, comment in rows:
            # MariaDB's json is longtext with a json_valid() check named after the column.
            if data_type == "longtext" and "json_valid" in checks.get(name, "").lower():
                sql_type = "json"
            if default == "NULL":
                default = None
            columns.append(
                ColumnInfo(
                    name=name,
                    type=self.normalize_type(sql_type),
                    null=nullable == "YES",
                    default=default,
                    primary_key=key == "PRI",
                    autoincrement="auto_increment" in (extra or "").lower(),
                    comment=comment or None,
                )
            )
        return columns

    def get_table_comment(self, table: str) -> str | None:
        """``ALTER TABLE ... COMMENT``'s text, or None."""
        rows = self._rows(
            "SELECT table_comment FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = %s",
            (table,),
        )
        return (rows[0][0] or None) if rows else None

    def _checks(self, table: str) -> dict[str, str]:
        rows = self._rows(
            "SELECT c.constraint_name, c.check_clause FROM information_schema.check_constraints c "
            "JOIN information_schema.table_constraints t "
            "ON t.constraint_schema = c.constraint_schema AND t.constraint_name = c.constraint_name "
            "WHERE t.table_schema = DATABASE() AND t.table_name = %s "
            "AND t.constraint_type = 'CHECK'",
            (table,),
        )
        return {name: clause for name, clause in rows}

    def _index_rows(self, table: str) -> dict[str, tuple[bool, list[str]]]:
        rows = self._rows(
            "SELECT index_name, non_unique, column_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = %s "
            "ORDER BY index_name, seq_in_index",
            (table,),
        )
        indexes: dict[str, tuple[bool, list[str]]] = {}
        for name, non_unique, column in rows:
            indexes.setdefault(name, (not int(non_unique), []))[1].append(column)
        return indexes

    def get_indexes(self, table: str) -> list[IndexInfo]:
        """Return the secondary indexes (unique ones too: MySQL has no other kind of unique)."""
        foreign_keys = {c.name for c in self.get_constraints(table) if c.kind == "foreign_key"}
        return [
            IndexInfo(name, tuple(columns), unique)
            for name, (unique, columns) in sorted(self._index_rows(table).items())
            if name != "PRIMARY"
            and name not in foreign_keys
            # A column-level UNIQUE makes an index named after its column: a constraint.
            and not (unique and len(columns) == 1 and name == columns[0])
        ]

    def get_constraints(self, table: str) -> list[ConstraintInfo]:
        """Return primary key, unique, check and foreign key constraints."""
        rows = self._rows(
            "SELECT k.constraint_name, t.constraint_type, k.column_name, "
            "k.referenced_table_name, k.referenced_column_name "
            "FROM information_schema.key_column_usage k "
            "JOIN information_schema.table_constraints t "
            "ON t.constraint_schema = k.constraint_schema AND t.table_name = k.table_name "
            "AND t.constraint_name = k.constraint_name "
            "WHERE k.table_schema = DATABASE() AND k.table_name = %s "
            "ORDER BY k.constraint_name, k.ordinal_position",
            (table,),
        )
        grouped: dict[tuple[str, str], list[tuple]] = defaultdict(list)
        for name, kind, column, target_table, target_column in rows:
            grouped[(name, kind)].append((column, target_table, target_column))
        constraints = []
        for (name, kind), members in grouped.items():
            references = None
            if kind == "FOREIGN KEY":
                references = (members[0][1], members[0][2])
            constraints.append(
                ConstraintInfo(
                    None if kind == "PRIMARY KEY" else name,
                    _KINDS.get(kind, kind.lower()),
                    tuple(member[0] for member in members),
                    references=references,
                )
            )
        for name, clause in self._checks(table).items():
            constraints.append(ConstraintInfo(name, "check", (), clause))
        return constraints
