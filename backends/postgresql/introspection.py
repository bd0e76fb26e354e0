"""PostgreSQL introspection from the pg_catalog (current schema only)."""

from __future__ import annotations

from ..base.introspection import Introspection as BaseIntrospection
from ..schema import ColumnInfo, ConstraintInfo, IndexInfo

__all__ = ["Introspection"]

_KINDS = {"p": "primary_key", "u": "unique", "c": "check", "f": "foreign_key"}


class Introspection(BaseIntrospection):
    """Reads the live PostgreSQL schema."""

    def _oid(self, table: str) -> str:
        # The quoted name keeps case, spaces and quotes; regclass resolves it.
        return self.dialect.quote_name(table)

    def table_names(self) -> list[str]:
        """Return the names of the tables of the current schema, sorted."""
        rows = self._rows(
            "SELECT tablename FROM pg_catalog.pg_tables "
            "WHERE schemaname = current_schema() ORDER BY tablename"
        )
        return [row[0] for row in rows]

    def get_columns(self, table: str) -> list[ColumnInfo]:
        """Return the columns of ``table`` in order, types normalized."""
        rows = self._rows(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid
                           AND i.indisprimary AND a.attnum = ANY(i.indkey)),
                   col_description(a.attrelid, a.attnum)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            (self._oid(table),),
        )
        return [
            ColumnInfo(
                name=name,
                type=self.normalize_type(sql_type),
                null=nullable,
                default=default,
                primary_key=primary_key,
                autoincrement=bool(identity) or (default or "").startswith("nextval("),
                comment=comment,
            )
            for name, sql_type, nullable, default, identity, primary_key, comment in rows
        ]

    def get_table_comment(self, table: str) -> str | None:
        """``COMMENT ON TABLE``'s text, or None."""
        rows = self._rows("SELECT obj_description(%s::regclass, 'pg_class')", (self._oid(table),))
        return rows[0][0] if rows else None

    def get_indexes(self, table: str) -> list[IndexInfo]:
        """Return the indexes not owned by a constraint, with partial conditions."""
        rows = self._rows(
            """
            SELECT c.relname, i.indisunique, pg_get_expr(i.indpred, i.indrelid),
                   ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(num, ord)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
                         ORDER BY k.ord),
                   i.indexprs IS NOT NULL
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY c.relname
            """,
            (self._oid(table),),
        )
        return [
            IndexInfo(name, tuple(columns), unique, condition is not None, condition, expressions)
            for name, unique, condition, columns, expressions in rows
        ]

    def get_constraints(self, table: str) -> list[ConstraintInfo]:
        """Return primary key, unique, check and foreign key constraints."""
        rows = self._rows(
            """
            SELECT k.conname, k.contype,
                   ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
                         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num
                         ORDER BY u.ord),
                   pg_get_expr(k.conbin, k.conrelid),
                   (SELECT relname FROM pg_class WHERE oid = k.confrelid),
                   ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
                         JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num
                         ORDER BY u.ord),
                   k.condeferrable AND k.condeferred
            FROM pg_constraint k
            WHERE k.conrelid = %s::regclass AND k.contype IN ('p', 'u', 'c', 'f')
            ORDER BY k.conname
            """,
            (self._oid(table),),
        )
        constraints = []
        for name, kind, columns, check, target_table, target_columns, deferred in rows:
            references = None
            if kind == "f" and target_columns:
                references = (target_table, target_columns[0])
            constraints.append(
                ConstraintInfo(
                    name, _KINDS[kind], tuple(columns), check, references,
                    deferred if kind == "f" else None,
                )
            )
        return constraints
