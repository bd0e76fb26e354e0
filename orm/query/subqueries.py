"""Subqueries and outer references: ``Subquery``, ``Exists``, ``OuterRef``.

A ``Subquery`` wraps a QuerySet used as a value; ``OuterRef("name")`` inside it
names a field of the enclosing query and stays unresolved (``ResolvedOuterRef``)
until that query resolves the subquery.
"""

from __future__ import annotations

import copy

from orm.exceptions import FieldError
from orm.query.expressions import Expression, F

__all__ = ["Subquery", "Exists", "OuterRef", "ResolvedOuterRef"]


class OuterRef(F):
    """A reference to a field of the query that encloses a ``Subquery``/``Exists``."""

    contains_aggregate = False

    def resolve_expression(self, *args, **kwargs):
        if isinstance(self.name, OuterRef):
            return self.name
        return ResolvedOuterRef(self.name)

    def relabeled_clone(self, change_map):
        return self


class ResolvedOuterRef(Expression):
    """An ``OuterRef`` waiting for the enclosing query to resolve it."""

    contains_aggregate = False

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __repr__(self) -> str:
        return f"ResolvedOuterRef({self.name})"

    def resolve_expression(self, *args, **kwargs):
        return self

    def resolve_against(self, outer_query):
        return outer_query.resolve_ref(self.name, allow_joins=True)

    def as_sql(self, compiler, connection):
        raise FieldError(
            f"OuterRef({self.name!r}) is only valid inside a Subquery or Exists used in a query"
        )

    def relabeled_clone(self, change_map):
        return self

    def get_group_by_cols(self):
        return []

    def identity(self):
        return (type(self), self.name)


class Subquery(Expression):
    """A QuerySet used as a value: ``Subquery(Post.objects.filter(author=OuterRef("pk")).values("title")[:1])``."""

    template = "(%(subquery)s)"
    contains_aggregate = False

    def __init__(self, queryset, output_field=None, **extra):
        super().__init__(output_field)
        self.query = getattr(queryset, "query", queryset).clone()
        self.query.subquery = True
        self.extra = extra

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.query.model.__name__})"

    def get_source_expressions(self):
        return []

    def _resolve_output_field(self):
        return self.query.output_field_of_single_column()

    def copy(self):
        clone = copy.copy(self)
        clone.query = self.query.clone()
        return clone

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.query = clone.query.resolve_as_subquery(query)
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.query = clone.query.relabel_outer_refs(change_map)
        return clone

    def get_group_by_cols(self):
        return []

    def as_sql(self, compiler, connection, template=None):
        sql, params = self.query.get_compiler(connection=connection).as_sql(subquery=True)
        return (template or self.template) % {"subquery": sql, **self.extra}, params

    def identity(self):
        return (type(self), id(self.query))


class Exists(Subquery):
    """``EXISTS(subquery)``: a boolean usable in ``filter()`` and ``annotate()``."""

    template = "EXISTS(%(subquery)s)"
    conditional = True

    def __init__(self, queryset, negated: bool = False, **kwargs):
        super().__init__(queryset, **kwargs)
        self.negated = negated
        self.query = self.query.exists_query()

    def __invert__(self):
        clone = self.copy()
        clone.negated = not self.negated
        return clone

    def _resolve_output_field(self):
        from orm import fields

        return fields.BooleanField()

    def as_sql(self, compiler, connection, template=None):
        sql, params = super().as_sql(compiler, connection, template)
        if self.negated:
            sql = f"NOT {sql}"
        return sql, params

    def select_format(self, compiler, sql, params):
        if compiler.connection.vendor == "postgresql":
            return sql, params  # a boolean already
        return f"CASE WHEN {sql} THEN 1 ELSE 0 END", params
