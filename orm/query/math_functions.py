"""Math functions: ``Ceil``, ``Floor``, ``Mod``, ``Power``, ``Sqrt``, ``Sign``, ``Ln``, ``Log``, trigonometry.

Django's names and arguments. Functions that keep their argument's kind
(``Ceil``, ``Floor``, ``Sign``, ``Mod``) are typed as their first argument
and read back as it (an ``int`` for integer columns, although PostgreSQL
computes ``CEIL`` of an integer in double precision); the others are floats.
SQLite builds without its math functions get Python ones with the same names
(``backends.sqlite.sql_functions``).
"""

from __future__ import annotations

from orm.query.expressions import _INTEGER_TYPES, Func, to_float, to_int
from orm.query.functions import _field

__all__ = [
    "ACos", "ASin", "ATan", "ATan2", "Ceil", "Cos", "Cot", "Degrees", "Exp", "Floor", "Ln", "Log",
    "Mod", "Pi", "Power", "Radians", "Random", "Sign", "Sin", "Sqrt", "Tan",
]



class _FloatResult(Func):
    def _resolve_output_field(self):
        return _field("FloatField")

    def get_converter(self, connection):
        # PostgreSQL answers numeric (Decimal) for numeric arguments, MySQL for decimals.
        return to_float


class _SameKind(Func):
    """Typed as its first argument; integer results come back as ``int``."""

    def _resolve_output_field(self):
        field = self.source_expressions[0]._output_field_or_none
        return field if field is not None else _field("FloatField")

    def get_converter(self, connection):
        field = self._output_field_or_none
        if field is not None and field.get_internal_type() in _INTEGER_TYPES:
            return to_int
        return super().get_converter(connection)


class Ceil(_SameKind):
    """The smallest integer not below the value."""

    function = "CEIL"
    arity = 1


class Floor(_SameKind):
    """The largest integer not above the value."""

    function = "FLOOR"
    arity = 1


class Sign(_SameKind):
    """-1, 0 or 1."""

    function = "SIGN"
    arity = 1


class Mod(_SameKind):
    """The remainder of dividing the first argument by the second."""

    function = "MOD"
    arity = 2


class Power(_FloatResult):
    """The first argument raised to the second."""

    function = "POWER"
    arity = 2


class Sqrt(_FloatResult):
    function = "SQRT"
    arity = 1


class Exp(_FloatResult):
    function = "EXP"
    arity = 1


class Ln(_FloatResult):
    """The natural logarithm."""

    function = "LN"
    arity = 1


class Log(_FloatResult):
    """``Log(base, value)``: the logarithm of the second argument in the base of the first."""

    function = "LOG"
    arity = 2

    def as_sql(self, compiler, connection):
        if connection.vendor == "postgresql":
            return self._numeric_sql(compiler, connection)  # its two-argument LOG takes numerics only
        return super().as_sql(compiler, connection)

    def _numeric_sql(self, compiler, connection):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, sub_params = compiler.compile(expression)
            parts.append(f"CAST({sql} AS numeric)")
            params.extend(sub_params)
        return f"LOG({', '.join(parts)})", params


class Pi(_FloatResult):
    function = "PI"
    arity = 0

    def as_sql(self, compiler, connection):
        if connection.vendor == "mysql":
            return "(PI() + 0e0)", []  # PI() alone comes back rounded to 6 decimals
        return super().as_sql(compiler, connection)


class Random(_FloatResult):
    """A random float in [0, 1), drawn anew for each row (``order_by(Random())``, ``"?"``)."""

    arity = 0

    def as_sql(self, compiler, connection):
        function = {"sqlite": "manouche_random", "mysql": "RAND"}.get(connection.vendor, "RANDOM")
        return super().as_sql(compiler, connection, function=function)

    def get_group_by_cols(self):
        return []


class Degrees(_FloatResult):
    function = "DEGREES"
    arity = 1


class Radians(_FloatResult):
    function = "RADIANS"
    arity = 1


class Sin(_FloatResult):
    function = "SIN"
    arity = 1


class Cos(_FloatResult):
    function = "COS"
    arity = 1


class Tan(_FloatResult):
    function = "TAN"
    arity = 1


class Cot(_FloatResult):
    """The cotangent (``1 / TAN`` on SQLite, which has no ``COT``)."""

    function = "COT"
    arity = 1

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            return super().as_sql(compiler, connection, template="(1.0 / TAN(%(expressions)s))")
        return super().as_sql(compiler, connection)


class ASin(_FloatResult):
    function = "ASIN"
    arity = 1


class ACos(_FloatResult):
    function = "ACOS"
    arity = 1


class ATan(_FloatResult):
    function = "ATAN"
    arity = 1


class ATan2(_FloatResult):
    """The angle of the point (second argument, first argument): ``ATan2(y, x)``."""

    function = "ATAN2"
    arity = 2
