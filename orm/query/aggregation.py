"""``aggregate()`` and ``count()``: one row of aggregate values, wrapping the query when needed."""

from __future__ import annotations

from typing import Any

from orm.exceptions import EmptyResultSet, FieldError
from orm.query.aggregates import Aggregate
from orm.query.compiler import execute
from orm.query.expressions import Col, Ref, Star, walk
from orm.query.where import ExtraCondition, WhereNode

__all__ = ["get_aggregation", "get_count", "resolve_aggregates", "select_aggregates"]


def _needs_subquery(query) -> bool:
    return bool(
        query.is_sliced
        or query.distinct
        or query.combinator
        or query.group_by is not None
        or any(getattr(a, "contains_aggregate", False) for a in query.annotations.values())
    )


def get_aggregation(query, aggregates: dict[str, Any], connection) -> dict[str, Any]:
    """Run the aggregates over ``query``'s rows and return ``{alias: value}``."""
    if not aggregates:
        return {}
    inner = query.clone()
    if _needs_subquery(inner):
        return _aggregate_over_subquery(inner, aggregates, connection)
    select_aggregates(inner, aggregates)
    compiler = inner.get_compiler(connection=connection)
    return _run_single(compiler, aggregates, inner)


def select_aggregates(inner, aggregates: dict[str, Any]) -> None:
    """Make ``inner`` (no subquery needed) select just ``aggregates``, in order."""
    inner.clear_ordering(force=True)
    inner.default_cols = False
    inner.select = ()
    inner.values_select = ()
    inner.select_related = False
    inner.annotation_select_mask = []
    for alias, resolved in resolve_aggregates(inner, aggregates).items():
        inner.annotations[alias] = _inline_annotations(resolved, inner)
        inner.annotation_select_mask.append(alias)


def resolve_aggregates(query, aggregates: dict[str, Any]) -> dict[str, Any]:
    """``aggregates`` resolved against ``query`` in order, each able to name those before it.

    As Django: in ``aggregate(total=Sum("pages"), double=F("total") * 2)`` the
    reference becomes the aggregate it names (``SUM(pages) * 2``); an aggregate
    of one (``Avg("total")``) is a FieldError, and an expression with no
    aggregate a TypeError. ``query.annotations`` is left as it was.
    """
    annotations = query.annotations
    shadowed = {alias: annotations[alias] for alias in aggregates if alias in annotations}
    resolved: dict[str, Any] = {}
    try:
        for alias, aggregate in aggregates.items():
            expression = aggregate.resolve_expression(query, allow_joins=True, reuse=None, summarize=True)
            if resolved and any(isinstance(node, Ref) for node in walk(expression)):
                expression = _replace_references(expression, resolved)
            if not getattr(expression, "contains_aggregate", False):
                raise TypeError(f"{alias} is not an aggregate expression")
            # Visible to the aggregates after it, as an annotation (F() resolves those).
            resolved[alias] = annotations[alias] = expression
    finally:
        for alias in resolved:
            del annotations[alias]
        annotations.update(shadowed)
    return resolved


def _replace_references(expression, resolved: dict[str, Any]):
    """``expression`` with references to the aggregates in ``resolved`` replaced by them."""
    if isinstance(expression, Ref):
        return expression.source if resolved.get(expression.refs) is expression.source else expression
    if isinstance(expression, Aggregate):
        for node in walk(expression):
            if isinstance(node, Ref) and resolved.get(node.refs) is node.source:
                raise FieldError(
                    f"Cannot compute {type(expression).__name__}('{node.refs}'): '{node.refs}' is an aggregate"
                )
        return expression
    sources = expression.get_source_expressions()
    clone = expression.copy()
    clone.set_source_expressions([None if source is None else _replace_references(source, resolved) for source in sources])
    return clone


def _inline_annotations(expression, query):
    """``expression`` with references to the query's (unselected) annotations replaced by their SQL."""
    if isinstance(expression, Ref) and expression.refs in query.annotations:
        return query.annotations[expression.refs]
    sources = expression.get_source_expressions()
    if not any(isinstance(node, Ref) for source in sources if source is not None for node in walk(source)):
        return expression
    clone = expression.copy()
    clone.set_source_expressions(
        [_inline_annotations(source, query) if source is not None else None for source in sources]
    )
    return clone


def _run_single(compiler, aggregates, query) -> dict[str, Any]:
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        selected = {alias: query.annotations.get(alias, aggregate) for alias, aggregate in aggregates.items()}
        if _known_over_no_rows(selected.values()):
            return {alias: _empty_value(expression) for alias, expression in selected.items()}
        compiler = _matching_no_rows(query).get_compiler(connection=compiler.connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return {alias: _empty_value(expression) for alias, expression in selected.items()}
    cursor = execute(compiler.connection, sql, params)
    try:
        row = cursor.fetchone()
    finally:
        cursor.close()
    converters = dict(compiler.get_converters())
    result = {}
    for alias, index in compiler.annotation_col_map.items():
        value = row[index] if row is not None else None
        converter = converters.get(index)
        if converter is not None:
            value = converter(value)
        result[alias] = value
    return result


def _known_over_no_rows(expressions) -> bool:
    """Whether each expression is a bare aggregate, whose value over no rows needs no query."""
    return all(expression is None or isinstance(expression, Aggregate) for expression in expressions)


def _matching_no_rows(query):
    """``query`` with a WHERE no row matches, for expressions only SQL computes over no rows.

    ``Count("id") + 1`` or ``Coalesce(Sum("pages"), 0)`` over a query known to
    be empty (``filter(pk__in=[])``, ``none()``): as Django, the statement runs.
    """
    clone = query.clone()
    clone.is_empty_query = False
    clone.where = WhereNode([ExtraCondition("1 = 0")])
    return clone


def _empty_value(aggregate):
    value = getattr(aggregate, "empty_result_set_value", None)
    default = getattr(aggregate, "default", None)
    return default if default is not None else value


def _aggregate_over_subquery(inner, aggregates, connection) -> dict[str, Any]:
    from orm.query.query import Query

    if not inner.is_sliced and not inner.distinct:
        inner.clear_ordering(force=True)
    outer_refs: dict[str, Any] = {}
    counter = 0
    resolved_aggregates = resolve_aggregates(inner, aggregates)
    # Columns the aggregates read become named columns of the inner query.
    inner_select_names = {}

    combined_names = _combined_column_names(inner, connection) if inner.combinator else None

    def rewrite(expression):
        nonlocal counter
        if isinstance(expression, Col) and combined_names is not None:
            # A union's rows are its parts' columns: refer to them by the name they are selected as.
            name = combined_names.get(id(expression.target))
            if name is None:
                raise FieldError(f"aggregate(): {expression.target.name!r} is not a column of the combined query")
            return Ref(name, expression)
        if isinstance(expression, Col):
            key = (expression.alias, id(expression.target))
            if key not in inner_select_names:
                counter += 1
                name = f"__col{counter}"
                inner_select_names[key] = name
                outer_refs[name] = expression
            return Ref(inner_select_names[key], expression)
        if isinstance(expression, Ref):
            outer_refs.setdefault(expression.refs, inner.annotations.get(expression.refs, expression.source))
            return expression
        sources = expression.get_source_expressions() if hasattr(expression, "get_source_expressions") else []
        if sources:
            clone = expression.copy()
            clone.set_source_expressions([rewrite(source) if source is not None else None for source in sources])
            return clone
        return expression

    rewritten = {alias: rewrite(expression) for alias, expression in resolved_aggregates.items()}
    if inner.default_cols and not inner.distinct and not inner.combinator:
        inner.default_cols = False
        inner.select = (Col(inner.base_alias, inner.get_meta().pk),)
    mask = list(inner.annotation_select) if inner.annotation_select_mask is None else list(inner.annotation_select_mask)
    for name, expression in outer_refs.items():
        if name not in inner.annotations or name.startswith("__col"):
            inner.annotations[name] = expression
        if name not in mask:
            mask.append(name)
    inner.annotation_select_mask = mask
    if inner.combinator:
        inner_sql, inner_params = inner.get_compiler(connection=connection).as_sql()
    else:
        try:
            inner_sql, inner_params = inner.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:
            if _known_over_no_rows(resolved_aggregates.values()):
                return {alias: _empty_value(aggregate) for alias, aggregate in resolved_aggregates.items()}
            try:
                inner_sql, inner_params = _matching_no_rows(inner).get_compiler(connection=connection).as_sql()
            except EmptyResultSet:
                return {alias: _empty_value(aggregate) for alias, aggregate in resolved_aggregates.items()}
    quote = connection.dialect.quote_name
    outer = Query(inner.model)
    outer.default_cols = False
    outer.annotation_select_mask = list(rewritten)
    outer.annotations = dict(rewritten)
    from orm.query.compiler import SQLCompiler

    compiler = SQLCompiler(outer, connection)
    parts, params = [], []
    for alias, expression in rewritten.items():
        sql, sub = compiler.compile(expression)
        parts.append(f"{sql} AS {quote(alias)}")
        params.extend(sub)
    sql = f"SELECT {', '.join(parts)} FROM ({inner_sql}) {quote('subquery')}"
    cursor = execute(connection, sql, [*params, *inner_params] if params else inner_params)
    try:
        row = cursor.fetchone()
    finally:
        cursor.close()
    result = {}
    for index, (alias, expression) in enumerate(rewritten.items()):
        value = row[index] if row is not None else None
        converter = expression.get_converter(connection)
        result[alias] = converter(value) if converter is not None else value
    return result


def _combined_column_names(query, connection) -> dict[int, str]:
    """id(field) -> the name a combined query's column has in ``SELECT ... FROM (<query>)``."""
    compiler = query.get_compiler(connection=connection)
    try:
        compiler.as_sql()
    except EmptyResultSet:
        return {}
    names: dict[int, str] = {}
    for expression, alias in compiler.select:
        target = getattr(expression, "target", None)
        if target is not None:
            names.setdefault(id(target), alias or target.column)
    return names


def get_count(query, connection) -> int:
    """``SELECT COUNT(*)`` over ``query``."""
    from orm.query.aggregates import Count

    if _needs_subquery(query):
        return get_aggregation(query, {"__count": Count("*")}, connection)["__count"]
    inner = query.clone()
    inner.clear_ordering(force=True)
    inner.default_cols = False
    inner.select = ()
    inner.values_select = ()
    inner.select_related = False
    inner.annotation_select_mask = ["__count"]
    inner.annotations["__count"] = Count(Star()).resolve_expression(inner, summarize=True)
    compiler = inner.get_compiler(connection=connection)
    return _run_single(compiler, {"__count": None}, inner)["__count"] or 0
