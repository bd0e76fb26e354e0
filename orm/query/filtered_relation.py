"""``FilteredRelation``: a relation joined with extra conditions in its ON clause.

``Restaurant.objects.annotate(veg=FilteredRelation("pizzas",
condition=Q(pizzas__vegetarian=True)))`` names a second join of ``pizzas``
(LEFT OUTER unless a filter needs a row) whose ON clause also carries the
condition; ``veg__name``, ``Count("veg")``, ``order_by("veg__name")`` and
``select_related("veg")`` go through it. The query keeps its filtered
relations by alias (``Query.filtered_relations``); ``names_to_path`` turns an
alias into the relation's hops, marked with the ``FilteredRelation``
(``PathInfo.filtered_relation`` and a ``condition_key`` of their own, so each
alias is a join of its own), and ``setup_joins`` resolves the condition
against the query when it creates the join (``Join.filtered_condition``).
Nothing here runs for a query without filtered relations.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from orm.query.expressions import F
from orm.query.joins import FilteredPathInfo, PathInfo
from orm.query.q import Q

__all__ = ["FilteredRelation"]

LOOKUP_SEP = "__"


class FilteredRelation:
    """A relation joined with ``condition`` (a ``Q``) in its ON clause; give it to ``annotate()``/``alias()``."""

    def __init__(self, relation_name: str, *, condition: Q = Q()):
        if not relation_name:
            raise ValueError("FilteredRelation: relation_name cannot be empty.")
        if not isinstance(condition, Q):
            raise ValueError(f"FilteredRelation({relation_name!r}): condition argument must be a Q() instance.")
        self.relation_name = relation_name
        self.alias: str | None = None
        self.condition = condition

    def __repr__(self) -> str:
        return f"FilteredRelation({self.relation_name!r}, condition={self.condition!r})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, FilteredRelation):
            return NotImplemented
        return (self.relation_name, self.alias, self.condition) == (other.relation_name, other.alias, other.condition)

    __hash__ = None  # type: ignore[assignment]

    def clone(self) -> FilteredRelation:
        clone = FilteredRelation(self.relation_name, condition=self.condition)
        clone.alias = self.alias
        return clone

    def resolve_expression(self, *args, **kwargs):
        raise ValueError(
            f"{self!r} is not an expression: name it in annotate() or alias() "
            "(annotate(alias=FilteredRelation(...))) and refer to the alias"
        )


def add_filtered_relation(query, relation: FilteredRelation, alias: str) -> None:
    """Check ``relation`` and store it in ``query`` under ``alias`` (``annotate(alias=relation)``)."""
    if "." in alias or LOOKUP_SEP in alias:
        raise ValueError(
            f"FilteredRelation doesn't support aliases with periods or '__' (got {alias!r}); rename it"
        )
    relation = relation.clone()
    relation.alias = alias
    opts = query.get_meta()
    relation_parts = relation.relation_name.split(LOOKUP_SEP)
    _path, final_field, _targets, rest = query.names_to_path(relation_parts, opts)
    if rest:
        raise ValueError(
            f"FilteredRelation's relation_name cannot contain lookups (got {relation.relation_name!r}); "
            "put the lookup in condition=Q(...)"
        )
    if final_field is None or not final_field.is_relation:
        raise ValueError(
            f"FilteredRelation's relation_name must name a relation of {opts.object_name} "
            f"(got {relation.relation_name!r})"
        )
    for lookup in _condition_paths(relation.condition):
        _check_condition_path(query, relation, relation_parts, lookup)
    relation.condition = _renamed_q(relation.relation_name, alias, relation.condition)
    query.filtered_relations = {**query.filtered_relations, alias: relation}


def _check_condition_path(query, relation: FilteredRelation, relation_parts: list[str], lookup: str) -> None:
    """Refuse a condition over relations other than ``relation_name``'s, as Django does."""
    parts = lookup.split(LOOKUP_SEP)
    if parts[0] in query.annotations:
        return
    _path, _final, _targets, rest = query.names_to_path(parts, query.get_meta())
    field_parts = parts[: len(parts) - len(rest)]
    # As Django: the names checked are those before the compared field and, when no
    # lookup is written after it, before the name ahead of it too.
    shift = 1 if rest else 2
    for index, name in enumerate(field_parts[:-shift]):
        if index < len(relation_parts) and relation_parts[index] != name:
            raise ValueError(
                f"FilteredRelation's condition doesn't support relations outside the "
                f"{relation.relation_name!r} (got {lookup!r}); filter the query on them instead"
            )
    if len(field_parts) > len(relation_parts) + 1:
        raise ValueError(
            f"FilteredRelation's condition doesn't support nested relations deeper than the "
            f"relation_name (got {lookup!r} for {relation.relation_name!r}); name the deeper "
            "relation in relation_name"
        )


def _condition_paths(q_object: Q):
    """The field paths a condition names: its lookups' left sides and the ``F`` names in expressions."""
    for child in q_object.children:
        if isinstance(child, Q):
            yield from _condition_paths(child)
        elif isinstance(child, tuple):
            yield child[0]
            if hasattr(child[1], "resolve_expression"):
                yield from _expression_paths(child[1])
        elif hasattr(child, "resolve_expression"):
            yield from _expression_paths(child)


def _expression_paths(expression):
    if isinstance(expression, Q):
        yield from _condition_paths(expression)
    elif isinstance(expression, F):
        yield expression.name
    else:
        for source in getattr(expression, "get_source_expressions", list)():
            if source is not None:
                yield from _expression_paths(source)


def _renamed_q(prefix: str, alias: str, q_object: Q) -> Q:
    """``q_object`` with ``prefix__...`` names made ``alias__...`` (Django's ``rename_prefix_from_q``)."""
    renamed = type(q_object)(_connector=q_object.connector, _negated=q_object.negated)
    renamed.children = [_renamed(prefix, alias, child) for child in q_object.children]
    return renamed


def _renamed(prefix: str, alias: str, child):
    from orm.query.queryset import QuerySet

    if isinstance(child, Q):
        return _renamed_q(prefix, alias, child)
    if isinstance(child, tuple):
        name, value = child
        if name.startswith(prefix + LOOKUP_SEP):
            name = alias + name[len(prefix):]
        # As Django: a bare F() compared to keeps its name (it is the query's, not the join's).
        if not isinstance(value, F) and hasattr(value, "resolve_expression"):
            value = _renamed(prefix, alias, value)
        return name, value
    if isinstance(child, QuerySet):
        raise ValueError(
            "Passing a QuerySet within a FilteredRelation is not supported; "
            "filter the query on it instead"
        )
    if isinstance(child, F):
        if child.name.startswith(prefix + LOOKUP_SEP):
            child = child.copy()
            child.name = alias + child.name[len(prefix):]
        return child
    if hasattr(child, "get_source_expressions"):
        sources = child.get_source_expressions()
        if sources:
            child = child.copy()
            child.set_source_expressions(
                [None if source is None else _renamed(prefix, alias, source) for source in sources]
            )
    return child


def filtered_relation_path(query, alias: str, opts, allow_many: bool):
    """``(path, final field, targets)`` of the filtered relation ``alias`` from ``opts``.

    The hops of the relation's last field are marked: a ``condition_key`` of
    their own (two aliases of one relation, or an alias and the plain
    relation, are separate joins) and, on the last hop, the relation.
    """
    relation = query.filtered_relations[alias]
    parts = relation.relation_name.split(LOOKUP_SEP)
    path, final_field, targets, _rest = query.names_to_path(parts, opts, allow_many)
    own = len(final_field.get_path_info())
    marked = [replace(info, condition_key=(info.condition_key, "filtered", alias)) for info in path[-own:]]
    last = marked[-1]
    marked[-1] = FilteredPathInfo(
        **{field.name: getattr(last, field.name) for field in fields(PathInfo)}, filtered_relation=relation
    )
    return [*path[:-own], *marked], final_field, targets


def resolve_filtered_condition(query, join, joins: list[str]) -> None:
    """Resolve the condition of the join just made for a filtered relation (``joins`` lead to it).

    The condition names the alias (``veg__vegetarian``), which finds this
    join again; it votes for no INNER join, so the join stays LEFT OUTER until
    a filter needs a row. Joins the condition adds (its ``F()`` references)
    come before this one in FROM, since its ON clause names them.
    """
    relation = join.path_info.filtered_relation
    alias = join.table_alias
    count = len(query.alias_map)
    condition, _ = query._add_q(relation.condition, set(joins), inner=False, split_subquery=False)
    join.filtered_condition = condition
    if len(query.alias_map) > count:
        query.alias_map[alias] = query.alias_map.pop(alias)


class FilteredRelationCache:
    """Where ``select_related("<alias>")`` leaves the joined object: the instance's ``<alias>`` attribute."""

    def __init__(self, alias: str, relation_field: Any):
        self.alias = alias
        remote = getattr(relation_field, "field", None)
        if not getattr(relation_field, "concrete", True) and remote is not None and (
            getattr(relation_field, "one_to_many", False) or getattr(relation_field, "one_to_one", False)
        ):
            self.set_remote_cached_value = _back_reference(remote)

    def set_cached_value(self, instance, value) -> None:
        setattr(instance, self.alias, value)


def _back_reference(foreign_key):
    """``set_remote_cached_value`` for a reverse relation: the joined row's key points back at the instance."""

    def set_remote_cached_value(related, instance) -> None:
        # select_related("alias__<key>") has cached the key's own join: keep it.
        if not foreign_key.is_cached(related):
            foreign_key.set_cached_value(related, instance)

    return set_remote_cached_value


def select_related_names(query, requested) -> list[str]:
    """The filtered relation aliases named in ``select_related()``'s top level."""
    if not isinstance(requested, dict) or not query.filtered_relations:
        return []
    return [name for name in requested if name in query.filtered_relations]

