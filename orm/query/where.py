"""The WHERE tree: conditions joined by AND/OR/XOR, possibly negated."""

from __future__ import annotations

from typing import Any

from orm.exceptions import EmptyResultSet

__all__ = ["WhereNode", "NothingNode", "AND", "OR", "XOR", "ExtraCondition"]

AND, OR, XOR = "AND", "OR", "XOR"


class WhereNode:
    """A node of resolved conditions (lookups, boolean expressions, nested nodes)."""

    conditional = True
    contains_aggregate = False

    def __init__(self, children=None, connector: str = AND, negated: bool = False):
        self.children: list[Any] = list(children or [])
        self.connector = connector
        self.negated = negated

    def __repr__(self) -> str:
        prefix = "NOT " if self.negated else ""
        return f"{prefix}({self.connector}: {self.children!r})"

    def __bool__(self) -> bool:
        return bool(self.children)

    def clone(self) -> WhereNode:
        clone = WhereNode(connector=self.connector, negated=self.negated)
        clone.children = [child.clone() if isinstance(child, WhereNode) else child for child in self.children]
        return clone

    def add(self, child, connector: str = AND) -> None:
        if not child and isinstance(child, WhereNode):
            return
        if self.connector == connector and not self.negated:
            if isinstance(child, WhereNode) and child.connector == connector and not child.negated:
                self.children.extend(child.children)
            else:
                self.children.append(child)
        else:
            inner = WhereNode(self.children, self.connector, self.negated)
            self.children = [inner, child]
            self.connector = connector
            self.negated = False

    def get_source_expressions(self):
        return list(self.children)

    def set_source_expressions(self, children):
        self.children = list(children)

    def relabeled_clone(self, change_map):
        clone = WhereNode(connector=self.connector, negated=self.negated)
        clone.children = [child.relabeled_clone(change_map) for child in self.children]
        return clone

    def resolve_expression(self, *args, **kwargs):
        return self

    @property
    def has_aggregate(self) -> bool:
        for child in self.children:
            if isinstance(child, WhereNode):
                if child.has_aggregate:
                    return True
            elif getattr(child, "contains_aggregate", False):
                return True
        return False

    def split_having(self):
        """Split into (WHERE part, HAVING part) for aggregate conditions."""
        if not self.has_aggregate:
            return self, None
        if self.connector != AND or self.negated:
            return None, self
        where, having = WhereNode(), WhereNode()
        for child in self.children:
            if isinstance(child, WhereNode):
                child_where, child_having = child.split_having()
                if child_where:
                    where.children.append(child_where)
                if child_having:
                    having.children.append(child_having)
            elif getattr(child, "contains_aggregate", False):
                having.children.append(child)
            else:
                where.children.append(child)
        return where, having or None

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        if self.connector == XOR:
            return self._xor_sql(compiler, connection)
        parts: list[str] = []
        params: list = []
        if self.connector == AND:
            full_needed, empty_needed = len(self.children), 1
        else:
            full_needed, empty_needed = 1, len(self.children)
        for child in self.children:
            try:
                sql, child_params = compiler.compile(child)
            except EmptyResultSet:
                empty_needed -= 1
            else:
                if sql:
                    parts.append(sql)
                    params.extend(child_params)
                else:
                    full_needed -= 1
            if empty_needed == 0:
                if self.negated:
                    return "", []
                raise EmptyResultSet
            if full_needed == 0:
                if self.negated:
                    raise EmptyResultSet
                return "", []
        if not parts:
            return "", []
        sql = f" {self.connector} ".join(parts)
        if self.negated:
            return f"NOT ({sql})", params
        if len(parts) > 1:
            return f"({sql})", params
        return sql, params

    def _xor_sql(self, compiler, connection) -> tuple[str, list]:
        """Portable XOR: an odd number of the conditions hold (NULL counts as false).

        A child that matches no row adds nothing; one that matches every row flips
        the parity, so neither can be dropped the way AND/OR drop them.
        """
        parts: list[str] = []
        params: list = []
        always = 0
        for child in self.children:
            try:
                sql, child_params = compiler.compile(child)
            except EmptyResultSet:
                continue
            if not sql:
                always += 1
                continue
            parts.append(f"(CASE WHEN {sql} THEN 1 ELSE 0 END)")
            params.extend(child_params)
        odd = always % 2 == 1
        if not parts:
            if odd != self.negated:
                return "", []
            raise EmptyResultSet
        wanted = 0 if odd else 1
        sql = f"MOD({' + '.join(parts)}, 2) = {wanted}"
        if self.negated:
            return f"NOT ({sql})", params
        return sql, params

    def get_group_by_cols(self):
        cols = []
        for child in self.children:
            cols.extend(child.get_group_by_cols())
        return cols


class NothingNode:
    """A condition that matches no row."""

    contains_aggregate = False

    def as_sql(self, compiler, connection):
        raise EmptyResultSet

    def relabeled_clone(self, change_map):
        return self

    def get_group_by_cols(self):
        return []

    def get_source_expressions(self):
        return []


class ExtraCondition:
    """A fixed SQL condition with parameters (used by join conditions of relations)."""

    contains_aggregate = False

    def __init__(self, sql: str, params=()):
        self.sql = sql
        self.params = list(params)

    def as_sql(self, compiler, connection):
        return self.sql, list(self.params)

    def relabeled_clone(self, change_map):
        return self

    def get_group_by_cols(self):
        return []

    def get_source_expressions(self):
        return []
