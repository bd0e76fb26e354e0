"""Statements other than row fetches run from a statement-cache plan: ``aggregate()`` and ``update()``.

A QuerySet made of simple steps carries a *plan* (see ``statement_cache``):
its shape and its filter values. ``Model.objects.filter(pages__gte=x)
.aggregate(n=Count("id"))`` and ``.filter(id__lte=x).update(isbn=y)`` are
compiled through the ordinary code the first time a shape runs with a given
set of aggregates or assigned fields; the SQL and the parameter order are
kept with the shape, and later runs bind the new values only. The
statement cache's rule applies: a statement is kept only when its
parameters are exactly the value objects given (nothing converted, nothing
added, such as an ``auto_now`` timestamp), so anything a field transforms
always takes the ordinary path.
"""

from __future__ import annotations

from typing import Any

from orm.exceptions import EmptyResultSet
from orm.query import statement_cache
from orm.query.aggregates import Avg, Count, Max, Min, StdDev, Sum, Variance
from orm.query.aggregation import select_aggregates

__all__ = ["plan_aggregation", "plan_update"]

_NOT_CACHEABLE = object()
#: Value types an update may assign from cache (as the statement cache's filter values).
_VALUE_TYPES = frozenset({int, str, float, bool})
#: The aggregate classes whose SQL depends only on their names and ``distinct``.
_PLAIN_AGGREGATES = frozenset({Count, Sum, Avg, Min, Max, StdDev, Variance})


def _signature(aggregates: dict[str, Any]) -> tuple | None:
    """A cache key for aggregates built by plain calls such as ``Count("id", distinct=True)``.

    Only the stock aggregate classes over field names (or ``"*"``), with no
    ``filter``, ``default``, ``output_field`` or extra options: what such an
    aggregate compiles to depends on nothing but its class, names and
    ``distinct``. Anything else (``None``) takes the ordinary path.
    """
    key = []
    for alias, aggregate in aggregates.items():
        if type(aggregate) not in _PLAIN_AGGREGATES:
            return None
        args, kwargs = aggregate.__dict__.get("_constructor_args", ((None,), None))
        distinct = kwargs.get("distinct", False) if kwargs else False
        if (
            any(type(arg) is not str for arg in args)
            or kwargs and (kwargs.keys() != {"distinct"} or type(distinct) is not bool)
            or aggregate.filter is not None
            or aggregate.default is not None
            or aggregate.extra
            or "_output_field" in aggregate.__dict__
        ):
            return None
        key.append((alias, type(aggregate), args, distinct))
    return tuple(key)


def plan_aggregation(queryset, aggregates: dict[str, Any], connection) -> dict[str, Any] | None:
    """``aggregate()`` of a statement-cache plan QuerySet, its SQL compiled once per shape.

    ``None`` when the QuerySet has no usable plan, the plan is sliced (that
    needs a subquery), the aggregates are not plain (see ``_signature``) or
    the compiled statement cannot be reused; the caller then takes the
    ordinary path. The rules are the statement cache's: the statement is kept
    only when its parameters are exactly the plan's filter values.
    """
    shape = statement_cache.usable_shape(queryset)
    if shape is None or shape.sliced:
        return None
    signature = _signature(aggregates)
    if signature is None:
        return None
    key = (type(connection.dialect), signature)
    entry = shape.statements.get(key)
    if entry is None:
        args = queryset._plan[1]
        if len({id(value) for value in args}) != len(args):
            return None  # the same object twice: which parameter is which is unknown this time
        entry = _compile_plan(queryset, aggregates, connection)
        statement_cache.remember_statement(shape, key, entry)
    if entry is _NOT_CACHEABLE:
        return None
    sql, order, columns = entry
    args = queryset._plan[1]
    rows = connection.fetch_all(
        sql, args if order is None else [args[index] for index in order], prepared=True
    )
    row = rows[0] if rows else None
    return {
        alias: (None if row is None else row[index]) if converter is None
        else converter(None if row is None else row[index])
        for alias, index, converter in columns
    }


def _compile_plan(queryset, aggregates: dict[str, Any], connection):
    """The cache entry of ``plan_aggregation``: (sql, parameter order, columns), or not cacheable."""
    inner = statement_cache.replay(queryset)
    select_aggregates(inner, aggregates)
    compiler = inner.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _NOT_CACHEABLE
    order = statement_cache.parameter_order(queryset._plan[1], params)
    if order is False:
        return _NOT_CACHEABLE
    if not params and "%%" in sql:
        sql = sql.replace("%%", "%")
    converters = dict(compiler.get_converters())
    columns = tuple(
        (alias, index, converters.get(index)) for alias, index in compiler.annotation_col_map.items()
    )
    return sql, order, columns


def plan_update(queryset, values: dict[str, Any], connection) -> int | None:
    """``update(**values)`` of a plan QuerySet from its shape's cached UPDATE; ``None`` if not.

    The caller (``QuerySet.update``) has checked the arguments; ``None``
    sends it down the ordinary path, which reports any error.
    """
    shape = statement_cache.usable_shape(queryset)
    if shape is None or shape.sliced:
        return None
    assigned = tuple(values.values())
    types = tuple(map(type, assigned))
    if not all(value_type in _VALUE_TYPES for value_type in types):
        return None
    bound = (*assigned, *queryset._plan[1])
    key = ("update", type(connection.dialect), tuple(values), types)
    entry = shape.statements.get(key)
    if entry is None:
        if len({id(value) for value in bound}) != len(bound):
            return None  # the same object twice: which parameter is which is unknown this time
        entry = _compile_update(queryset, values, bound, connection)
        statement_cache.remember_statement(shape, key, entry)
    if entry is _NOT_CACHEABLE:
        return None
    sql, order = entry
    cursor = connection.execute(sql, bound if order is None else [bound[index] for index in order])
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def _compile_update(queryset, values: dict[str, Any], bound: tuple, connection):
    """The cache entry of ``plan_update``: (sql, parameter order), or not cacheable."""
    from orm.query.persistence import update_statement

    statement = update_statement(statement_cache.replay(queryset), values, connection)
    if statement is None:
        return _NOT_CACHEABLE
    sql, params = statement
    order = statement_cache.parameter_order(bound, params)
    if order is False or not params:
        return _NOT_CACHEABLE
    return sql, order
