"""Aggregates over several multi-valued relations without double counting.

``Author.objects.annotate(n=Count("books"), s=Sum("reviews__stars"))`` joins
both relations in Django, so every book row repeats once per review and both
values come out multiplied. Here an aggregate that crosses a multi-valued
relation while another multi-valued join is in the query (or comes with the
same ``annotate()`` call) is computed as a correlated subquery over its own
relation instead. Multi-valued hops are recognised generically, from the
``m2m`` flag of the relation's ``PathInfo``.
"""

from __future__ import annotations

from typing import Any

from orm.exceptions import FieldError
from orm.query.expressions import F
from orm.query.joins import Join
from orm.query.q import Q
from orm.query.subqueries import OuterRef, Subquery

__all__ = ["isolate_multivalued_aggregates"]


def _names(expression) -> list[str]:
    """The field paths an unresolved expression refers to (``F`` names, ``Q`` keys)."""
    if isinstance(expression, OuterRef):
        return []
    if isinstance(expression, F):
        return [expression.name]
    if isinstance(expression, Q):
        return _q_names(expression)
    names = []
    for source in getattr(expression, "get_source_expressions", list)():
        if source is not None:
            names.extend(_names(source))
    return names


def _q_names(q_object) -> list[str]:
    names = []
    for child in q_object.children:
        if isinstance(child, Q):
            names.extend(_q_names(child))
        elif isinstance(child, tuple):
            names.append(child[0])
            if hasattr(child[1], "get_source_expressions"):
                names.extend(_names(child[1]))
        elif hasattr(child, "get_source_expressions"):
            names.extend(_names(child))
    return names


def _multivalued_hops(query, expression) -> set:
    """The multi-valued relations (``PathInfo.join_field`` and ``condition_key``) ``expression`` reaches."""
    hops: set = set()
    for name in _names(expression):
        parts = name.split("__")
        if parts[0] in query.annotations:
            continue
        try:
            path = query.names_to_path(parts, query.get_meta())[0]
        except FieldError:
            continue
        hops.update(_hop(info) for info in path if info.m2m)
    return hops


def _hop(info) -> tuple:
    # A FilteredRelation's hops carry a condition key of their own: another join of the relation.
    return id(info.join_field), info.condition_key


def _existing_hops(query) -> set:
    return {
        _hop(join.path_info)
        for alias, join in query.alias_map.items()
        if isinstance(join, Join) and join.m2m and join.path_info is not None
        and query.alias_refcount.get(alias, 0) > 0
    }


def _as_correlated_subquery(query, aggregate) -> Subquery:
    from orm.query.query import Query

    inner = Query(query.model)
    inner.filtered_relations = query.filtered_relations
    inner.add_q(Q(pk=OuterRef("pk")))
    inner.clear_ordering(force=True)
    inner.add_annotation(aggregate, "__value")
    inner.default_cols = False
    inner.set_annotation_mask(["__value"])
    inner.group_by = None  # one row: the aggregate over the outer row's related rows
    return Subquery(inner)


def isolate_multivalued_aggregates(query, annotations: dict[str, Any]) -> dict[str, Any]:
    """``annotations`` with each double-counting aggregate replaced by a correlated subquery."""
    if query.values_select or query.combinator:
        return annotations
    aggregates = {
        alias: annotation for alias, annotation in annotations.items()
        if getattr(annotation, "contains_aggregate", False)
    }
    if not aggregates:
        return annotations
    hops = {alias: _multivalued_hops(query, annotation) for alias, annotation in aggregates.items()}
    existing = _existing_hops(query)
    result = dict(annotations)
    for alias, own in hops.items():
        if not own:
            continue
        others = set(existing)
        for other_alias, other in hops.items():
            if other_alias != alias:
                others |= other
        if others - own:
            result[alias] = _as_correlated_subquery(query, aggregates[alias])
    return result
