"""Drift detection: the live schema (introspection) against the tables the migration state describes."""

from __future__ import annotations

from typing import Any

from backends.base.introspection import normalize_type

from .recorder import TABLE_NAME
from .schema import tables_of_state
from .state import ProjectState

__all__ = ["compare_schema"]

# Spellings of one type that introspection reports differently from the DDL.
_EQUIVALENT_TYPES = {
    "serial": "integer",
    "bigserial": "bigint",
    "smallserial": "smallint",
    "integer auto_increment": "integer",
    "bigint auto_increment": "bigint",
    "smallint auto_increment": "smallint",
    "integer autoincrement": "integer",
}


def _canonical_type(sql_type: str) -> str:
    text = normalize_type(sql_type)
    for suffix in (" unsigned", " auto_increment", " autoincrement"):
        text = text.replace(suffix, "")
    return _EQUIVALENT_TYPES.get(text, text)


def _ignored_table(name: str) -> bool:
    return name == TABLE_NAME or name.startswith("sqlite_")


def compare_schema(connection: Any, state: ProjectState, ignored_tables: Any = ()) -> list[str]:
    """Readable lines, one per difference between the database and ``state`` (empty: no drift).

    ``ignored_tables``: names left out of the comparison (the tables of models the
    routers keep off this database).
    """
    introspection = connection.introspection
    live_tables = set(introspection.table_names()) - set(ignored_tables)
    expected = [table for table in tables_of_state(state, connection) if table.name not in ignored_tables]
    expected_names = {table.name for table in expected}
    problems: list[str] = []
    for table in expected:
        if table.name not in live_tables:
            problems.append(f"missing table {table.name} (described by the migrations)")
            continue
        problems.extend(_compare_table(introspection, table))
    for name in sorted(live_tables - expected_names):
        if not _ignored_table(name):
            problems.append(f"extra table {name} (in the database, in no applied migration)")
    return problems


def _compare_table(introspection: Any, table: Any) -> list[str]:
    problems: list[str] = []
    live_columns = {column.name: column for column in introspection.get_columns(table.name)}
    for column in table.columns:
        live = live_columns.get(column.name)
        if live is None:
            problems.append(f"{table.name}: missing column {column.name} ({column.type})")
            continue
        expected_type, live_type = _canonical_type(column.type), _canonical_type(live.type)
        if expected_type != live_type:
            problems.append(
                f"{table.name}.{column.name}: type is {live.type}, migrations say {column.type}"
            )
        if not column.primary_key and bool(live.null) != bool(column.null) and not (
            column.generated_sql is not None and not introspection.dialect.generated_columns_take_null
        ):
            problems.append(
                f"{table.name}.{column.name}: {'NULL' if live.null else 'NOT NULL'} in the "
                f"database, migrations say {'NULL' if column.null else 'NOT NULL'}"
            )
    expected_names = {column.name for column in table.columns}
    for name in live_columns:
        if name not in expected_names:
            problems.append(f"{table.name}: extra column {name} (in no applied migration)")

    live_indexes = introspection.get_indexes(table.name)
    problems.extend(_compare_expression_indexes(introspection, table, live_indexes))
    live_indexes = [index for index in live_indexes if not index.expressions]
    live_plain = {index.columns for index in live_indexes if not index.unique}
    for index in table.indexes:
        if index.expressions:
            continue
        if index.columns not in live_plain:
            problems.append(
                f"{table.name}: missing index {index.name} on ({', '.join(index.columns)})"
            )
    expected_plain = {index.columns for index in table.indexes if not index.expressions}
    for index in live_indexes:
        if not index.unique and index.columns not in expected_plain:
            problems.append(
                f"{table.name}: extra index {index.name} on ({', '.join(index.columns)})"
            )

    constraints = introspection.get_constraints(table.name)
    live_unique = {c.columns for c in constraints if c.kind == "unique"} | {
        index.columns for index in live_indexes if index.unique
    }
    # A deferrable unique constraint is not created where the backend has none (as Django).
    deferrable_ok = introspection.dialect.supports_deferrable_unique_constraints
    expected_unique = {(column.name,) for column in table.columns if column.unique} | {
        c.columns for c in table.constraints
        if c.kind == "unique" and not c.expressions and (c.deferrable is None or deferrable_ok)
    }
    for columns in sorted(expected_unique - live_unique):
        problems.append(f"{table.name}: missing unique constraint on ({', '.join(columns)})")
    for columns in sorted(live_unique - expected_unique):
        if columns and not any(
            column.primary_key and (column.name,) == columns for column in table.columns
        ):
            problems.append(f"{table.name}: extra unique constraint on ({', '.join(columns)})")

    live_checks = {c.name for c in constraints if c.kind == "check" and c.name}
    for constraint in table.constraints:
        if constraint.kind == "check" and constraint.name not in live_checks:
            problems.append(f"{table.name}: missing check constraint {constraint.name}")

    live_fks = introspection.get_foreign_keys(table.name)
    live_deferred = {
        c.columns[0]: c.deferred for c in constraints if c.kind == "foreign_key" and c.columns
    }
    for column in table.columns:
        reference = column.references
        live = live_fks.get(column.name)
        if reference is not None and live is None:
            problems.append(
                f"{table.name}.{column.name}: missing foreign key to "
                f"{reference.table}.{reference.column}"
            )
        elif reference is not None and live is not None and tuple(live) != (
            reference.table, reference.column,
        ):
            problems.append(
                f"{table.name}.{column.name}: foreign key points at {live[0]}.{live[1]}, "
                f"migrations say {reference.table}.{reference.column}"
            )
        elif reference is None and live is not None:
            problems.append(
                f"{table.name}.{column.name}: extra foreign key to {live[0]}.{live[1]}"
            )
        if reference is not None and live is not None:
            deferred = live_deferred.get(column.name)
            if deferred is not None and deferred != bool(reference.deferrable):
                problems.append(
                    f"{table.name}.{column.name}: foreign key is "
                    f"{_deferral(deferred)}, migrations say {_deferral(reference.deferrable)}"
                )
    return problems


def _compare_expression_indexes(introspection: Any, table: Any, live_indexes: list) -> list[str]:
    """Indexes and unique constraints on expressions, compared by name (their SQL is the database's)."""
    expected = {index.name for index in table.indexes if index.expressions} | {
        c.name for c in table.constraints if c.kind == "unique" and c.expressions
    }
    if not introspection.dialect.supports_expression_indexes:
        expected = set()  # left out where the backend has none (as Django)
    live = {index.name for index in live_indexes if index.expressions}
    return [
        f"{table.name}: missing index {name} on expressions" for name in sorted(expected - live)
    ] + [f"{table.name}: extra index {name} on expressions" for name in sorted(live - expected)]


def _deferral(deferred: bool) -> str:
    return "DEFERRABLE INITIALLY DEFERRED" if deferred else "checked immediately (not deferrable)"
