"""Joins: how one table of a query reaches another (``PathInfo``, ``Join``, ``BaseTable``).

Relation fields (in ``associations`` and ``contenttypes``) describe themselves
with ``get_path_info()``; the query turns each ``PathInfo`` into a ``Join``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from orm.exceptions import EmptyResultSet

__all__ = ["PathInfo", "FilteredPathInfo", "Join", "BaseTable", "INNER", "LOUTER", "MultiJoin"]

INNER = "INNER JOIN"
LOUTER = "LEFT OUTER JOIN"


@dataclass(frozen=True)
class PathInfo:
    """One hop from ``from_opts`` to ``to_opts``.

    ``join_fields`` pairs the field on the ``from`` side with the field on the
    ``to`` side for each column of the ON clause. ``target_fields`` are the
    fields of ``to_opts`` that the relation points at (the values a filter on
    the relation compares). ``m2m`` marks a hop that can multiply rows
    (reverse FK, M2M). ``direct`` marks a forward hop (FK, O2O), which a filter
    on the target's key can skip. ``extra_condition(compiler, connection,
    alias, parent_alias) -> (sql, params)`` adds to the ON clause (generic
    relations). ``nullable`` says whether the hop may find no row.
    ``filtered_relation`` is the ``FilteredRelation`` whose condition joins
    this hop (a `FilteredPathInfo`'s; see ``orm.query.filtered_relation``).
    """

    from_opts: Any
    to_opts: Any
    join_fields: tuple
    target_fields: tuple
    join_field: Any
    m2m: bool
    direct: bool
    nullable: bool = True
    extra_condition: Callable | None = None
    condition_key: Any = None
    # A class attribute, not a field: plain hops (every query's) build no more than before.
    filtered_relation = None


@dataclass(frozen=True)
class FilteredPathInfo(PathInfo):
    """The last hop of a ``FilteredRelation``: its join carries the relation's condition."""

    filtered_relation: Any = None


@dataclass
class Join:
    """A joined table: ``<join_type> <table> <alias> ON (...)``."""

    table_name: str
    parent_alias: str
    table_alias: str
    join_type: str
    join_columns: tuple  # ((from_column, to_column), ...)
    nullable: bool
    m2m: bool = False
    extra_condition: Callable | None = None
    condition_key: Any = None
    path_info: Any = field(default=None, compare=False)
    # A FilteredRelation's condition resolved against the query (a WhereNode), set on its
    # join only: a class attribute, so other joins are built as before.
    filtered_condition = None

    def identity(self) -> tuple:
        return (self.table_name, self.parent_alias, self.join_columns, self.condition_key)

    def as_sql(self, compiler, connection, join_type: str) -> tuple[str, list]:
        quote = compiler.quote_name
        alias = self.table_alias
        conditions = [
            f"{quote(self.parent_alias)}.{quote(from_column)} = {quote(alias)}.{quote(to_column)}"
            for from_column, to_column in self.join_columns
        ]
        params: list = []
        if self.extra_condition is not None:
            sql, extra_params = self.extra_condition(compiler, connection, alias, self.parent_alias)
            if sql:
                conditions.append(sql)
                params.extend(extra_params)
        if self.filtered_condition is not None:
            sql, condition_params = _filtered_condition_sql(compiler, self.filtered_condition)
            if sql:
                conditions.append(f"({sql})")
                params.extend(condition_params)
        table = quote(self.table_name)
        alias_sql = f" {quote(alias)}" if alias != self.table_name else ""
        return f"{join_type} {table}{alias_sql} ON ({' AND '.join(conditions)})", params

    def relabeled_clone(self, change_map: dict[str, str]) -> Join:
        clone = Join(
            self.table_name,
            change_map.get(self.parent_alias, self.parent_alias),
            change_map.get(self.table_alias, self.table_alias),
            self.join_type,
            self.join_columns,
            self.nullable,
            self.m2m,
            self.extra_condition,
            self.condition_key,
            self.path_info,
        )
        if self.filtered_condition is not None:
            clone.filtered_condition = self.filtered_condition.relabeled_clone(change_map)
        return clone


def _filtered_condition_sql(compiler, condition) -> tuple[str, list]:
    """A FilteredRelation's ON condition; one that matches no row joins none (not no result)."""
    try:
        return compiler.compile(condition)
    except EmptyResultSet:
        return "1 = 0", []


@dataclass
class BaseTable:
    """The table in FROM."""

    table_name: str
    table_alias: str
    join_type = None
    parent_alias = None
    nullable = False
    m2m = False

    def identity(self) -> tuple:
        return (self.table_name, None)

    def as_sql(self, compiler, connection, join_type=None) -> tuple[str, list]:
        quote = compiler.quote_name
        if self.table_alias == self.table_name:
            return quote(self.table_name), []
        return f"{quote(self.table_name)} {quote(self.table_alias)}", []

    def relabeled_clone(self, change_map: dict[str, str]) -> BaseTable:
        return BaseTable(self.table_name, change_map.get(self.table_alias, self.table_alias))


class MultiJoin(Exception):
    """Internal: a multi-valued relation where only single-valued ones are allowed."""

    def __init__(self, names_pos: int, path_with_names):
        self.level = names_pos
        self.names_with_path = path_with_names
