"""Lookups (``__exact``, ``__in``, ``__contains``, ...) and transforms (``__year``, ``__date``, JSON keys)."""

from __future__ import annotations

import json
from typing import Any

from orm.exceptions import EmptyResultSet, FieldError
from orm.fields.base import Field
from orm.query.expressions import Col, Expression, Func, Value, to_int
from orm.query.lookup_registry import RegisterLookupMixin, registered_for, state

__all__ = [
    "Lookup",
    "Transform",
    "LOOKUPS",
    "get_lookup",
    "get_transform",
    "lookup_names_for",
    "escape_like",
    "plain_values",
]


def escape_like(value: str) -> str:
    """Escape ``\\``, ``%`` and ``_`` so a value matches literally inside LIKE."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Lookup(Expression):
    """``lhs <op> rhs`` as a condition."""

    lookup_name: str = ""
    prepare_rhs = True
    can_use_none_as_rhs = False
    conditional = True

    def __init__(self, lhs, rhs):
        super().__init__()
        self.lhs = lhs
        self.rhs = rhs
        self.rhs = self.get_prep_lookup()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.lhs!r}, {self.rhs!r})"

    def _resolve_output_field(self):
        from orm import fields

        return fields.BooleanField()

    def get_source_expressions(self):
        if hasattr(self.rhs, "as_sql") or hasattr(self.rhs, "resolve_expression") and not isinstance(self.rhs, (list, tuple)):
            return [self.lhs, self.rhs]
        return [self.lhs]

    def set_source_expressions(self, expressions):
        if len(expressions) == 2:
            self.lhs, self.rhs = expressions
        else:
            (self.lhs,) = expressions

    @property
    def contains_aggregate(self):  # type: ignore[override]
        return getattr(self.lhs, "contains_aggregate", False) or getattr(self.rhs, "contains_aggregate", False)

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression") or hasattr(self.rhs, "as_sql"):
            return self.rhs
        if self.prepare_rhs:
            field = self.lhs._output_field_or_none
            if field is not None:
                return field.get_prep_value(self.rhs)
        return self.rhs

    def rhs_is_expression(self) -> bool:
        return hasattr(self.rhs, "as_sql")

    def db_prep(self, value, connection):
        field = self.lhs._output_field_or_none
        if field is None:
            return value
        return field.get_db_prep_value(value, connection, prepared=True)

    def process_lhs(self, compiler, connection):
        return compiler.compile(self.lhs)

    def process_rhs(self, compiler, connection):
        if state.active and not self.rhs_is_expression() and getattr(self.lhs, "bilateral", False):
            return compiler.compile(self.through_bilateral(Value(self.rhs)))
        if self.rhs_is_expression():
            sql, params = compiler.compile(self.rhs)
            if getattr(self.rhs, "query", None) is not None and not sql.startswith("("):
                sql = f"({sql})"
            return sql, params
        return "%s", [self.db_prep(self.rhs, connection)]

    def through_bilateral(self, value):
        """``value`` put through the bilateral transforms the left-hand side went through."""
        transforms = []
        lhs = self.lhs
        while isinstance(lhs, Transform) and lhs.bilateral:
            transforms.append(type(lhs))
            lhs = lhs.lhs
        for transform in reversed(transforms):
            value = transform(value)
        return value

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return connection.dialect.lookup_sql(self.lookup_name, lhs_sql, rhs_sql), [*lhs_params, *rhs_params]

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.lhs = self.lhs.relabeled_clone(change_map)
        if hasattr(self.rhs, "relabeled_clone"):
            clone.rhs = self.rhs.relabeled_clone(change_map)
        return clone

    def get_group_by_cols(self):
        cols = list(self.lhs.get_group_by_cols())
        if hasattr(self.rhs, "get_group_by_cols"):
            cols.extend(self.rhs.get_group_by_cols())
        return cols

    def identity(self):
        return (type(self), repr(self.lhs), repr(self.rhs))


class Exact(Lookup):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        if self.rhs is None:
            lhs_sql, params = self.process_lhs(compiler, connection)
            return f"{lhs_sql} IS NULL", params
        return super().as_sql(compiler, connection)


class _Comparison(Lookup):
    pass


class GreaterThan(_Comparison):
    lookup_name = "gt"


class GreaterThanOrEqual(_Comparison):
    lookup_name = "gte"


class LessThan(_Comparison):
    lookup_name = "lt"


class LessThanOrEqual(_Comparison):
    lookup_name = "lte"


def is_inet_address(expression, connection) -> bool:
    """Whether ``expression`` is an address PostgreSQL keeps as ``inet``, read as text with ``HOST()``.

    The other backends store an address as the text it was given; PostgreSQL's
    ``inet::text`` adds ``/32`` (``/128``), which no pattern or text function expects.
    """
    if connection.vendor != "postgresql":
        return False
    field = expression._output_field_or_none
    return field is not None and field.get_internal_type() == "GenericIPAddressField"


def _text_lhs(lhs, compiler, connection) -> tuple[str, list]:
    """The left side of a text lookup: an ``inet`` address without its netmask."""
    sql, params = compiler.compile(lhs)
    if is_inet_address(lhs, connection):
        sql = f"HOST({sql})"
    return sql, params


class _Pattern(Lookup):
    """A LIKE lookup; the value is escaped and wrapped with ``%`` here."""

    prepare_rhs = False
    prefix = "%"
    suffix = "%"

    def process_lhs(self, compiler, connection):
        return _text_lhs(self.lhs, compiler, connection)

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression"):
            return self.rhs
        if self.rhs is None:
            return None
        return str(self.rhs) if not isinstance(self.rhs, str) else self.rhs

    def process_rhs(self, compiler, connection):
        if state.active and not self.rhs_is_expression() and getattr(self.lhs, "bilateral", False):
            sql, params = compiler.compile(self.through_bilateral(Value(self.rhs)))
            # The transformed value is matched literally: its wildcards escaped in SQL.
            sql = f"REPLACE(REPLACE(REPLACE({sql}, %s, %s), %s, %s), %s, %s)"
            params = [*params, "\\", "\\\\", "%", "\\%", "_", "\\_"]
            return self._surrounded(sql, params, connection)
        if self.rhs_is_expression():
            sql, params = compiler.compile(self.rhs)
            return self._surrounded(sql, params, connection)
        return "%s", [f"{self.prefix}{escape_like(self.rhs)}{self.suffix}"]

    def _surrounded(self, sql, params, connection):
        """``prefix || sql || suffix``."""
        parts = []
        parts_params: list = []
        if self.prefix:
            parts.append("%s")
            parts_params.append(self.prefix)
        parts.append(sql)
        parts_params.extend(params)
        if self.suffix:
            parts.append("%s")
            parts_params.append(self.suffix)
        return connection.dialect.concat_sql(parts), parts_params


class Contains(_Pattern):
    lookup_name = "contains"


class IContains(_Pattern):
    lookup_name = "icontains"


class StartsWith(_Pattern):
    lookup_name = "startswith"
    prefix = ""


class IStartsWith(StartsWith):
    lookup_name = "istartswith"


class EndsWith(_Pattern):
    lookup_name = "endswith"
    suffix = ""


class IEndsWith(EndsWith):
    lookup_name = "iendswith"


class IExact(_Pattern):
    lookup_name = "iexact"
    prefix = ""
    suffix = ""

    def as_sql(self, compiler, connection):
        if self.rhs is None:
            lhs_sql, params = self.process_lhs(compiler, connection)
            return f"{lhs_sql} IS NULL", params
        return super().as_sql(compiler, connection)

    def process_rhs(self, compiler, connection):
        # The dialects compare iexact with "=", not LIKE: the value is not a pattern.
        if self.rhs_is_expression():
            return compiler.compile(self.rhs)
        return "%s", [self.rhs]


class Regex(Lookup):
    lookup_name = "regex"
    prepare_rhs = False

    def process_lhs(self, compiler, connection):
        return _text_lhs(self.lhs, compiler, connection)


class IRegex(Regex):
    lookup_name = "iregex"


#: Value types that are never expressions, model instances or containers.
_PLAIN_TYPES = frozenset({int, str, float, bool, bytes, type(None)})


def plain_values(values) -> bool:
    """Whether every item of ``values`` is a plain value (exact type in `_PLAIN_TYPES`)."""
    # A C loop (no generator step per item): long __in lists ask this several times.
    return _PLAIN_TYPES.issuperset(map(type, values))


class In(Lookup):
    lookup_name = "in"

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression") or hasattr(self.rhs, "as_sql"):
            return self.rhs
        if isinstance(self.rhs, (str, bytes)) or not hasattr(self.rhs, "__iter__"):
            raise FieldError(f"the 'in' lookup needs a list, tuple, set or QuerySet, got {self.rhs!r}")
        field = self.lhs._output_field_or_none
        rhs = self.rhs
        if (type(rhs) is list or type(rhs) is tuple) and plain_values(rhs):
            # Plain values are never expressions: only the NULLs to drop and the preparation.
            if field is None:
                values = [value for value in rhs if value is not None]
            else:
                prepare = field.get_prep_value
                values = [prepare(value) for value in rhs if value is not None]
        else:
            values = []
            for value in rhs:
                if value is None:
                    continue
                if hasattr(value, "resolve_expression"):
                    values.append(value)
                elif field is not None:
                    values.append(field.get_prep_value(value))
                else:
                    values.append(value)
        try:
            values = list(dict.fromkeys(values))
        except TypeError:
            pass
        return values

    def process_rhs(self, compiler, connection):
        if self.rhs_is_expression():
            sql, params = compiler.compile(self.rhs)
            if not sql.startswith("("):
                sql = f"({sql})"
            if connection.vendor == "mysql" and getattr(self.rhs, "is_sliced", False):
                # MySQL and MariaDB take no LIMIT in an IN subquery; in a derived table they do.
                sql = f"(SELECT * FROM {sql} {connection.dialect.quote_name('_in')})"
            return sql, params
        if not self.rhs:
            raise EmptyResultSet
        if state.active and getattr(self.lhs, "bilateral", False):
            compiled = [compiler.compile(self.through_bilateral(Value(value))) for value in self.rhs]
            return f"({', '.join(sql for sql, _ in compiled)})", [p for _, params in compiled for p in params]
        params = self._plain_params(connection)
        if params is not None:
            return f"({', '.join(['%s'] * len(params))})", params
        parts, params = [], []
        for value in self.rhs:
            if hasattr(value, "as_sql"):
                sql, sub = compiler.compile(value)
                parts.append(sql)
                params.extend(sub)
            else:
                parts.append("%s")
                params.append(self.db_prep(value, connection))
        return f"({', '.join(parts)})", params

    def _plain_params(self, connection) -> list | None:
        """The driver values of a list of plain values (prepared in one pass), or ``None``."""
        if not plain_values(self.rhs) or type(self).db_prep is not Lookup.db_prep:
            return None
        field = self.lhs._output_field_or_none
        if field is None:
            return list(self.rhs)
        if type(field).get_db_prep_value is Field.get_db_prep_value:
            # Field.get_db_prep_value(value, connection, prepared=True), its adapter looked up once.
            adapter = field.get_db_adapter(connection)
            if adapter is None:
                return list(self.rhs)
            return [None if value is None else adapter(value) for value in self.rhs]
        prepare = field.get_db_prep_value
        return [prepare(value, connection, prepared=True) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if (
            connection.dialect.compares_with_arrays
            and type(self.lhs) is Col
            and type(self).process_rhs is In.process_rhs
            and not self.rhs_is_expression()
            and self.rhs
        ):
            params = self._plain_params(connection)
            if params is not None:
                array_type = connection.dialect.in_array_type(self.lhs.target.db_type(connection), params)
                if array_type is not None:
                    return f"{lhs_sql} = ANY(%s::{array_type})", [*lhs_params, params]
                return f"{lhs_sql} IN ({', '.join(['%s'] * len(params))})", [*lhs_params, *params]
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} IN {rhs_sql}", [*lhs_params, *rhs_params]


class Range(Lookup):
    lookup_name = "range"

    def get_prep_lookup(self):
        if not isinstance(self.rhs, (list, tuple)) or len(self.rhs) != 2:
            raise FieldError(f"the 'range' lookup needs a (start, end) pair, got {self.rhs!r}")
        field = self.lhs._output_field_or_none
        return [
            value if hasattr(value, "resolve_expression") or field is None else field.get_prep_value(value)
            for value in self.rhs
        ]

    def as_sql(self, compiler, connection):
        lhs_sql, params = self.process_lhs(compiler, connection)
        bounds = []
        for value in self.rhs:
            if hasattr(value, "as_sql"):
                sql, sub = compiler.compile(value)
                bounds.append(sql)
                params = [*params, *sub]
            else:
                bounds.append("%s")
                params = [*params, self.db_prep(value, connection)]
        return f"{lhs_sql} BETWEEN {bounds[0]} AND {bounds[1]}", params


class IsNull(Lookup):
    lookup_name = "isnull"
    prepare_rhs = False

    def get_prep_lookup(self):
        if not isinstance(self.rhs, bool):
            raise ValueError(f"the 'isnull' lookup takes True or False, got {self.rhs!r}")
        return self.rhs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return (f"{sql} IS NULL" if self.rhs else f"{sql} IS NOT NULL"), params


LOOKUPS: dict[str, type[Lookup]] = {
    cls.lookup_name: cls
    for cls in (
        Exact, IExact, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual,
        Contains, IContains, StartsWith, IStartsWith, EndsWith, IEndsWith,
        Regex, IRegex, In, Range, IsNull,
    )
}


class Transform(RegisterLookupMixin, Func):
    """A function applied to the left-hand side before the lookup: ``pub_date__year``.

    ``bilateral = True`` applies it to the right-hand side value too, as in
    Django (``name__upper="doe"`` compares ``UPPER(name)`` with ``UPPER('doe')``).
    """

    lookup_name = ""
    arity = 1
    bilateral = False

    @property
    def lhs(self):
        return self.source_expressions[0]


class Extract(Transform):
    """``EXTRACT(kind FROM value)``; kinds are Django's (``week_day`` is 1=Sunday..7=Saturday)."""

    def __init__(self, expression, lookup_name: str | None = None, **extra):
        if lookup_name is not None:
            self.lookup_name = lookup_name
        super().__init__(expression, **extra)

    def _resolve_output_field(self):
        from orm import fields

        return fields.IntegerField()

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return connection.dialect.date_extract_sql(self.lookup_name, sql), params

    def get_converter(self, connection):
        return to_int


class TruncDate(Transform):
    lookup_name = "date"

    def _resolve_output_field(self):
        from orm import fields

        return fields.DateField()

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return connection.dialect.datetime_cast_date_sql(sql), params


class TruncTime(Transform):
    lookup_name = "time"

    def _resolve_output_field(self):
        from orm import fields

        return fields.TimeField()

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return connection.dialect.datetime_cast_time_sql(sql), params


DATE_PARTS = ("year", "month", "day", "week_day", "week", "quarter", "iso_year", "iso_week_day")
TIME_PARTS = ("hour", "minute", "second")


def _registered(kind: type, field, name: str, lhs):
    """The ``kind`` class registered as ``name`` on ``lhs``'s transform class, else on ``field``'s."""
    for owner in (lhs if isinstance(lhs, Transform) else None, field):
        if owner is not None:
            found = registered_for(type(owner)).get(name)
            if isinstance(found, type) and issubclass(found, kind):
                return found
    return None


def get_transform(field, name: str, lhs=None):
    """The transform class or factory called ``name`` for ``field`` (after ``lhs``), or None."""
    if state.active:
        found = _registered(Transform, field, name, lhs)
        if found is not None:
            return found
    internal = field.get_internal_type() if field is not None else None
    if internal in ("DateField",) and name in DATE_PARTS:
        return lambda lhs: Extract(lhs, name)
    if internal == "DateTimeField":
        if name in DATE_PARTS or name in TIME_PARTS:
            return lambda lhs: Extract(lhs, name)
        if name == "date":
            return TruncDate
        if name == "time":
            return TruncTime
    if internal == "TimeField" and name in TIME_PARTS:
        return lambda lhs: Extract(lhs, name)
    if internal == "JSONField" or getattr(field, "is_json_key", False):
        if name in LOOKUPS or name in JSON_LOOKUPS:
            return None
        from orm.query.json import KeyTransform

        return lambda lhs: KeyTransform(name, lhs)
    return None


def get_lookup(field, name: str, lhs=None):
    """The lookup class called ``name`` for ``field`` (after ``lhs``), or None."""
    if state.active:
        found = _registered(Lookup, field, name, lhs)
        if found is not None:
            return found
    internal = field.get_internal_type() if field is not None else None
    if internal == "JSONField" or getattr(field, "is_json_key", False):
        from orm.query import json as json_lookups

        found = json_lookups.get_lookup(field, name)
        if found is not None:
            return found
    return LOOKUPS.get(name)


JSON_LOOKUPS = ("has_key", "has_keys", "has_any_keys", "contains", "contained_by")


def lookup_names_for(field) -> list[str]:
    """Lookup and transform names valid after ``field`` (for error messages)."""
    names = list(LOOKUPS)
    internal = field.get_internal_type() if field is not None else None
    if internal == "DateField":
        names.extend(DATE_PARTS)
    elif internal == "DateTimeField":
        names.extend([*DATE_PARTS, *TIME_PARTS, "date", "time"])
    elif internal == "TimeField":
        names.extend(TIME_PARTS)
    elif internal == "JSONField":
        names.extend(JSON_LOOKUPS)
    if state.active and field is not None:
        names.extend(name for name in registered_for(type(field)) if name not in names)
    return names


def json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)
