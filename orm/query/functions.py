"""Database functions: ``Coalesce``, ``Lower``, ``Concat``, ``Cast``, ``Now``, ``Trunc*``, ``Extract*``."""

from __future__ import annotations

from orm.query.expressions import Expression, F, Func
from orm.query.json import KeyTransform
from orm.query.lookups import Extract, is_inet_address

__all__ = [
    "Cast", "Coalesce", "Lower", "Upper", "Length", "Concat", "Now", "Greatest", "Least",
    "Abs", "Round", "Trunc", "TruncYear", "TruncQuarter", "TruncMonth", "TruncWeek", "TruncDay",
    "TruncHour", "TruncMinute", "TruncSecond", "TruncDate", "TruncTime", "Extract", "ExtractYear",
    "ExtractMonth", "ExtractDay", "ExtractWeekDay", "ExtractWeek", "ExtractQuarter",
    "ExtractIsoYear", "ExtractIsoWeekDay", "ExtractHour", "ExtractMinute", "ExtractSecond", "KT",
]


def _field(name: str, **kwargs):
    from orm import fields

    return getattr(fields, name)(**kwargs)


def _read_as_text_differently(expression, connection) -> bool:
    return isinstance(expression, KeyTransform) or is_inet_address(expression, connection)


def compile_as_text(compiler, connection, expression) -> tuple[str, list]:
    """SQL for ``expression`` read as text, the same on every backend.

    A JSON key gives its value unquoted (``bob``, not ``"bob"``), as Django's
    ``KT()``; a ``GenericIPAddressField``, which PostgreSQL keeps as ``inet``,
    gives the address without its netmask (``HOST()``), as the text the other
    backends store.
    """
    if isinstance(expression, KeyTransform):
        return expression.as_sql(compiler, connection, as_text=True)
    sql, params = compiler.compile(expression)
    if _read_as_text_differently(expression, connection):
        return f"HOST({sql})", params
    return sql, params


class KT(Expression):
    """A JSON key path read as text, as Django's ``KT("data__owner__name")``.

    The value comes unquoted (``bob``, not ``"bob"``), ``true`` as ``"true"``
    and a JSON ``null`` as ``NULL``, on every backend; text lookups, ordering
    and text functions then treat it as any text column.
    """

    def __init__(self, lookup: str):
        super().__init__()
        self.lookup = lookup

    def __repr__(self) -> str:
        return f"KT({self.lookup!r})"

    def identity(self):
        return (type(self), self.lookup)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = F(self.lookup).resolve_expression(query, allow_joins, reuse, summarize)
        if not isinstance(resolved, KeyTransform):
            raise ValueError(
                f"KT({self.lookup!r}) reads a key of a JSONField: write the field and the key path, "
                "as in KT('data__owner__name')"
            )
        return _AsText(resolved)


class _AsText(Expression):
    """An argument of a text function, read as text (``compile_as_text``)."""

    def __init__(self, expression):
        super().__init__()
        self.expression = expression

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, expressions):
        (self.expression,) = expressions

    def _resolve_output_field(self):
        return _field("TextField")

    def as_sql(self, compiler, connection):
        return compile_as_text(compiler, connection, self.expression)

    def get_converter(self, connection):
        # SQLite's json_extract() gives a JSON number as an SQL number; the others give text.
        return _as_str if connection.vendor == "sqlite" else super().get_converter(connection)


def _as_str(value):
    return value if value is None or type(value) is str else str(value)


class TextFunc(Func):
    """A function over text: JSON keys and addresses among its arguments are read as text."""

    def as_sql(self, compiler, connection, **extra):
        arguments = self.source_expressions
        if not any(_read_as_text_differently(argument, connection) for argument in arguments):
            return super().as_sql(compiler, connection, **extra)
        clone = self.copy()
        clone.source_expressions = [
            _AsText(argument) if _read_as_text_differently(argument, connection) else argument
            for argument in arguments
        ]
        return Func.as_sql(clone, compiler, connection, **extra)


class Cast(Func):
    """``CAST(expression AS type)``: ``Cast("price", output_field=orm.IntegerField())``."""

    def __init__(self, expression, output_field):
        super().__init__(expression, output_field=output_field)

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        field = self.output_field
        return connection.dialect.cast_sql(sql, field.get_internal_type(), field.db_params()), params


class Coalesce(Func):
    """The first non-NULL argument."""

    function = "COALESCE"

    def __init__(self, *expressions, **extra):
        if len(expressions) < 2:
            raise ValueError("Coalesce needs at least two expressions")
        super().__init__(*expressions, **extra)


class Lower(TextFunc):
    function = "LOWER"
    arity = 1


class Upper(TextFunc):
    function = "UPPER"
    arity = 1


class Length(TextFunc):
    """The number of characters."""

    arity = 1

    def _resolve_output_field(self):
        return _field("IntegerField")

    def as_sql(self, compiler, connection):
        function = "CHAR_LENGTH" if connection.vendor == "mysql" else "LENGTH"
        return super().as_sql(compiler, connection, function=function)


class Abs(Func):
    function = "ABS"
    arity = 1


class Round(Func):
    """Round to the nearest integer, or to ``places`` decimal places: ``Round("price", 1)``."""

    function = "ROUND"

    def as_sql(self, compiler, connection):
        field = self._output_field_or_none
        if (
            connection.vendor == "postgresql"
            and len(self.source_expressions) == 2
            and field is not None
            and field.get_internal_type() == "FloatField"
        ):
            # PostgreSQL rounds to places only in numeric.
            return super().as_sql(
                compiler, connection,
                template="CAST(ROUND(CAST(%(expressions)s) AS double precision)",
                arg_joiner=" AS numeric), ",
            )
        return super().as_sql(compiler, connection)


class Concat(Func):
    """Concatenate strings; NULL parts count as empty strings."""

    def __init__(self, *expressions, **extra):
        if len(expressions) < 2:
            raise ValueError("Concat needs at least two expressions")
        super().__init__(*expressions, **extra)

    def _resolve_output_field(self):
        return _field("TextField")

    def as_sql(self, compiler, connection):
        parts, params = [], []
        # PostgreSQL does not turn numbers into text by itself (MySQL and SQLite do).
        cast = connection.vendor == "postgresql"
        for expression in self.source_expressions:
            sql, sub = compile_as_text(compiler, connection, expression)
            parts.append(f"COALESCE(CAST({sql} AS text), '')" if cast else f"COALESCE({sql}, '')")
            params.extend(sub)
        return connection.dialect.concat_sql(parts), params


class Now(Func):
    """The current timestamp of the database server (UTC)."""

    template = "CURRENT_TIMESTAMP"

    def _resolve_output_field(self):
        return _field("DateTimeField")

    def as_sql(self, compiler, connection):
        return connection.dialect.now_sql() if hasattr(connection.dialect, "now_sql") else "CURRENT_TIMESTAMP", []


class Greatest(Func):
    function = "GREATEST"

    def as_sql(self, compiler, connection):
        function = "MAX" if connection.vendor == "sqlite" else "GREATEST"
        return super().as_sql(compiler, connection, function=function)


class Least(Func):
    function = "LEAST"

    def as_sql(self, compiler, connection):
        function = "MIN" if connection.vendor == "sqlite" else "LEAST"
        return super().as_sql(compiler, connection, function=function)


class Trunc(Func):
    """Truncate a date/datetime to ``kind`` (``"year"``, ``"month"``, ..., ``"second"``)."""

    arity = None
    kind = ""

    def __init__(self, expression, kind: str | None = None, output_field=None, **extra):
        if kind is not None:
            self.kind = kind
        super().__init__(expression, output_field=output_field, **extra)

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        field = self._output_field_or_none
        internal = field.get_internal_type() if field is not None else "DateTimeField"
        if internal == "DateField":
            return connection.dialect.date_trunc_sql(self.kind, sql) if hasattr(
                connection.dialect, "date_trunc_sql"
            ) else connection.dialect.datetime_cast_date_sql(
                connection.dialect.datetime_trunc_sql(self.kind, sql)
            ), params
        return connection.dialect.datetime_trunc_sql(self.kind, sql), params


def _trunc(kind_name):
    return type(f"Trunc{kind_name.title()}", (Trunc,), {"kind": kind_name, "__doc__": f"Truncate to the {kind_name}."})


TruncYear = _trunc("year")
TruncQuarter = _trunc("quarter")
TruncMonth = _trunc("month")
TruncWeek = _trunc("week")
TruncDay = _trunc("day")
TruncHour = _trunc("hour")
TruncMinute = _trunc("minute")
TruncSecond = _trunc("second")


class TruncDate(Func):
    """The date part of a datetime."""

    arity = 1

    def _resolve_output_field(self):
        return _field("DateField")

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return connection.dialect.datetime_cast_date_sql(sql), params


class TruncTime(Func):
    """The time part of a datetime."""

    arity = 1

    def _resolve_output_field(self):
        return _field("TimeField")

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return connection.dialect.datetime_cast_time_sql(sql), params


def _extract(kind_name, class_name):
    def init(self, expression, **extra):
        Extract.__init__(self, expression, kind_name, **extra)

    return type(class_name, (Extract,), {"lookup_name": kind_name, "__init__": init, "__doc__": f"Extract the {kind_name}."})


ExtractYear = _extract("year", "ExtractYear")
ExtractMonth = _extract("month", "ExtractMonth")
ExtractDay = _extract("day", "ExtractDay")
ExtractWeekDay = _extract("week_day", "ExtractWeekDay")
ExtractWeek = _extract("week", "ExtractWeek")
ExtractQuarter = _extract("quarter", "ExtractQuarter")
ExtractIsoYear = _extract("iso_year", "ExtractIsoYear")
ExtractIsoWeekDay = _extract("iso_week_day", "ExtractIsoWeekDay")
ExtractHour = _extract("hour", "ExtractHour")
ExtractMinute = _extract("minute", "ExtractMinute")
ExtractSecond = _extract("second", "ExtractSecond")

