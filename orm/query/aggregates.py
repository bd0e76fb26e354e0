"""Aggregates: ``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``, ``StdDev``, ``Variance``, ``StringAgg``."""

from __future__ import annotations

import json
from typing import Any

from orm.exceptions import FieldError, NotSupportedError
from orm.query.expressions import (
    _INTEGER_TYPES,
    Func,
    Star,
    Value,
    as_ordering,
    init_func,
    to_float,
    to_int,
)

__all__ = ["Aggregate", "Count", "Sum", "Avg", "Min", "Max", "StdDev", "Variance", "StringAgg"]

_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})


class Aggregate(Func):
    """An aggregate function, with ``distinct=`` and ``filter=Q(...)``."""

    contains_aggregate = True
    allow_distinct = False
    empty_result_set_value: Any = None
    # The defaults live on the class: an aggregate stores only what it was given
    # (fewer stores and a smaller object for the usual Count("id")).
    distinct = False
    filter: Any = None
    default: Any = None

    def __init__(
        self, *expressions, distinct: bool = False, filter=None, default=None, output_field=None, **extra
    ):
        if distinct:
            if not self.allow_distinct:
                raise TypeError(f"{type(self).__name__} does not allow distinct")
            self.distinct = distinct
        if output_field is None and self.arity is None:
            self._arguments = expressions  # init_func's two stores, inline for the usual call
            self.extra = extra
        else:
            init_func(self, expressions, output_field, extra)
        if filter is not None:
            self.filter = filter
        if default is not None:
            self.default = default

    def get_source_expressions(self):
        sources = list(self.source_expressions)
        if self.filter is not None:
            sources.append(self.filter)
        return sources

    def set_source_expressions(self, expressions):
        if self.filter is not None:
            *expressions, self.filter = expressions
        self.source_expressions = list(expressions)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.source_expressions = [
            e.resolve_expression(query, allow_joins, reuse, summarize) for e in self.source_expressions
        ]
        if self.filter is not None:
            # As in Django, the filter reuses the joins already made (those of the aggregated
            # relation): Count("posts", filter=Q(posts__status="pub")) counts one join's rows.
            if reuse is None and query is not None:
                reuse = set(query.alias_map)
            clone.filter = self.filter.resolve_expression(query, allow_joins, reuse, summarize)
        if not summarize:
            for expression in clone.source_expressions:
                if getattr(expression, "contains_aggregate", False):
                    raise FieldError(f"cannot compute {type(self).__name__}() of an aggregate")
        return clone

    @property
    def default_alias(self) -> str:
        sources = self.source_expressions
        if len(sources) == 1 and hasattr(sources[0], "name"):
            return f"{sources[0].name}__{type(self).__name__.lower()}"
        raise TypeError("complex aggregates need an alias: aggregate(name=Sum(...))")

    def get_group_by_cols(self):
        return []

    def as_sql(self, compiler, connection, **extra):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, sub = compiler.compile(expression)
            parts.append(sql)
            params.extend(sub)
        arguments = self.argument_sql(", ".join(parts), connection)
        if self.filter is not None:
            filter_sql, filter_params = compiler.compile(self.filter)
            if filter_sql:
                if arguments == "*":
                    arguments = "1"
                arguments = f"CASE WHEN {filter_sql} THEN {arguments} ELSE NULL END"
                params = [*filter_params, *params]
        distinct = "DISTINCT " if self.distinct else ""
        sql = f"{self.function}({distinct}{arguments})"
        if self.default is not None:
            from orm.query.expressions import Value

            default_sql, default_params = compiler.compile(Value(self.default))
            sql = f"COALESCE({sql}, {default_sql})"
            params = [*params, *default_params]
        return sql, params

    def argument_sql(self, sql: str, connection) -> str:
        """The SQL of the aggregated argument (a subclass may cast it)."""
        return sql

    def identity(self):
        return (*super().identity(), self.distinct, repr(self.filter))


class Count(Aggregate):
    """The number of rows (or of distinct values); always an ``int``, 0 for no rows."""

    function = "COUNT"
    allow_distinct = True
    empty_result_set_value = 0

    def __init__(self, expression="*", filter=None, **extra):
        if expression == "*":
            expression = Star()
        if filter is None and not extra:
            # The usual call: Aggregate.__init__'s work for one argument and no options, inline.
            self._arguments = (expression,)
            self.extra = extra
        else:
            super().__init__(expression, filter=filter, **extra)

    def _resolve_output_field(self):
        from orm import fields

        return fields.BigIntegerField()

    def get_converter(self, connection):
        return _int_or_zero

    @property
    def default_alias(self) -> str:
        source = self.source_expressions[0]
        if isinstance(source, Star):
            raise TypeError("Count('*') needs an alias: aggregate(total=Count('*'))")
        return super().default_alias


def _int_or_zero(value):
    return 0 if value is None else int(value)


class Sum(Aggregate):
    function = "SUM"
    allow_distinct = True

    def get_converter(self, connection):
        # MySQL sums integers as DECIMAL; the result has the type of the summed field.
        return _integer_result_converter(self, connection)


def _integer_result_converter(aggregate, connection):
    """The aggregate's converter, reading an integer-typed result as ``int`` whatever the driver gives."""
    converter = Aggregate.get_converter(aggregate, connection)
    field = aggregate._output_field_or_none
    if field is None or field.get_internal_type() not in _INTEGER_TYPES:
        return converter
    if converter is None:
        return to_int
    return lambda value: converter(to_int(value))


class Avg(Aggregate):
    function = "AVG"
    allow_distinct = True

    def _resolve_output_field(self):
        from orm import fields

        source = self.source_expressions[0]._output_field_or_none
        if source is not None and source.get_internal_type() == "DecimalField":
            return source
        return fields.FloatField()

    def get_converter(self, connection):
        field = self._output_field_or_none
        if field is not None and field.get_internal_type() == "DecimalField":
            return field.from_db_converter(connection) or _to_decimal
        return to_float


def _to_decimal(value):
    import decimal

    return None if value is None else decimal.Decimal(str(value))


class Min(Aggregate):
    function = "MIN"

    def get_converter(self, connection):
        # MIN/MAX over a column of sums (an aggregate of an aggregate annotation) is
        # DECIMAL on MySQL too: an integer-typed result is read back as int, as Sum's is.
        return _integer_result_converter(self, connection)


class Max(Aggregate):
    function = "MAX"

    def get_converter(self, connection):
        return _integer_result_converter(self, connection)


class StdDev(Aggregate):
    """Standard deviation; ``sample=True`` for the sample form."""

    def __init__(self, expression, sample: bool = False, **extra):
        self.function = "STDDEV_SAMP" if sample else "STDDEV_POP"
        super().__init__(expression, **extra)

    def _resolve_output_field(self):
        from orm import fields

        return fields.FloatField()

    def argument_sql(self, sql: str, connection) -> str:
        # MariaDB computes these over integers in DECIMAL with 4 places (11.1803 for
        # 11.18033988...); a double argument gives full precision on every backend.
        return connection.dialect.cast_sql(sql, "FloatField")

    def get_converter(self, connection):
        return to_float


class Variance(StdDev):
    """Variance; ``sample=True`` for the sample form."""

    def __init__(self, expression, sample: bool = False, **extra):
        super().__init__(expression, sample=sample, **extra)
        self.function = "VAR_SAMP" if sample else "VAR_POP"


class StringAgg(Aggregate):
    """The group's values joined into one text by ``delimiter``, as Django 6's ``StringAgg``.

    ``StringAgg("name", delimiter=", ", order_by="-name", distinct=True)``:
    ``order_by`` takes what ``order_by()`` takes (names with ``-``,
    expressions, ``F(...).desc(nulls_last=True)``), one or a list. NULL values
    are left out; no value at all gives ``default`` (None unless given).
    PostgreSQL writes ``STRING_AGG``, MySQL ``GROUP_CONCAT ... SEPARATOR``
    (whose result MySQL cuts at ``group_concat_max_len`` bytes), SQLite
    ``GROUP_CONCAT``, or, with ``distinct`` or ``order_by``, a Python
    aggregate that sorts as SQLite does.
    """

    allow_distinct = True

    def __init__(self, expression, delimiter, order_by=(), **extra):
        if isinstance(delimiter, str):
            delimiter = Value(delimiter)
        orderings = order_by if isinstance(order_by, (list, tuple)) else [order_by]
        self.ordering_count = len(orderings)
        super().__init__(expression, delimiter, *[as_ordering(item, "StringAgg(order_by=...)") for item in orderings], **extra)

    def _resolve_output_field(self):
        from orm import fields

        return fields.TextField()

    @property
    def default_alias(self) -> str:
        source = self.source_expressions[0]
        if hasattr(source, "name"):
            return f"{source.name}__stringagg"
        raise TypeError("complex aggregates need an alias: aggregate(name=StringAgg(...))")

    def as_sql(self, compiler, connection, **extra):
        expression, delimiter, *orderings = self.source_expressions
        value_sql, value_params = compiler.compile(expression)
        field = expression._output_field_or_none
        if connection.vendor == "postgresql" and (field is None or field.get_internal_type() not in _TEXT_TYPES):
            value_sql = f"CAST({value_sql} AS text)"
        delimiter_sql, delimiter_params = compiler.compile(delimiter)
        if connection.vendor == "sqlite" and (self.distinct or orderings):
            return self._sqlite_sorted_sql(compiler, value_sql, value_params, delimiter_sql, delimiter_params)
        if connection.vendor == "mysql" and not isinstance(delimiter, Value):
            raise NotSupportedError("StringAgg on MySQL takes a constant delimiter (a str or Value)")
        value_sql, value_params = self._filtered(compiler, value_sql, value_params)
        order_sql, order_params = "", []
        if orderings:
            parts = [compiler.compile(ordering) for ordering in orderings]
            order_sql = " ORDER BY " + ", ".join(sql for sql, _ in parts)
            order_params = [param for _, params in parts for param in params]
        distinct = "DISTINCT " if self.distinct else ""
        if connection.vendor == "mysql":
            sql = f"GROUP_CONCAT({distinct}{value_sql}{order_sql} SEPARATOR {delimiter_sql})"
            params = [*value_params, *order_params, *delimiter_params]
        else:
            function = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
            if connection.vendor == "postgresql":
                delimiter_sql = f"CAST({delimiter_sql} AS text)"
            sql = f"{function}({distinct}{value_sql}, {delimiter_sql}{order_sql})"
            params = [*value_params, *delimiter_params, *order_params]
        return self._with_default(compiler, sql, params)

    def _filtered(self, compiler, sql: str, params: list) -> tuple[str, list]:
        if self.filter is None:
            return sql, params
        filter_sql, filter_params = compiler.compile(self.filter)
        if not filter_sql:
            return sql, params
        return f"CASE WHEN {filter_sql} THEN {sql} ELSE NULL END", [*filter_params, *params]

    def _with_default(self, compiler, sql: str, params: list) -> tuple[str, list]:
        if self.default is None:
            return sql, params
        default_sql, default_params = compiler.compile(Value(self.default))
        return f"COALESCE({sql}, {default_sql})", [*params, *default_params]

    def _sqlite_sorted_sql(self, compiler, value_sql, value_params, delimiter_sql, delimiter_params):
        """The Python aggregate ``manouche_string_agg`` (``backends.sqlite.sql_functions``)."""
        orderings = self.source_expressions[2:]
        row_parts, row_params = [value_sql, delimiter_sql], [*value_params, *delimiter_params]
        config = []
        for ordering in orderings:
            sql, params = compiler.compile(ordering.expression)
            row_parts.append(sql)
            row_params.extend(params)
            nulls_first = True if ordering.nulls_first else False if ordering.nulls_last else None
            config.append([ordering.descending, nulls_first])
        row_sql, row_params = self._filtered(compiler, f"JSON_ARRAY({', '.join(row_parts)})", row_params)
        config_sql, config_params = compiler.compile(Value(json.dumps([bool(self.distinct), config])))
        sql = f"manouche_string_agg({row_sql}, {config_sql})"
        return self._with_default(compiler, sql, [*row_params, *config_params])

    def identity(self):
        return (*super().identity(), self.ordering_count)

