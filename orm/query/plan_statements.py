"""Statements other than row fetches run from a statement-cache plan: ``aggregate()``, ``update()``, ``delete()``.

A QuerySet made of simple steps carries a *plan* (see ``statement_cache``):
its shape and its filter values. ``Model.objects.filter(pages__gte=x)
.aggregate(n=Count("id"))`` and ``.filter(id__lte=x).update(isbn=y)`` are
compiled through the ordinary code the first time a shape runs with a given
set of aggregates or assigned fields; the SQL and the parameter order are
kept with the shape, and later runs bind the new values only. So are the
``DELETE``s of ``.filter(id__lte=x).delete()`` when the collector deletes
without loading rows (see ``plan_delete``). The
statement cache's rule applies: a statement is kept only when its
parameters are exactly the value objects given (nothing converted, nothing
added, such as an ``auto_now`` timestamp), so anything a field transforms
always takes the ordinary path.
"""

from __future__ import annotations

from typing import Any

from orm import hooks
from orm.connections import connections
from orm.exceptions import EmptyResultSet
from orm.query import statement_cache
from orm.query.aggregates import Avg, Count, Max, Min, StdDev, Sum, Variance, _int_or_zero
from orm.query.aggregation import select_aggregates
from orm.query.deletion import delete_statement
from orm.query.expressions import to_float, to_int
from orm.routers import router
from orm.transaction import atomic

__all__ = ["plan_aggregation", "plan_delete", "plan_update"]

_NOT_CACHEABLE = object()
#: Value types an update may assign from cache (as the statement cache's filter values).
_VALUE_TYPES = frozenset({int, str, float, bool})
#: The aggregate classes whose SQL depends only on their names and ``distinct``.
_PLAIN_AGGREGATES = frozenset({Count, Sum, Avg, Min, Max, StdDev, Variance})
_DISTINCT_ONLY = frozenset({"distinct"})
_NO_ARGUMENTS = ((None,), None)  # no constructor arguments recorded: refused
#: The type each of these converters returns for a value that is not None: a value of
#: exactly that type comes back from it unchanged, so the call is skipped (a PostgreSQL
#: COUNT, MAX of an integer column or AVG of a double is already what Python wants).
_RESULT_TYPES: dict[Any, type] = {to_int: int, to_float: float, _int_or_zero: int}  # read by identity


def _signature(aggregates: dict[str, Any], dialect_class) -> tuple | None:
    """A cache key for aggregates built by plain calls such as ``Count("id", distinct=True)``.

    Only the stock aggregate classes over field names (or ``"*"``), with no
    keyword argument but ``distinct``: no ``filter``, ``default``,
    ``output_field`` or extra options, given by keyword or by position (a
    positional argument that is not a name is refused). What such an
    aggregate compiles to depends on nothing but its class, names and
    ``distinct``, so the key is read from the constructor's arguments (the
    ORM resolves copies; the one thing set on the object itself is an output
    field worked out by reading ``output_field``, which is refused).
    Anything else (``None``) takes the ordinary path. The key is flat (the
    dialect's class, then alias, class, names, distinct for each): one level
    to hash and compare per call.
    """
    key: list = [dialect_class]
    for alias, aggregate in aggregates.items():
        aggregate_class = type(aggregate)
        if aggregate_class not in _PLAIN_AGGREGATES or aggregate._output_field is not None:
            return None  # an output field worked out on the object itself (see output_field)
        args, kwargs = aggregate._constructor_args or _NO_ARGUMENTS
        for arg in args:
            if type(arg) is not str:
                return None
        if kwargs:
            if kwargs.keys() != _DISTINCT_ONLY:
                return None
            distinct = kwargs["distinct"]
            if type(distinct) is not bool:
                return None
        else:
            distinct = False
        key += (alias, aggregate_class, args, distinct)
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
    key = _signature(aggregates, type(connection.dialect))
    if key is None:
        return None
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
    values = {}
    for alias, index, converter, result_type in columns:  # a loop, not a comprehension: no frame
        value = None if row is None else row[index]
        # A value already of the converter's result type would come back unchanged.
        values[alias] = value if converter is None or type(value) is result_type else converter(value)
    return values


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
    columns = []
    for alias, index in compiler.annotation_col_map.items():
        converter = converters.get(index)
        result_type = next((kind for known, kind in _RESULT_TYPES.items() if known is converter), None)
        columns.append((alias, index, converter, result_type))
    return sql, order, tuple(columns)


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
    # Server-bound where the backend can: each value is assigned to or compared with a
    # column, unchanged by its field, so the server infers every parameter's type.
    return connection.execute_count(
        sql, bound if order is None else [bound[index] for index in order], prepared=True
    )


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


def plan_delete(queryset) -> tuple[int, dict[str, int]] | None:
    """``delete()`` of a plan QuerySet from ``DELETE``s kept with its shape; ``None`` if not.

    Only when the collector (``hooks.collector_class``) deletes the rows
    without loading them (``unloaded_plan``: no receivers, relations that
    cascade to nothing but junction-like rows): its statements are compiled
    once per shape and run as ``Collector.delete`` runs them (one alone, or
    all inside ``atomic``), each parameter bound server-side where the backend
    can (every one is a filter value compared with a column). The
    collector's answer is asked again when receivers, relations, fields or
    installed apps changed. ``None`` sends the caller down the ordinary path.
    """
    collector_class = hooks.collector_class
    unloaded_plan = getattr(collector_class, "unloaded_plan", None)
    if unloaded_plan is None or queryset._fields is not None:
        return None
    shape = statement_cache.usable_shape(queryset)
    if shape is None or shape.sliced:
        return None
    using = queryset._db
    if using is None:
        using = router.db_for_write(queryset.model, **(queryset._hints or {}))
    connection = connections[using]
    key = ("delete", type(connection.dialect), collector_class)
    entry = shape.statements.get(key)
    if entry is None or entry is not _NOT_CACHEABLE and not entry[1]():
        args = queryset._plan[1]
        if len({id(value) for value in args}) != len(args):
            return None  # the same object twice: which parameter is which is unknown this time
        entry = _compile_delete(queryset, unloaded_plan, using, connection)
        if entry is None:
            return None
        statement_cache.remember_statement(shape, key, entry)
    if entry is _NOT_CACHEABLE:
        return None
    args = queryset._plan[1]
    statements = entry[0]
    if len(statements) == 1:
        sql, order, label = statements[0]
        count = connection.execute_count(
            sql, args if order is None else [args[index] for index in order], prepared=True
        )
        return count, ({label: count} if count else {})
    counts: dict[str, int] = {}
    with atomic(using=using, savepoint=False):
        for sql, order, label in statements:
            count = connection.execute_count(
                sql, args if order is None else [args[index] for index in order], prepared=True
            )
            if count:
                counts[label] = counts.get(label, 0) + count
    return sum(counts.values()), counts


def _compile_delete(queryset, unloaded_plan, using: str, connection):
    """The cache entry of ``plan_delete``: ((sql, parameter order, label), ...) and the
    collector's check, ``_NOT_CACHEABLE``, or ``None`` when rows must be collected this time."""
    query = statement_cache.replay(queryset)
    query.clear_ordering(force=True)
    plan = unloaded_plan(
        type(queryset)(model=queryset.model, query=query, using=using, hints=queryset._hints),
        using,
    )
    if plan is None:
        return None  # receivers or cascades: collected, and asked again next time
    deletes, still_applies = plan
    args = queryset._plan[1]
    statements = []
    for deleted in deletes:
        statement = delete_statement(deleted, connection)
        if statement is None:
            return _NOT_CACHEABLE
        sql, params = statement
        order = statement_cache.parameter_order(args, params)
        if order is False:
            return _NOT_CACHEABLE
        statements.append((sql, order, deleted.model._meta.label))
    return tuple(statements), still_applies
