"""``Query``: the plain description of one SELECT (tables, joins, conditions, ordering, limits).

A ``QuerySet`` holds a ``Query`` and clones it on every chained call; the
``SQLCompiler`` turns it into SQL for one connection.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from orm.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError, NotSupportedError
from orm.options import closest_names
from orm.query.expressions import Col, F, Ref, Value, walk
from orm.query.filtered_relation import (
    FilteredRelation,
    add_filtered_relation,
    filtered_relation_path,
    resolve_filtered_condition,
)
from orm.query.joins import INNER, LOUTER, BaseTable, Join, MultiJoin
from orm.query.lookups import IsNull, get_lookup, get_transform, lookup_names_for, plain_values
from orm.query.q import Q
from orm.query.subqueries import OuterRef, ResolvedOuterRef
from orm.query.where import AND, XOR, WhereNode

__all__ = ["Query", "JoinInfo", "LOOKUP_SEP"]

LOOKUP_SEP = "__"
_prefixes = itertools.cycle("UVWXYZABCDEFGHIJKLMNOPQRS")


@dataclass
class JoinInfo:
    final_field: Any
    targets: tuple
    opts: Any
    joins: list
    path: list
    rest: list


class Query:
    """One SELECT against ``model``'s table, as data."""

    compiler_class_name = "SQLCompiler"

    def __init__(self, model, alias_prefix: str = "T"):
        self.model = model
        self.alias_prefix = alias_prefix
        self.base_alias_name: str | None = None
        self.alias_map: dict[str, Any] = {}
        self.alias_refcount: dict[str, int] = {}
        self.join_requirements: dict[str, bool] = {}
        self.where = WhereNode()
        self.annotations: dict[str, Any] = {}
        # FilteredRelation by alias; replaced, never changed in place, so clones share it.
        self.filtered_relations: dict[str, Any] = {}
        self.annotation_select_mask: list[str] | None = None
        self.default_ordering = True
        self.standard_ordering = True
        self.order_by: tuple = ()
        self.low_mark = 0
        self.high_mark: int | None = None
        self.distinct = False
        self.distinct_fields: tuple = ()
        self.select: tuple = ()
        self.values_select: tuple = ()
        self.default_cols = True
        self.deferred_loading: tuple[frozenset, bool] = (frozenset(), True)
        self.select_related: Any = False
        self.max_depth = 5
        self.group_by: Any = None
        self.select_for_update = False
        self.select_for_update_nowait = False
        self.select_for_update_skip_locked = False
        self.select_for_update_of: tuple = ()
        self.combinator: str | None = None
        self.combinator_all = False
        self.combined_queries: tuple = ()
        self.subquery = False
        self.is_empty_query = False
        self.outer_refs: list = []

    # -- basics -------------------------------------------------------------------

    def __str__(self) -> str:
        from orm.connections import connections

        try:
            sql, params = self.get_compiler(connection=connections["default"]).as_sql()
        except EmptyResultSet:
            return "-- (no SQL: the conditions match no rows)"
        return f"{sql} -- params: {params!r}"

    def get_meta(self):
        return self.model._meta

    def clone(self) -> Query:
        clone = copy.copy(self)
        clone.alias_map = dict(self.alias_map)
        clone.alias_refcount = dict(self.alias_refcount)
        clone.join_requirements = dict(self.join_requirements)
        clone.where = self.where.clone()
        clone.annotations = dict(self.annotations)
        if self.annotation_select_mask is not None:
            clone.annotation_select_mask = list(self.annotation_select_mask)
        if isinstance(self.select_related, dict):
            clone.select_related = copy.deepcopy(self.select_related)
        clone.outer_refs = list(self.outer_refs)
        return clone

    def chain(self) -> Query:
        return self.clone()

    def get_compiler(self, using: str | None = None, connection=None):
        from orm.query.compiler import SQLCompiler

        if connection is None:
            from orm.connections import connections

            connection = connections[using or "default"]
        return SQLCompiler(self, connection)

    @property
    def is_sliced(self) -> bool:
        return self.low_mark != 0 or self.high_mark is not None

    def set_limits(self, low: int | None = None, high: int | None = None) -> None:
        if high is not None:
            if self.high_mark is not None:
                self.high_mark = min(self.high_mark, self.low_mark + high)
            else:
                self.high_mark = self.low_mark + high
        if low is not None:
            if self.high_mark is not None:
                self.low_mark = min(self.high_mark, self.low_mark + low)
            else:
                self.low_mark = self.low_mark + low
        if self.low_mark == self.high_mark:
            self.set_empty()

    def clear_limits(self) -> None:
        self.low_mark, self.high_mark = 0, None

    def set_empty(self) -> None:
        self.is_empty_query = True

    def clear_ordering(self, force: bool = False) -> None:
        if not force and self.is_sliced:
            return
        self.order_by = ()
        self.default_ordering = False

    @property
    def annotation_select(self) -> dict[str, Any]:
        if self.annotation_select_mask is None:
            return self.annotations
        return {name: self.annotations[name] for name in self.annotation_select_mask if name in self.annotations}

    def set_annotation_mask(self, names) -> None:
        self.annotation_select_mask = list(names) if names is not None else None

    # -- aliases and joins --------------------------------------------------------

    def get_initial_alias(self) -> str:
        if self.alias_map:
            alias = next(iter(self.alias_map))
            self.alias_refcount[alias] += 1
            return alias
        alias = self.base_alias_name or self.get_meta().db_table
        self.alias_map[alias] = BaseTable(self.get_meta().db_table, alias)
        self.alias_refcount[alias] = 1
        return alias

    @property
    def base_alias(self) -> str:
        if not self.alias_map:
            self.get_initial_alias()
            self.alias_refcount[next(iter(self.alias_map))] -= 1
        return next(iter(self.alias_map))

    def _new_alias(self) -> str:
        number = len(self.alias_map)
        alias = f"{self.alias_prefix}{number}"
        while alias in self.alias_map:
            number += 1
            alias = f"{self.alias_prefix}{number}"
        return alias

    def join(self, join: Join, reuse=None) -> str:
        """The alias for ``join``: an equal existing join when reusable, else a new one."""
        identity = join.identity()
        for alias, existing in self.alias_map.items():
            if isinstance(existing, Join) and existing.identity() == identity:
                if reuse is None or alias in reuse or not existing.m2m:
                    self.alias_refcount[alias] += 1
                    return alias
        alias = self._new_alias()
        join.table_alias = alias
        self.alias_map[alias] = join
        self.alias_refcount[alias] = 1
        return alias

    def unref_alias(self, alias: str, amount: int = 1) -> None:
        self.alias_refcount[alias] -= amount

    def names_to_path(self, names: list[str], opts, allow_many: bool = True):
        """Walk ``names`` through fields and relations: (path, final field, targets, rest)."""
        path: list = []
        final_field = None
        targets: tuple = ()
        current = opts
        position = 0
        for position, name in enumerate(names):
            if name == "pk":
                name = current.pk.name
            field = _find_field(current, name)
            if field is None:
                if position == 0 and name in self.filtered_relations:
                    infos, final_field, targets = filtered_relation_path(self, name, current, allow_many)
                    path.extend(infos)
                    current = infos[-1].to_opts
                    continue
                if position == 0 and name in self.annotations:
                    raise FieldError(f"annotation {name!r} cannot be used here") from None
                if position == 0:
                    choices = [*current.field_names_for_errors(), *self.annotation_select, *self.filtered_relations]
                    raise FieldError(
                        f"Cannot resolve keyword {name!r} into field of model "
                        f"{current.object_name}. Choices are: {', '.join(closest_names(name, choices))}"
                    ) from None
                if final_field is not None and final_field.is_relation and path and not _is_lookup_name(final_field, name, targets):
                    choices = current.field_names_for_errors()
                    raise FieldError(
                        f"Cannot resolve keyword {name!r} into field of model {current.object_name} "
                        f"(in {'__'.join(names)!r} on {opts.object_name}). Choices are: "
                        f"{', '.join(closest_names(name, choices))}"
                    ) from None
                return path, final_field, targets, names[position:]
            get_path_info = getattr(field, "get_path_info", None)
            if get_path_info is not None:
                infos = get_path_info()
                if not allow_many and any(info.m2m for info in infos):
                    raise MultiJoin(position + 1, names)
                path.extend(infos)
                final_field = field
                targets = infos[-1].target_fields
                current = infos[-1].to_opts
                continue
            if not getattr(field, "concrete", True) or not getattr(field, "column", None):
                raise FieldError(
                    f"{opts.object_name}: field {name!r} cannot be used in a query"
                    + (" (it is a generic foreign key; filter on its content type and object id, "
                       "or use filter(content_object=obj))" if hasattr(field, "ct_field") else "")
                )
            final_field = field
            targets = (field,)
            return path, final_field, targets, names[position + 1:]
        return path, final_field, targets, []

    def setup_joins(self, names: list[str], opts, alias: str, can_reuse=None, allow_many: bool = True) -> JoinInfo:
        """Add the joins ``names`` needs, starting at ``alias``."""
        path, final_field, targets, rest = self.names_to_path(names, opts, allow_many)
        joins = [alias]
        for info in path:
            parent = alias
            join = Join(
                info.to_opts.db_table,
                parent,
                "",
                INNER,
                tuple((from_field.column, to_field.column) for from_field, to_field in info.join_fields),
                info.nullable,
                info.m2m,
                info.extra_condition,
                info.condition_key,
                info,
            )
            alias = self.join(join, reuse=can_reuse)
            joins.append(alias)
            if info.filtered_relation is not None and join.table_alias == alias:
                resolve_filtered_condition(self, join, joins)
        final_opts = path[-1].to_opts if path else opts
        return JoinInfo(final_field, targets, final_opts, joins, path, rest)

    def trim_joins(self, targets: tuple, joins: list, path: list):
        """Drop trailing forward joins whose target is already on the previous table."""
        joins = list(joins)
        for info in reversed(path):
            if len(joins) <= 1 or not info.direct or info.extra_condition is not None or info.filtered_relation is not None:
                break
            to_columns = {to_field.column: from_field for from_field, to_field in info.join_fields}
            if not all(target.column in to_columns for target in targets):
                break
            targets = tuple(to_columns[target.column] for target in targets)
            self.unref_alias(joins.pop())
        return targets, joins[-1], joins

    def vote_inner(self, aliases, inner: bool) -> None:
        for alias in aliases:
            if inner:
                self.join_requirements[alias] = True
            else:
                self.join_requirements.setdefault(alias, False)

    def resolved_join_types(self) -> dict[str, str]:
        """INNER or LEFT OUTER for each join, from the filters' needs and nullability."""
        types: dict[str, str] = {}
        for alias, join in self.alias_map.items():
            if not isinstance(join, Join):
                continue
            parent_type = types.get(join.parent_alias, INNER)
            if self.join_requirements.get(alias):
                types[alias] = INNER
            elif join.nullable or parent_type == LOUTER or alias in self.join_requirements:
                types[alias] = LOUTER
            else:
                types[alias] = INNER
        # An INNER join below an outer one would drop the outer rows again.
        for alias, join in self.alias_map.items():
            if isinstance(join, Join) and types.get(join.parent_alias) == LOUTER and not self.join_requirements.get(alias):
                types[alias] = LOUTER
        return types

    # -- references ---------------------------------------------------------------

    def resolve_ref(self, name: str, allow_joins: bool = True, reuse=None, summarize: bool = False):
        """``F(name)`` resolved: an annotation or a column (joins added as needed)."""
        if name in self.annotations:
            annotation = self.annotations[name]
            if summarize:
                return Ref(name, annotation)
            return annotation
        parts = name.split(LOOKUP_SEP)
        if parts[0] in self.annotations and len(parts) > 1:
            expression = self.annotations[parts[0]]
            for transform_name in parts[1:]:
                expression = self.try_transform(expression, transform_name)
            return expression
        if not allow_joins and len(parts) > 1 and parts[1] not in lookup_names_for(None):
            raise FieldError(f"joined field references are not permitted here: F({name!r})")
        info = self.setup_joins(parts, self.get_meta(), self.get_initial_alias(), can_reuse=reuse)
        targets, alias, joins = self.trim_joins(info.targets, info.joins, info.path)
        if len(targets) != 1:
            raise FieldError(f"F({name!r}) refers to a relation with a composite key")
        output = info.targets[0] if info.final_field is not None and info.final_field.is_relation else info.final_field
        expression = Col(alias, targets[0], output_field=output)
        for transform_name in info.rest:
            expression = self.try_transform(expression, transform_name)
        return expression

    def try_transform(self, lhs, name: str):
        field = lhs._output_field_or_none if hasattr(lhs, "_output_field_or_none") else None
        transform = get_transform(field, name, lhs)
        if transform is None:
            raise FieldError(self._unsupported_lookup_message(lhs, name))
        return transform(lhs)

    def _unsupported_lookup_message(self, lhs, name: str) -> str:
        field = getattr(lhs, "_output_field_or_none", None)
        target = getattr(lhs, "target", None)
        label = str(target) if target is not None and getattr(target, "model", None) is not None else type(field).__name__
        choices = closest_names(name, lookup_names_for(field))
        return (
            f"Unsupported lookup {name!r} for {type(field).__name__} {label}; "
            f"valid lookups: {', '.join(choices)}"
        )

    def build_lookup(self, lookups: list[str], lhs, rhs):
        """The lookup object for ``lhs__<lookups> = rhs``."""
        *transforms, lookup_name = lookups or ["exact"]
        for name in transforms:
            lhs = self.try_transform(lhs, name)
        field = lhs._output_field_or_none
        lookup_class = get_lookup(field, lookup_name, lhs)
        if lookup_class is None:
            lhs = self.try_transform(lhs, lookup_name)
            lookup_name = "exact"
            field = lhs._output_field_or_none
            lookup_class = get_lookup(field, "exact")
        if rhs is None and lookup_name not in ("exact", "iexact", "isnull") and not getattr(lookup_class, "can_use_none_as_rhs", False):
            raise ValueError(f"cannot use None as a query value with the {lookup_name!r} lookup")
        if rhs is None and lookup_name in ("exact", "iexact") and not getattr(field, "is_json_key", False):
            return IsNull(lhs, True)
        return lookup_class(lhs, rhs)

    def resolve_lookup_value(self, value, can_reuse, allow_joins: bool):
        if hasattr(value, "resolve_expression"):
            return value.resolve_expression(self, reuse=can_reuse, allow_joins=allow_joins)
        if isinstance(value, (list, tuple)):
            if plain_values(value):  # nothing to resolve: skip a call per item (long __in lists)
                return list(value) if type(value) is list else value
            values = [self.resolve_lookup_value(item, can_reuse, allow_joins) for item in value]
            return type(value)(values) if isinstance(value, tuple) else values
        return value

    # -- filters ------------------------------------------------------------------

    def add_q(self, q_object: Q) -> None:
        """AND ``q_object`` into the WHERE clause (one ``filter()``/``exclude()`` call)."""
        clause, _ = self._add_q(q_object, set(), inner=True)
        if clause:
            self.where.add(clause, AND)

    def build_condition(self, q_object, reuse=None, allow_joins=True, summarize=False) -> WhereNode:
        """A Q used as an expression (``When``, ``filter=`` of aggregates, constraints)."""
        clause, _ = self._add_q(q_object, reuse if reuse is not None else set(), inner=False, allow_joins=allow_joins)
        return clause

    def _add_q(self, q_object: Q, used_aliases: set, branch_negated=False, current_negated=False, inner=True, allow_joins=True, split_subquery=True):
        connector = q_object.connector
        current_negated = current_negated ^ q_object.negated
        branch_negated = branch_negated or q_object.negated
        node = WhereNode(connector=connector, negated=q_object.negated)
        child_inner = inner and not current_negated and (connector == AND or len(q_object.children) == 1)
        if connector == XOR:
            # XOR compiles each child to CASE WHEN ... THEN 1 ELSE 0, which reads NULL as
            # false: the children's NULL handling restarts as if at the top of a WHERE.
            current_negated = False
        joins_used: set = set()
        for child in q_object.children:
            if isinstance(child, Q):
                child_clause, child_joins = self._add_q(child, used_aliases, branch_negated, current_negated, child_inner, allow_joins, split_subquery)
            else:
                child_clause, child_joins = self.build_filter(
                    child, can_reuse=used_aliases, branch_negated=branch_negated,
                    current_negated=current_negated, inner=child_inner, allow_joins=allow_joins,
                    split_subquery=split_subquery,
                )
            joins_used |= child_joins
            if child_clause:
                node.children.append(child_clause)
        return node, joins_used

    def build_filter(self, filter_expr, can_reuse=None, branch_negated=False, current_negated=False, inner=True, allow_joins=True, split_subquery=True):
        """One ``name__lookup=value`` (or boolean expression) as a WHERE node."""
        if isinstance(filter_expr, Q):
            return self._add_q(filter_expr, can_reuse if can_reuse is not None else set(), branch_negated, current_negated, inner, allow_joins)
        if hasattr(filter_expr, "resolve_expression"):
            if not getattr(filter_expr, "conditional", False):
                raise TypeError(f"{filter_expr!r} is not a condition and cannot be used in filter()")
            condition = filter_expr.resolve_expression(self, allow_joins=allow_joins, reuse=can_reuse)
            if not getattr(condition, "conditional", False) or not hasattr(condition, "lookup_name") and not hasattr(condition, "query") and not isinstance(condition, WhereNode):
                condition = self.build_lookup(["exact"], condition, True)
            return WhereNode([condition]), set()
        arg, value = filter_expr
        if not isinstance(arg, str) or not arg:
            raise FieldError(f"{self.get_meta().object_name}: invalid filter argument {arg!r}")
        if LOOKUP_SEP in arg and (arg.startswith(LOOKUP_SEP) or arg.endswith(LOOKUP_SEP) or "____" in arg):
            raise FieldError(f"{self.get_meta().object_name}: malformed lookup {arg!r}")
        parts = arg.split(LOOKUP_SEP)
        value = self.resolve_lookup_value(value, can_reuse, allow_joins)
        custom = getattr(self.get_meta().model, "_filter_hooks", None)
        if custom and parts[0] in custom:
            return custom[parts[0]](self, parts, value, current_negated, can_reuse)
        if parts[0] in self.annotations:
            annotation = self.annotations[parts[0]]
            if any(getattr(part, "contains_over_clause", False) for part in walk(annotation)):
                raise NotSupportedError(
                    f"cannot filter on {parts[0]!r}: it is a window expression, computed after "
                    "WHERE; filter an outer query on a subquery of this one instead"
                )
            condition = self.build_lookup(parts[1:], annotation, value)
            return WhereNode([condition]), set()
        opts = self.get_meta()
        alias = self.get_initial_alias()
        try:
            info = self.setup_joins(parts, opts, alias, can_reuse=can_reuse, allow_many=not (current_negated and split_subquery))
        except MultiJoin:
            return self.split_exclude(filter_expr, can_reuse)
        if not allow_joins and len(info.joins) > 1:
            raise FieldError(f"joined field references are not permitted in this query: {arg!r}")
        if can_reuse is not None:
            can_reuse.update(info.joins)
        targets, alias, join_list = self.trim_joins(info.targets, info.joins, info.path)
        final = info.final_field
        lookups = info.rest
        if final is not None and final.is_relation:
            value = _related_value(value, info.targets, final)
            output = info.targets[0]
            if lookups and lookups[0] not in _RELATED_LOOKUPS:
                raise FieldError(
                    f"Related field {final} got invalid lookup {lookups[0]!r}; "
                    f"use {arg.rsplit('__', 1)[0]}__<field>__{lookups[0]} or one of: "
                    f"{', '.join(sorted(_RELATED_LOOKUPS))}"
                )
        else:
            output = final
        col = Col(alias, targets[0], output_field=output)
        condition = self.build_lookup(lookups, col, value)
        lookup_name = getattr(condition, "lookup_name", "")
        require_outer = lookup_name == "isnull" and condition.rhs is True and not current_negated
        self.vote_inner(join_list[1:], inner and not require_outer and not current_negated)
        clause = WhereNode([condition])
        if current_negated and lookup_name != "isnull":
            nullable = _is_nullable(targets[0]) or any(self.alias_map[a].nullable for a in join_list[1:])
            if getattr(condition.lhs, "is_json_key", False) and condition.rhs is not None:
                # A missing JSON key reads as NULL even in a NOT NULL column: exclude() keeps
                # those rows too (Django does not, and drops documents without the key).
                clause.children.append(IsNull(condition.lhs, False))
            elif nullable:
                clause.children.append(IsNull(Col(alias, targets[0], output_field=output), False))
            if isinstance(value, Col) and _is_nullable(value.target):
                # exclude(a__gt=F("b")) keeps the rows where b is NULL, whether or not a may be.
                clause.children.append(IsNull(value, False))
        return clause, set(info.joins)

    def split_exclude(self, filter_expr, can_reuse):
        """``exclude()`` across a multi-valued relation: ``pk NOT IN (subquery)``."""
        arg, value = filter_expr
        inner = Query(self.model)
        inner.filtered_relations = self.filtered_relations
        if isinstance(value, F) and not isinstance(value, OuterRef):
            value = OuterRef(value.name)
        inner.add_q(Q((arg, value)))
        inner.clear_ordering(force=True)
        pk = self.get_meta().pk
        inner.default_cols = False
        inner.select = (Col(inner.get_initial_alias(), pk),)
        from orm.query.lookups import In

        resolved = inner.resolve_expression(self)
        outer_col = Col(self.get_initial_alias(), pk)
        return WhereNode([In(outer_col, resolved)]), set()

    # -- subqueries ---------------------------------------------------------------

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        """This query used inside ``query`` (``__in=queryset``): a relabelled copy."""
        return self.resolve_as_subquery(query)

    def resolve_as_subquery(self, outer) -> Query:
        clone = self.clone()
        clone.subquery = True
        if clone.default_cols and not clone.values_select and not clone.annotation_select_mask and not clone.combinator:
            clone.default_cols = False
            clone.select = (Col(clone.get_initial_alias(), clone.get_meta().pk),)
            clone.annotation_select_mask = []
        prefix = next(_prefixes)
        if outer is not None:
            while prefix == getattr(outer, "alias_prefix", None):
                prefix = next(_prefixes)
        clone.bump_prefix(prefix)
        if not clone.is_sliced and not clone.distinct_fields:
            clone.clear_ordering(force=True)
        if outer is not None:
            clone.resolve_outer_refs(outer)
        return clone

    def bump_prefix(self, prefix: str) -> None:
        """Rename every alias to ``<prefix><n>`` so this query can nest inside another."""
        change_map = {alias: f"{prefix}{index}" for index, alias in enumerate(self.alias_map)}
        self.alias_prefix = prefix
        self.change_aliases(change_map)

    def change_aliases(self, change_map: dict[str, str]) -> None:
        self.where = self.where.relabeled_clone(change_map)
        self.select = tuple(expression.relabeled_clone(change_map) for expression in self.select)
        if isinstance(self.group_by, tuple):
            self.group_by = tuple(expression.relabeled_clone(change_map) for expression in self.group_by)
        self.annotations = {name: expression.relabeled_clone(change_map) for name, expression in self.annotations.items()}
        self.order_by = tuple(
            entry.relabeled_clone(change_map) if hasattr(entry, "relabeled_clone") else entry for entry in self.order_by
        )
        new_map = {}
        for alias, join in self.alias_map.items():
            new_alias = change_map.get(alias, alias)
            new_map[new_alias] = join.relabeled_clone(change_map)
        self.alias_map = new_map
        self.alias_refcount = {change_map.get(a, a): count for a, count in self.alias_refcount.items()}
        self.join_requirements = {change_map.get(a, a): need for a, need in self.join_requirements.items()}
        self.base_alias_name = change_map.get(self.base_alias_name, self.base_alias_name) if self.base_alias_name else next(iter(new_map), None)

    def resolve_outer_refs(self, outer) -> None:
        """Replace ``OuterRef`` placeholders with columns of ``outer``."""

        def replace(expression):
            if isinstance(expression, ResolvedOuterRef):
                return expression.resolve_against(outer)
            if isinstance(expression, WhereNode):
                expression.children = [replace(child) for child in expression.children]
                return expression
            if isinstance(expression, Query):
                expression.resolve_outer_refs(outer)
                return expression
            if hasattr(expression, "lhs") and hasattr(expression, "rhs") and hasattr(expression, "lookup_name"):
                expression = copy.copy(expression)
                expression.lhs = replace(expression.lhs)
                if hasattr(expression.rhs, "get_source_expressions") or isinstance(expression.rhs, (ResolvedOuterRef, Query)):
                    expression.rhs = replace(expression.rhs)
                elif isinstance(expression.rhs, list):
                    expression.rhs = [replace(item) if hasattr(item, "get_source_expressions") else item for item in expression.rhs]
                return expression
            if hasattr(expression, "query") and isinstance(expression.query, Query):
                expression = copy.copy(expression)
                expression.query = expression.query.clone()
                expression.query.resolve_outer_refs(outer)
                return expression
            sources = expression.get_source_expressions() if hasattr(expression, "get_source_expressions") else []
            if sources:
                expression = expression.copy() if hasattr(expression, "copy") else copy.copy(expression)
                expression.set_source_expressions([replace(source) if source is not None else None for source in sources])
            return expression

        self.where = replace(self.where)
        self.select = tuple(replace(expression) for expression in self.select)
        self.annotations = {name: replace(expression) for name, expression in self.annotations.items()}
        if self.filtered_relations:
            for alias, join in list(self.alias_map.items()):
                if getattr(join, "filtered_condition", None) is not None:
                    join = self.alias_map[alias] = copy.copy(join)  # clones share their joins
                    join.filtered_condition = replace(join.filtered_condition.clone())

    def relabel_outer_refs(self, change_map) -> Query:
        """This subquery with its references to the enclosing query's aliases renamed.

        A correlated subquery (``Exists(... OuterRef("author"))``) holds columns
        of the query around it; when that query is itself renamed to nest in a
        third (``pk IN (SELECT ...)``, as a delete's cascade does), those columns
        must follow. The subquery's own aliases carry a prefix of their own, so
        only names it does not define are renamed.
        """
        outer = {old: new for old, new in change_map.items() if old not in self.alias_map}
        if not outer:
            return self
        clone = self.clone()
        clone.where = clone.where.relabeled_clone(outer)
        clone.select = tuple(expression.relabeled_clone(outer) for expression in clone.select)
        clone.annotations = {
            name: expression.relabeled_clone(outer) for name, expression in clone.annotations.items()
        }
        clone.order_by = tuple(
            entry.relabeled_clone(outer) if hasattr(entry, "relabeled_clone") else entry
            for entry in clone.order_by
        )
        if clone.filtered_relations:
            # A filtered relation's ON condition may hold the enclosing query's columns too.
            clone.alias_map = {alias: join.relabeled_clone(outer) for alias, join in clone.alias_map.items()}
        return clone

    def as_sql(self, compiler, connection):
        """SQL of this query as a subquery of the query ``compiler`` is compiling."""
        sql, params = self.get_compiler(connection=connection).as_sql(subquery=True)
        return f"({sql})", params

    def output_field_of_single_column(self):
        if self.select and len(self.select) == 1:
            return self.select[0]._output_field_or_none
        selected = self.annotation_select
        if len(selected) == 1 and not self.select:
            return next(iter(selected.values()))._output_field_or_none
        if self.default_cols:
            return self.get_meta().pk
        return None

    def get_source_expressions(self):
        return []

    def get_group_by_cols(self):
        return []

    def relabeled_clone(self, change_map):
        return self

    @property
    def contains_aggregate(self) -> bool:
        return False

    @property
    def _output_field_or_none(self):
        return self.output_field_of_single_column()

    def exists_query(self) -> Query:
        clone = self.clone()
        # A grouped query (aggregate annotations, a HAVING) keeps its select: the groups
        # are made from it, and without them HAVING would judge the whole table as one.
        grouped = clone.group_by is not None or clone.where.has_aggregate
        if not (clone.distinct and clone.is_sliced) and not clone.combinator and not grouped:
            clone.default_cols = False
            clone.select = (Value(1),)
            clone.annotation_select_mask = []
            if not clone.is_sliced:
                clone.clear_ordering(force=True)
        clone.set_limits(high=1)
        return clone

    # -- select / annotations -----------------------------------------------------

    def add_annotation(self, annotation, alias: str, select: bool = True) -> None:
        if isinstance(annotation, FilteredRelation):
            add_filtered_relation(self, annotation, alias)
            return
        resolved = annotation.resolve_expression(self, allow_joins=True, reuse=None)
        self.annotations[alias] = resolved
        if select:
            if self.annotation_select_mask is not None:
                self.annotation_select_mask.append(alias)
        else:
            mask = self.annotation_select_mask
            if mask is None:
                mask = [name for name in self.annotations if name != alias]
            self.annotation_select_mask = [name for name in mask if name != alias]
        if getattr(resolved, "contains_aggregate", False) and self.group_by is None:
            self.group_by = True

    def set_values(self, fields: list[str]) -> None:
        """Select only ``fields`` (field paths or annotation names), as ``values()`` does."""
        self.select_related = False
        self.default_cols = False
        field_names = []
        annotation_names = []
        if fields:
            for name in fields:
                if name in self.annotations:
                    annotation_names.append(name)
                else:
                    field_names.append(name)
        else:
            field_names = [field.attname for field in self.get_meta().concrete_fields]
            annotation_names = list(self.annotation_select) if self.annotation_select_mask is None else list(self.annotation_select_mask)
        if self.group_by is True:
            # annotate() before values() keeps the model grouping (one group per row, as Django):
            # values().annotate(...) groups by the values instead.
            alias = self.get_initial_alias()
            self.group_by = tuple(Col(alias, field) for field in self.get_meta().concrete_fields)
        self.values_select = tuple(field_names)
        self.select = tuple(self.resolve_ref(name) for name in field_names)
        self.annotation_select_mask = annotation_names

    def add_select_related(self, fields) -> None:
        tree = self.select_related if isinstance(self.select_related, dict) else {}
        for path in fields:
            node = tree
            for part in path.split(LOOKUP_SEP):
                node = node.setdefault(part, {})
        self.select_related = tree

    def add_deferred_loading(self, names) -> None:
        existing, defer = self.deferred_loading
        if defer:
            self.deferred_loading = (existing | frozenset(names), True)
        else:
            self.deferred_loading = (existing - frozenset(names), False)

    def add_immediate_loading(self, names) -> None:
        names = {name for name in names}
        if "pk" in names:
            names.discard("pk")
            names.add(self.get_meta().pk.name)
        existing, defer = self.deferred_loading
        if defer:
            self.deferred_loading = (frozenset(names - existing), False)
        else:
            self.deferred_loading = (frozenset(names), False)

    def loaded_field_names(self, opts) -> set[str] | None:
        """Attribute names to load for ``opts`` (None means all)."""
        names, defer = self.deferred_loading
        if not names and defer:
            return None
        if defer:
            local = {name for name in names if LOOKUP_SEP not in name}
        else:
            # only("author__name") loads the author key too, or reading author would refetch it.
            local = {name.split(LOOKUP_SEP, 1)[0] for name in names}
        fields = opts.concrete_fields
        if defer:
            result = {f.attname for f in fields if f.name not in local and f.attname not in local}
        else:
            result = {f.attname for f in fields if f.name in local or f.attname in local}
        result.add(opts.pk.attname)
        return result

    def check_ordering_names(self, names) -> None:
        for entry in names:
            if getattr(entry, "contains_aggregate", False):
                raise FieldError(
                    "Using an aggregate in order_by() without also including it in annotate() "
                    f"is not allowed: {entry!r}"
                )
            if hasattr(entry, "resolve_expression") or entry == "?":
                continue
            if not isinstance(entry, str):
                raise FieldError(f"order_by() takes field names or expressions, got {entry!r}")
            name = entry[1:] if entry.startswith(("-", "+")) else entry
            if not name:
                raise FieldError(f"invalid order_by argument {entry!r}")
            parts = name.split(LOOKUP_SEP)
            if parts[0] in self.annotations:
                continue
            path, final, targets, rest = self.names_to_path(parts, self.get_meta())
            for transform_name in rest:
                if get_transform(final, transform_name) is None:
                    raise FieldError(self._unsupported_lookup_message(Col(None, final), transform_name) if final is not None else f"invalid order_by {entry!r}")


_RELATED_LOOKUPS = {"exact", "in", "isnull", "gt", "gte", "lt", "lte", "range", "iexact"}


def _is_nullable(field) -> bool:
    return bool(getattr(field, "null", False))


def _is_lookup_name(field, name: str, targets) -> bool:
    return name in _RELATED_LOOKUPS


def _related_value(value, targets, relation_field):
    """Model instances in a relation filter become the values of the target column."""
    from orm.model import Model

    target = targets[0]
    if isinstance(value, Model):
        related = getattr(relation_field, "related_model", None)
        check = getattr(relation_field, "check_related_instance", None)
        if check is not None:
            check(value)
        elif related is not None and isinstance(related, type) and not isinstance(value, related._meta.concrete_model) and not isinstance(value, related):
            raise TypeError(
                f"{relation_field}: expected a {related.__name__} instance, got {type(value).__name__}"
            )
        if value.pk is None:  # as Django 5: it would match the rows where the relation is NULL
            raise ValueError(
                f"{relation_field}: model instances passed to related filters must be saved "
                f"(this {type(value).__name__} has no primary key yet)"
            )
        if target.model is not None and not isinstance(value, target.model._meta.concrete_model):
            return value.pk
        return getattr(value, target.attname)
    if isinstance(value, (list, tuple, set, frozenset)):
        if plain_values(value):
            return list(value)
        return [_related_value(item, targets, relation_field) for item in value]
    return value


def collect_columns(expression) -> list:
    return [node for node in walk(expression) if isinstance(node, Col)]


def _find_field(opts, name: str):
    """``opts.get_field(name)``, or None when there is none.

    A lookup name after a relation (``author__in``) is not a field; asking
    ``get_field`` would build its close-match error message (~70 us) only to
    drop it.
    """
    cache = opts._field_cache
    if cache is not None:
        field = cache.get(name)
        if field is not None or name != "pk":
            return field
    try:
        return opts.get_field(name)
    except FieldDoesNotExist:
        return None
