"""Query expressions: ``F``, ``Value``, ``Func``, ``Case``/``When``, ``OrderBy`` and friends.

Every expression has ``resolve_expression(query)`` (returns a resolved copy:
names become columns, joins are set up) and ``as_sql(compiler, connection)``
returning ``(sql, params)``. Values always travel as parameters. Subqueries and outer
references live in ``orm/query/subqueries.py``.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import uuid
from typing import Any

from orm.exceptions import FieldError

__all__ = [
    "Expression",
    "Combinable",
    "F",
    "Value",
    "Col",
    "Star",
    "Func",
    "CombinedExpression",
    "ExpressionWrapper",
    "When",
    "Case",
    "OrderBy",
    "ExpressionList",
    "RawSQL",
    "walk",
]


_object_new = object.__new__


class Combinable:
    """Arithmetic between expressions and values: ``F("price") * 2``."""

    ADD, SUB, MUL, DIV, POW, MOD = "+", "-", "*", "/", "^", "%%"

    def _combine(self, other, connector, reversed_):
        if not hasattr(other, "resolve_expression"):
            other = Value(other)
        if reversed_:
            return CombinedExpression(other, connector, self)
        return CombinedExpression(self, connector, other)

    def __neg__(self):
        return self._combine(-1, self.MUL, False)

    def __add__(self, other):
        return self._combine(other, self.ADD, False)

    def __sub__(self, other):
        return self._combine(other, self.SUB, False)

    def __mul__(self, other):
        return self._combine(other, self.MUL, False)

    def __truediv__(self, other):
        return self._combine(other, self.DIV, False)

    def __mod__(self, other):
        return self._combine(other, self.MOD, False)

    def __pow__(self, other):
        return self._combine(other, self.POW, False)

    def __radd__(self, other):
        return self._combine(other, self.ADD, True)

    def __rsub__(self, other):
        return self._combine(other, self.SUB, True)

    def __rmul__(self, other):
        return self._combine(other, self.MUL, True)

    def __rtruediv__(self, other):
        return self._combine(other, self.DIV, True)

    def __and__(self, other):
        if getattr(self, "conditional", False) and getattr(other, "conditional", False):
            from orm.query.q import Q

            return Q(self) & Q(other)
        raise NotImplementedError("use .bitand() for bitwise AND")

    def __or__(self, other):
        if getattr(self, "conditional", False) and getattr(other, "conditional", False):
            from orm.query.q import Q

            return Q(self) | Q(other)
        raise NotImplementedError("use .bitor() for bitwise OR")


class Expression(Combinable):
    """Base of every SQL expression."""

    contains_over_clause = False
    is_summary = False
    filterable = True
    conditional = False
    _output_field: Any = None
    #: ``(args, kwargs)`` given to the constructor (set by ``__new__``).
    _constructor_args: tuple[tuple, dict] | None = None
    #: Whether ``object.__new__`` is the ``__new__`` after Expression's in the class's MRO.
    _plain_new = True

    def __new__(cls, *args, **kwargs):
        # Remember the constructor arguments so deconstruct() can rebuild the expression
        # (migration files write expressions of indexes, constraints and defaults).
        # object.__new__ is what super() finds unless a base after Expression defines __new__:
        # those classes keep the super() call (see __init_subclass__).
        instance = _object_new(cls) if cls._plain_new else super().__new__(cls)
        instance._constructor_args = (args, kwargs)
        return instance

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        cls._plain_new = all(
            "__new__" not in vars(base) for base in mro[mro.index(Expression) + 1:] if base is not object
        )

    def __init__(self, output_field=None):
        if output_field is not None:
            self._output_field = output_field

    def deconstruct(self) -> tuple[str, tuple, dict]:
        """``(import path, args, kwargs)`` that rebuild this expression (as Django's)."""
        args, kwargs = self.__dict__.get("_constructor_args", ((), {}))
        return f"{type(self).__module__}.{type(self).__qualname__}", args, dict(kwargs)

    def __getstate__(self):
        return self.__dict__.copy()

    @property
    def contains_aggregate(self) -> bool:
        """Whether an aggregate is part of this expression (``Coalesce(Sum(...), 0)``, ``Count(...) * 2``)."""
        return any(getattr(source, "contains_aggregate", False) for source in self.get_source_expressions())

    def get_source_expressions(self) -> list:
        return []

    def set_source_expressions(self, expressions: list) -> None:
        if expressions:
            raise TypeError(f"{type(self).__name__} has no source expressions")

    @property
    def output_field(self):
        field = self._output_field
        if field is None:
            field = self._resolve_output_field()
            if field is None:
                raise FieldError(
                    f"cannot work out the type of {self!r}; pass output_field=..."
                )
            self._output_field = field
        return field

    @property
    def _output_field_or_none(self):
        try:
            return self.output_field
        except FieldError:
            return None

    def _resolve_output_field(self):
        sources = [source._output_field_or_none for source in self.get_source_expressions() if source is not None]
        sources = [field for field in sources if field is not None]
        if not sources:
            return None
        first = sources[0]
        for other in sources[1:]:
            if type(other) is not type(first):
                numeric = {"IntegerField", "BigIntegerField", "SmallIntegerField", "FloatField", "DecimalField",
                           "AutoField", "BigAutoField", "SmallAutoField", "PositiveIntegerField",
                           "PositiveSmallIntegerField", "PositiveBigIntegerField"}
                kinds = {first.get_internal_type(), other.get_internal_type()}
                if kinds <= numeric:
                    if "DecimalField" in kinds:
                        first = first if first.get_internal_type() == "DecimalField" else other
                    elif "FloatField" in kinds:
                        first = first if first.get_internal_type() == "FloatField" else other
                    continue
        return first

    def get_converter(self, connection):
        """A callable for values of this expression read from the database, or None."""
        field = self._output_field_or_none
        if field is None:
            return None
        converter = field.from_db_converter(connection)
        if converter is None:
            # A computed number may come back wider than its type: PostgreSQL's numeric for
            # arithmetic with a float parameter, MySQL's DECIMAL for COALESCE(SUM(integer), 0).
            kind = field.get_internal_type()
            if kind in _INTEGER_TYPES:
                return to_int
            if kind == "FloatField":
                return to_float
        return converter

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.is_summary = summarize
        clone.set_source_expressions(
            [
                expression.resolve_expression(query, allow_joins, reuse, summarize, for_save)
                if expression is not None
                else None
                for expression in clone.get_source_expressions()
            ]
        )
        return clone

    def copy(self):
        return copy.copy(self)

    def relabeled_clone(self, change_map: dict[str, str]):
        clone = self.copy()
        clone.set_source_expressions(
            [e.relabeled_clone(change_map) if e is not None else None for e in self.get_source_expressions()]
        )
        return clone

    def get_group_by_cols(self) -> list:
        if not self.contains_aggregate:
            return [self]
        cols = []
        for source in self.get_source_expressions():
            cols.extend(source.get_group_by_cols())
        return cols

    def get_refs(self) -> set:
        refs = set()
        for expression in self.get_source_expressions():
            refs |= expression.get_refs()
        return refs

    def asc(self, **kwargs):
        return OrderBy(self, **kwargs)

    def desc(self, **kwargs):
        return OrderBy(self, descending=True, **kwargs)

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"{type(self).__name__}.as_sql")

    def select_format(self, compiler, sql, params):
        return sql, params

    def identity(self):
        return (type(self), tuple(repr(e) for e in self.get_source_expressions()))

    def __eq__(self, other):
        return isinstance(other, Expression) and self.identity() == other.identity()

    def __hash__(self):
        return hash(self.identity())


def walk(expression):
    """Yield ``expression`` and every expression inside it."""
    yield expression
    for source in expression.get_source_expressions():
        if source is not None:
            yield from walk(source)


def _value_output_field(value):
    from orm import fields

    if isinstance(value, bool):
        return fields.BooleanField()
    if isinstance(value, int):
        return fields.BigIntegerField()
    if isinstance(value, float):
        return fields.FloatField()
    if isinstance(value, decimal.Decimal):
        return fields.DecimalField(max_digits=65, decimal_places=30)
    if isinstance(value, str):
        return fields.TextField()
    if isinstance(value, datetime.datetime):
        return fields.DateTimeField()
    if isinstance(value, datetime.date):
        return fields.DateField()
    if isinstance(value, datetime.time):
        return fields.TimeField()
    if isinstance(value, datetime.timedelta):
        return fields.DurationField()
    if isinstance(value, uuid.UUID):
        return fields.UUIDField()
    if isinstance(value, bytes):
        return fields.BinaryField()
    return None


class F(Combinable):
    """A reference to a field (``F("price")``, ``F("author__name")``) or an annotation."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"F({self.name})"

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return query.resolve_ref(self.name, allow_joins, reuse, summarize)

    def asc(self, **kwargs):
        return OrderBy(self, **kwargs)

    def desc(self, **kwargs):
        return OrderBy(self, descending=True, **kwargs)

    def copy(self):
        return copy.copy(self)

    def __eq__(self, other):
        return type(self) is type(other) and self.name == other.name

    def __hash__(self):
        return hash(self.name)

    def get_refs(self):
        return {self.name}


class Value(Expression):
    """A literal value, sent as a parameter."""

    def __init__(self, value, output_field=None):
        super().__init__(output_field)
        self.value = value

    def __repr__(self) -> str:
        return f"Value({self.value!r})"

    def _resolve_output_field(self):
        return _value_output_field(self.value)

    def as_sql(self, compiler, connection):
        value = self.value
        if value is None:
            return "NULL", []
        field = self._output_field_or_none
        if field is not None:
            value = field.get_db_prep_value(value, connection)
        return "%s", [value]

    def get_group_by_cols(self):
        return []

    def identity(self):
        return (type(self), repr(self.value))


class RawSQL(Expression):
    """A fragment of SQL written by hand, with its parameters passed apart."""

    def __init__(self, sql: str, params=(), output_field=None):
        super().__init__(output_field)
        self.sql = sql
        self.params = list(params)

    def as_sql(self, compiler, connection):
        return f"({self.sql})", list(self.params)

    def identity(self):
        return (type(self), self.sql, tuple(map(repr, self.params)))


class Star(Expression):
    """``*`` in ``COUNT(*)``."""

    def as_sql(self, compiler, connection):
        return "*", []

    def identity(self):
        return (type(self),)


class Col(Expression):
    """A column of a table alias in the query."""

    def __init__(self, alias: str | None, target, output_field=None):
        super().__init__(output_field if output_field is not None else target)
        self.alias = alias
        self.target = target

    def __repr__(self) -> str:
        return f"Col({self.alias}, {self.target})"

    def as_sql(self, compiler, connection):
        quote = compiler.quote_name
        if self.alias is None:
            return quote(self.target.column), []
        return f"{quote(self.alias)}.{quote(self.target.column)}", []

    def relabeled_clone(self, change_map):
        if self.alias in change_map:
            return Col(change_map[self.alias], self.target, self._output_field)
        return self

    def get_group_by_cols(self):
        return [self]

    def identity(self):
        return (type(self), self.alias, id(self.target))


class Ref(Expression):
    """A reference to a selected annotation by its alias (in GROUP BY / ORDER BY)."""

    def __init__(self, refs: str, source):
        super().__init__()
        self.refs = refs
        self.source = source

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, expressions):
        (self.source,) = expressions

    def _resolve_output_field(self):
        return self.source._output_field_or_none

    def as_sql(self, compiler, connection):
        return compiler.quote_name(self.refs), []

    def get_group_by_cols(self):
        return [self]

    def identity(self):
        return (type(self), self.refs)


class ExpressionList(Expression):
    """Several expressions separated by commas."""

    def __init__(self, *expressions):
        super().__init__()
        self.expressions = list(expressions)

    def __repr__(self) -> str:
        return f"ExpressionList({', '.join(map(repr, self.expressions))})"

    def get_source_expressions(self):
        return self.expressions

    def set_source_expressions(self, expressions):
        self.expressions = list(expressions)

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for expression in self.expressions:
            sql, sub_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(sub_params)
        return ", ".join(parts), params


def _parse(value):
    if type(value) is str:
        return F(value)
    if hasattr(value, "resolve_expression"):
        return value
    if isinstance(value, str):
        return F(value)
    return Value(value)


def init_func(func, expressions: tuple, output_field, extra: dict) -> None:
    """What ``Func.__init__`` does (``Aggregate.__init__`` calls it directly: no ``super()`` hops).

    The arguments are kept as given; ``source_expressions`` parses them on
    first read (see ``_ParsedArguments``).
    """
    if func.arity is not None and len(expressions) != func.arity:
        raise TypeError(
            f"{type(func).__name__} takes exactly {func.arity} argument(s) ({len(expressions)} given)"
        )
    if output_field is not None:  # Expression.__init__, inline
        func._output_field = output_field
    func._arguments = expressions
    func.extra = extra


class _ParsedArguments:
    """``Func.source_expressions``, parsed from the constructor's arguments on first read.

    A name becomes ``F(name)``, an expression stays itself, anything else
    becomes ``Value(...)``. The list is then stored on the instance, which
    hides this descriptor from then on (it defines no ``__set__``), so
    ``set_source_expressions`` and direct assignment work as on any
    attribute. Parsing late spares the cached ``aggregate()`` path, which
    reads only the constructor arguments, from building the ``F`` objects
    of ``Count("id")`` on every call.
    """

    def __get__(self, func, owner=None):
        if func is None:
            return self
        sources = []
        for expression in func._arguments:
            if type(expression) is str:
                reference = _object_new(F)  # F(name), without a frame for F.__init__
                reference.name = expression
                sources.append(reference)
            else:
                sources.append(_parse(expression))
        func.source_expressions = sources
        return sources


class Func(Expression):
    """An SQL function call: ``Func(F("name"), function="UPPER")``."""

    function: str | None = None
    template = "%(function)s(%(expressions)s)"
    arg_joiner = ", "
    arity: int | None = None
    _arguments: tuple = ()
    source_expressions: Any = _ParsedArguments()

    def __init__(self, *expressions, output_field=None, **extra):
        init_func(self, expressions, output_field, extra)

    def __repr__(self) -> str:
        args = ", ".join(map(repr, self.source_expressions))
        return f"{type(self).__name__}({args})"

    def get_source_expressions(self):
        return self.source_expressions

    def set_source_expressions(self, expressions):
        self.source_expressions = list(expressions)

    def copy(self):
        clone = copy.copy(self)
        clone.source_expressions = list(self.source_expressions)
        clone.extra = dict(self.extra)
        return clone

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, sub_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(sub_params)
        data = {**self.extra, **extra_context}
        if function is not None:
            data["function"] = function
        else:
            data.setdefault("function", self.function)
        template = template or data.get("template", self.template)
        data["expressions"] = data["field"] = (arg_joiner or self.arg_joiner).join(parts)
        return template % data, params

    def identity(self):
        return (type(self), tuple(repr(e) for e in self.source_expressions), tuple(sorted((k, repr(v)) for k, v in self.extra.items())))


class CombinedExpression(Expression):
    """``lhs <connector> rhs`` (arithmetic)."""

    def __init__(self, lhs, connector: str, rhs, output_field=None):
        super().__init__(output_field)
        self.lhs = lhs
        self.connector = connector
        self.rhs = rhs

    def __repr__(self) -> str:
        return f"<{self.lhs!r} {self.connector} {self.rhs!r}>"

    def get_source_expressions(self):
        return [self.lhs, self.rhs]

    def set_source_expressions(self, expressions):
        self.lhs, self.rhs = expressions

    def _resolve_output_field(self):
        lhs = self.lhs._output_field_or_none
        rhs = self.rhs._output_field_or_none
        if lhs is None:
            return rhs
        if rhs is None:
            return lhs
        kinds = {lhs.get_internal_type(), rhs.get_internal_type()}
        if self.connector == self.SUB and kinds <= {"DateTimeField", "DateField"} and len(kinds) == 1:
            from orm import fields

            return fields.DurationField()
        if "DurationField" in kinds and kinds & {"DateTimeField", "DateField"}:
            from orm import fields

            return fields.DateTimeField()  # a date moved by a duration is a datetime, as in Django
        for kind, holder in (("DecimalField", None), ("FloatField", None)):
            del holder
            if kind in kinds:
                return lhs if lhs.get_internal_type() == kind else rhs
        return lhs

    def as_sql(self, compiler, connection):
        connector = self.connector
        if connector == self.ADD or connector == self.SUB:
            from orm.query.temporal import temporal_sql

            temporal = temporal_sql(self, compiler, connection)
            if temporal is not None:
                return temporal
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        rhs_sql, rhs_params = compiler.compile(self.rhs)
        if connector == self.POW:
            return f"POWER({lhs_sql}, {rhs_sql})", [*lhs_params, *rhs_params]
        if connector == self.MOD:
            if connection.vendor == "sqlite" and _is_integer(self._output_field_or_none):
                # SQLite's MOD() computes in floating point; its % operator on integers does not.
                return f"({lhs_sql} %% {rhs_sql})", [*lhs_params, *rhs_params]
            return f"MOD({lhs_sql}, {rhs_sql})", [*lhs_params, *rhs_params]
        if connector == self.DIV:
            field = self._output_field_or_none
            if field is not None and field.get_internal_type() in (
                "IntegerField", "BigIntegerField", "SmallIntegerField", "AutoField", "BigAutoField",
            ) and connection.vendor == "mysql":
                return f"({lhs_sql} DIV {rhs_sql})", [*lhs_params, *rhs_params]
        return f"({lhs_sql} {connector} {rhs_sql})", [*lhs_params, *rhs_params]


_INTEGER_TYPES = frozenset({
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField",
    "SmallAutoField",
})


def to_int(value):
    """The converter of an integer-typed result some driver gives as Decimal or float."""
    return None if value is None else int(value)


def to_float(value):
    """The converter of a float-typed result some driver gives as Decimal."""
    return None if value is None else float(value)


def _is_integer(field) -> bool:
    return field is not None and field.get_internal_type() in _INTEGER_TYPES


class ExpressionWrapper(Expression):
    """Give an expression an ``output_field`` (``ExpressionWrapper(F("a") * F("b"), output_field=...)``)."""

    def __init__(self, expression, output_field):
        super().__init__(output_field)
        self.expression = expression

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, expressions):
        (self.expression,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        if getattr(self.expression, "conditional", False):
            sql = f"({sql})"  # a condition compared with TRUE (PostgreSQL will not chain a > b = c)
        return sql, params

    def get_group_by_cols(self):
        return self.expression.get_group_by_cols()

    @property
    def contains_aggregate(self):  # type: ignore[override]
        return getattr(self.expression, "contains_aggregate", False)

    @property
    def conditional(self):  # type: ignore[override]
        """A boolean wrapper is a condition: ``filter(ExpressionWrapper(Q(...), BooleanField()))``."""
        field = self._output_field_or_none
        return field is not None and field.get_internal_type() == "BooleanField"


class When(Expression):
    """One branch of ``Case``: ``When(Q(...) or field=value, then=...)``."""

    conditional = False

    def __init__(self, condition=None, then=None, **lookups):
        from orm.query.q import Q

        if lookups:
            condition = Q(condition, **lookups) if condition is not None else Q(**lookups)
        if condition is None or not (getattr(condition, "conditional", False) or isinstance(condition, Q)):
            raise TypeError("When() needs a Q object, a boolean expression or lookups as keyword arguments")
        if isinstance(condition, Q) and not condition:
            raise ValueError("An empty Q() can't be used as a When() condition.")
        super().__init__()
        self.condition = condition
        self.result = _parse_then(then)

    def __repr__(self) -> str:
        return f"When({self.condition!r}, then={self.result!r})"

    def get_source_expressions(self):
        return [self.condition, self.result]

    def set_source_expressions(self, expressions):
        self.condition, self.result = expressions

    def _resolve_output_field(self):
        return self.result._output_field_or_none

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.condition = query.build_condition(self.condition, reuse=reuse) if hasattr(
            self.condition, "children"
        ) else self.condition.resolve_expression(query, allow_joins, reuse, summarize, False)
        clone.result = self.result.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone

    def as_sql(self, compiler, connection):
        condition_sql, condition_params = compiler.compile(self.condition)
        if not condition_sql:
            condition_sql = "1 = 1"
        result_sql, result_params = compiler.compile(self.result)
        return f"WHEN {condition_sql} THEN {result_sql}", [*condition_params, *result_params]

    def get_group_by_cols(self):
        return self.result.get_group_by_cols()


def _parse_then(value):
    if hasattr(value, "resolve_expression"):
        return value
    return Value(value)


class Case(Expression):
    """``CASE WHEN ... THEN ... ELSE default END``."""

    def __init__(self, *cases, default=None, output_field=None, **extra):
        if not all(isinstance(case, When) for case in cases):
            raise TypeError("Case() positional arguments must all be When objects")
        super().__init__(output_field)
        self.cases = list(cases)
        self.default = _parse_then(default)

    def __repr__(self) -> str:
        return f"Case({', '.join(map(repr, self.cases))}, default={self.default!r})"

    def get_source_expressions(self):
        return [*self.cases, self.default]

    def set_source_expressions(self, expressions):
        *self.cases, self.default = expressions

    def copy(self):
        clone = copy.copy(self)
        clone.cases = list(self.cases)
        return clone

    def _resolve_output_field(self):
        for source in [*self.cases, self.default]:
            field = source._output_field_or_none
            if field is not None:
                return field
        return None

    def as_sql(self, compiler, connection):
        if not self.cases:
            return compiler.compile(self.default)
        parts, params = [], []
        for case in self.cases:
            try:
                sql, sub_params = compiler.compile(case)
            except _empty_result_set():
                continue
            parts.append(sql)
            params.extend(sub_params)
        default_sql, default_params = compiler.compile(self.default)
        if not parts:
            return default_sql, default_params
        return f"CASE {' '.join(parts)} ELSE {default_sql} END", [*params, *default_params]


def _empty_result_set():
    from orm.exceptions import EmptyResultSet

    return EmptyResultSet


def as_ordering(value, where: str) -> OrderBy:
    """``"-name"``, ``F("name").desc()`` or an expression, as an ``OrderBy``; ``where`` names the caller."""
    if isinstance(value, OrderBy):
        return value
    if isinstance(value, str):
        if value.startswith("-"):
            return OrderBy(F(value[1:]), descending=True)
        return OrderBy(F(value))
    if hasattr(value, "resolve_expression"):
        return OrderBy(value)
    raise TypeError(f"{where} takes field names or expressions, got {value!r}")


class OrderBy(Expression):
    """An ordering: ``F("name").desc(nulls_last=True)``."""

    def __init__(self, expression, descending: bool = False, nulls_first: bool | None = None, nulls_last: bool | None = None):
        if nulls_first and nulls_last:
            raise ValueError("nulls_first and nulls_last are mutually exclusive")
        super().__init__()
        self.expression = expression
        self.descending = descending
        self.nulls_first = nulls_first
        self.nulls_last = nulls_last

    def __repr__(self) -> str:
        return f"OrderBy({self.expression!r}, descending={self.descending})"

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, expressions):
        (self.expression,) = expressions

    def reverse_ordering(self):
        clone = self.copy()
        clone.descending = not self.descending
        if self.nulls_first:
            clone.nulls_last, clone.nulls_first = True, None
        elif self.nulls_last:
            clone.nulls_first, clone.nulls_last = True, None
        return clone

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        direction = "DESC" if self.descending else "ASC"
        if self.nulls_last or self.nulls_first:
            # Portable NULLS FIRST/LAST: sort on "IS NULL" first. An annotation's alias cannot be
            # used inside an expression (PostgreSQL; MySQL for an aggregate): test its SQL instead.
            null_rank = "1 ELSE 0" if self.nulls_last else "0 ELSE 1"
            test_sql, test_params = (
                compiler.compile(self.expression.source) if isinstance(self.expression, Ref) else (sql, params)
            )
            return f"CASE WHEN {test_sql} IS NULL THEN {null_rank} END, {sql} {direction}", [*test_params, *params]
        return f"{sql} {direction}", params

    def get_group_by_cols(self):
        return self.expression.get_group_by_cols()


_MOVED_TO_SUBQUERIES = frozenset({"Subquery", "Exists", "OuterRef", "ResolvedOuterRef"})


def __getattr__(name: str) -> Any:
    """Keep ``from orm.query.expressions import Subquery`` (and friends) working."""
    # Lazy, because orm.query.subqueries imports this module.
    if name in _MOVED_TO_SUBQUERIES:
        from orm.query import subqueries

        return getattr(subqueries, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
