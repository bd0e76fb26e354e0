"""Window functions: ``Window(expression, partition_by=, order_by=, frame=)`` and what goes in one.

``Book.objects.annotate(rank=Window(Rank(), partition_by="author", order_by="-pages"))``
compiles to ``RANK() OVER (PARTITION BY ... ORDER BY ... DESC)``. The
expression is a window function (``RowNumber``, ``Rank``, ``DenseRank``,
``PercentRank``, ``CumeDist``, ``NTile``, ``Lag``, ``Lead``, ``FirstValue``,
``LastValue``, ``NthValue``) or an aggregate (``Sum``, ``Avg``, ...), which a
window computes per row without grouping. ``frame`` is a ``RowRange`` or
``ValueRange``. As in Django before 4.2, a window cannot be filtered on
(SQL evaluates windows after WHERE): ``filter()`` on one raises
``NotSupportedError``; filter an outer query on a subquery instead.
"""

from __future__ import annotations

from typing import Any

from orm.query.aggregates import Aggregate
from orm.query.expressions import Expression, ExpressionList, Func, Value, _parse, as_ordering
from orm.query.functions import _field

__all__ = [
    "Window", "WindowFrame", "RowRange", "ValueRange",
    "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "NTile",
    "Lag", "Lead", "FirstValue", "LastValue", "NthValue",
]


def _ordering(value) -> Expression:
    return as_ordering(value, "Window(order_by=...)")


def _several(value, each) -> ExpressionList | None:
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:
        return None
    return ExpressionList(*[each(item) for item in items])


class Window(Expression):
    """``<expression> OVER (PARTITION BY ... ORDER BY ... <frame>)``."""

    contains_aggregate = False
    contains_over_clause = True
    filterable = False

    def __init__(self, expression, partition_by=None, order_by=None, frame=None, output_field=None):
        if not (isinstance(expression, Aggregate) or getattr(expression, "window_compatible", False)):
            raise ValueError(
                f"{expression!r} cannot be used in a window: use a window function "
                "(RowNumber, Rank, Lag, ...) or an aggregate (Sum, Avg, ...)"
            )
        if frame is not None and not isinstance(frame, WindowFrame):
            raise TypeError(f"Window(frame=...) takes a RowRange or ValueRange, got {frame!r}")
        super().__init__(output_field)
        self.source_expression = expression
        self.partition_by = _several(partition_by, _parse)
        self.order_by = _several(order_by, _ordering)
        self.frame = frame

    def __repr__(self) -> str:
        return (
            f"Window({self.source_expression!r}, partition_by={self.partition_by!r}, "
            f"order_by={self.order_by!r}, frame={self.frame!r})"
        )

    def _resolve_output_field(self):
        return self.source_expression._output_field_or_none

    def get_converter(self, connection):
        return self.source_expression.get_converter(connection)

    def get_source_expressions(self) -> list:
        return [self.source_expression, self.partition_by, self.order_by, self.frame]

    def set_source_expressions(self, expressions: list) -> None:
        self.source_expression, self.partition_by, self.order_by, self.frame = expressions

    def get_group_by_cols(self) -> list:
        return []

    def as_sql(self, compiler, connection):
        source = self.source_expression
        if isinstance(source, _OffsetFunction) and source.has_default and getattr(
            connection, "is_mariadb", False
        ):
            return self._offset_default_sql(compiler, connection, source)
        sql, params = compiler.compile(source)
        over, over_params = self._over_sql(compiler)
        return f"{sql} OVER ({over})", [*params, *over_params]

    def _over_sql(self, compiler, frame: str | None = None) -> tuple[str, list]:
        """What goes inside ``OVER (...)``; ``frame`` replaces this window's own."""
        clauses: list[str] = []
        params: list = []
        if self.partition_by is not None:
            partition, partition_params = compiler.compile(self.partition_by)
            clauses.append(f"PARTITION BY {partition}")
            params.extend(partition_params)
        if self.order_by is not None:
            ordering, ordering_params = compiler.compile(self.order_by)
            clauses.append(f"ORDER BY {ordering}")
            params.extend(ordering_params)
        if frame is not None:
            clauses.append(frame)
        elif self.frame is not None:
            frame_sql, frame_params = compiler.compile(self.frame)
            clauses.append(frame_sql)
            params.extend(frame_params)
        return " ".join(clauses), params

    def _offset_default_sql(self, compiler, connection, source) -> tuple[str, list]:
        """``LAG``/``LEAD`` with a default where the server takes no default (MariaDB).

        The default stands for a row that does not exist, not for a NULL
        value: so it is chosen by counting the rows before (LAG) or after
        (LEAD) this one in the partition, not with COALESCE.
        """
        value, offset, default = source.source_expressions
        plain = type(source)(value, offset=source.offset)
        sql, params = compiler.compile(plain)
        over, over_params = self._over_sql(compiler)
        rows = (
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW" if isinstance(source, Lag)
            else "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"
        )
        count_over, count_params = self._over_sql(compiler, frame=rows)
        offset_sql, offset_params = compiler.compile(offset)
        default_sql, default_params = compiler.compile(default)
        return (
            f"CASE WHEN COUNT(*) OVER ({count_over}) <= {offset_sql} THEN {default_sql} "
            f"ELSE {sql} OVER ({over}) END",
            [*count_params, *offset_params, *default_params, *params, *over_params],
        )


class WindowFrame(Expression):
    """``ROWS``/``RANGE BETWEEN <start> AND <end>``; bounds are offsets from the current row.

    ``None`` is unbounded, ``0`` the current row, ``-n`` n rows (or values)
    before it and ``n`` after it: ``RowRange(start=-2, end=0)`` is a
    three-row moving window.
    """

    frame_type = ""

    def __init__(self, start: int | None = None, end: int | None = None):
        for bound in (start, end):
            if bound is not None and (type(bound) is not int):
                raise TypeError(f"{type(self).__name__} bounds are integers or None, got {bound!r}")
        super().__init__()
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"{type(self).__name__}(start={self.start!r}, end={self.end!r})"

    def identity(self):
        return (type(self), self.start, self.end)

    @staticmethod
    def _bound(value: int | None, unbounded: str) -> str:
        if value is None:
            return unbounded
        if value == 0:
            return "CURRENT ROW"
        return f"{abs(value)} {'PRECEDING' if value < 0 else 'FOLLOWING'}"

    def as_sql(self, compiler, connection):
        start = self._bound(self.start, "UNBOUNDED PRECEDING")
        end = self._bound(self.end, "UNBOUNDED FOLLOWING")
        return f"{self.frame_type} BETWEEN {start} AND {end}", []


class RowRange(WindowFrame):
    """A frame counted in rows."""

    frame_type = "ROWS"


class ValueRange(WindowFrame):
    """A frame counted in values of the (single) ordering expression."""

    frame_type = "RANGE"


class _WindowFunction(Func):
    window_compatible = True


class RowNumber(_WindowFunction):
    """The row's number in its partition, from 1."""

    function = "ROW_NUMBER"
    arity = 0

    def _resolve_output_field(self):
        return _field("BigIntegerField")


class Rank(RowNumber):
    """Rank with gaps after ties (1, 1, 3)."""

    function = "RANK"


class DenseRank(RowNumber):
    """Rank without gaps after ties (1, 1, 2)."""

    function = "DENSE_RANK"


class PercentRank(_WindowFunction):
    """``(rank - 1) / (rows in the partition - 1)``, between 0 and 1."""

    function = "PERCENT_RANK"
    arity = 0

    def _resolve_output_field(self):
        return _field("FloatField")


class CumeDist(PercentRank):
    """The share of the partition's rows ordered at or before this one."""

    function = "CUME_DIST"


class NTile(_WindowFunction):
    """Which of ``num_buckets`` near-equal groups of the partition the row falls in (from 1)."""

    function = "NTILE"

    def __init__(self, num_buckets: int = 1, **extra):
        if type(num_buckets) is not int or num_buckets <= 0:
            raise ValueError(f"NTile(num_buckets=...) must be a positive integer, got {num_buckets!r}")
        super().__init__(num_buckets, **extra)

    def _resolve_output_field(self):
        return _field("BigIntegerField")


class _ValueFunction(_WindowFunction):
    """A window function returning a value of its first argument (typed as it)."""

    def _resolve_output_field(self):
        return self.source_expressions[0]._output_field_or_none


class _OffsetFunction(_ValueFunction):
    def __init__(self, expression, offset: int = 1, default: Any = None, **extra):
        if type(offset) is not int or offset < 0:
            raise ValueError(f"{type(self).__name__}(offset=...) must be a non-negative integer, got {offset!r}")
        arguments = [expression, offset]
        if default is not None:
            arguments.append(default)
        super().__init__(*arguments, **extra)
        self.offset = offset
        self.has_default = default is not None


class Lag(_OffsetFunction):
    """The value ``offset`` rows before this one in the partition (else ``default``)."""

    function = "LAG"


class Lead(_OffsetFunction):
    """The value ``offset`` rows after this one in the partition (else ``default``)."""

    function = "LEAD"


class FirstValue(_ValueFunction):
    """The value at the first row of the frame."""

    function = "FIRST_VALUE"
    arity = 1


class LastValue(_ValueFunction):
    """The value at the last row of the frame (mind the default frame ends at the current row)."""

    function = "LAST_VALUE"
    arity = 1


class NthValue(_ValueFunction):
    """The value at the ``nth`` row of the frame (from 1), else NULL."""

    function = "NTH_VALUE"

    def __init__(self, expression, nth: int = 1, **extra):
        if type(nth) is not int or nth <= 0:
            raise ValueError(f"NthValue(nth=...) must be a positive integer, got {nth!r}")
        super().__init__(expression, Value(nth), **extra)
