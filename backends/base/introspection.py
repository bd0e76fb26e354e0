"""Reading the live schema: tables, columns, indexes, constraints, foreign keys.

Types are normalized (`normalize_type`) so that `varchar(100)` reported by
any backend compares equal to what `Dialect.column_type` produced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schema import ColumnInfo, ConstraintInfo, IndexInfo

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Introspection", "normalize_type"]

_SYNONYMS = {
    "character varying": "varchar",
    "character": "char",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "numeric": "decimal",
    "boolean": "bool",
    "tinyint(1)": "bool",
    "float8": "double precision",
    "double": "double precision",
    "real": "real",
    "timestamptz": "timestamp with time zone",
    "timestamp without time zone": "timestamp",
    "time without time zone": "time",
}
_INTEGER_NAMES = ("integer", "bigint", "smallint", "tinyint", "mediumint", "int")


def normalize_type(sql_type: str) -> str:
    """Return a canonical spelling of an SQL type (`character varying(9)` -> `varchar(9)`)."""
    text = " ".join(sql_type.lower().replace(", ", ",").split())
    if text in _SYNONYMS:
        return _SYNONYMS[text]
    base, paren, rest = text.partition("(")
    base = base.strip()
    args, _, suffix = rest.partition(")")
    base = _SYNONYMS.get(base, base)
    # MySQL display widths (int(11)) mean nothing for the value range.
    if paren and base in _INTEGER_NAMES and base != "tinyint":
        paren, args = "", ""
    if base == "int":
        base = "integer"
    args = args.replace(" ", "")
    result = (
        base + (f"({args})" if paren else "") + (" " + suffix.strip() if suffix.strip() else "")
    )
    return result.strip()


class Introspection:
    """Reads the live schema of one connection (each vendor implements the queries)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect

    normalize_type = staticmethod(normalize_type)

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return list(self.connection.execute(sql, params).fetchall())

    def table_names(self) -> list[str]:
        """Return the names of the user tables, sorted."""
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        """True when a table called ``name`` exists."""
        return name in self.table_names()

    def get_columns(self, table: str) -> list[ColumnInfo]:
        """Return the columns of ``table`` in order, types normalized."""
        raise NotImplementedError

    def get_table_comment(self, table: str) -> str | None:
        """The table's comment, or None (and always None where comments are not kept)."""
        return None

    def get_primary_key_columns(self, table: str) -> list[str]:
        """Return the primary key columns of ``table`` in key order."""
        for constraint in self.get_constraints(table):
            if constraint.kind == "primary_key":
                return list(constraint.columns)
        return []

    def get_indexes(self, table: str) -> list[IndexInfo]:
        """Return the indexes made with CREATE INDEX (not those behind pk/unique/fk constraints)."""
        raise NotImplementedError

    def get_constraints(self, table: str) -> list[ConstraintInfo]:
        """Return primary key, unique, check and foreign key constraints with their names."""
        raise NotImplementedError

    def get_foreign_keys(self, table: str) -> dict[str, tuple[str, str]]:
        """Return ``{column: (referenced table, referenced column)}``."""
        return {
            constraint.columns[0]: constraint.references
            for constraint in self.get_constraints(table)
            if constraint.kind == "foreign_key" and constraint.references and constraint.columns
        }
