"""Date arithmetic in SQL: ``F("start") + F("length")``, ``F("end") - F("start")``.

A date or datetime plus or minus a duration is a datetime (as in Django), and
the difference of two dates or two datetimes is a duration. PostgreSQL has an
interval type and does this itself (a date difference, which it gives in
days, becomes an interval); SQLite and MySQL store durations as
microseconds, so the SQL is built here: MySQL's ``INTERVAL ... MICROSECOND``
and ``TIMESTAMPDIFF``, SQLite's ``manouche_datetime_shift`` and
``manouche_timestamp_diff`` (``backends.sqlite.sql_functions``).
"""

from __future__ import annotations

__all__ = ["TEMPORAL_TYPES", "temporal_sql"]

TEMPORAL_TYPES = frozenset({"DateTimeField", "DateField"})


def _kind(expression) -> str | None:
    field = expression._output_field_or_none
    return field.get_internal_type() if field is not None else None


def temporal_sql(expression, compiler, connection) -> tuple[str, list] | None:
    """The SQL of a ``+``/``-`` between dates, datetimes and durations; None for other operands."""
    lhs_kind, rhs_kind = _kind(expression.lhs), _kind(expression.rhs)
    kinds = {lhs_kind, rhs_kind}
    if not kinds & TEMPORAL_TYPES:
        return None
    connector = expression.connector
    shift = "DurationField" in kinds and len(kinds) == 2
    if shift and connector == "-" and lhs_kind == "DurationField":
        return None  # a duration minus a date means nothing
    difference = connector == "-" and lhs_kind == rhs_kind
    if not (shift or difference):
        return None
    lhs_sql, lhs_params = compiler.compile(expression.lhs)
    rhs_sql, rhs_params = compiler.compile(expression.rhs)
    params = [*lhs_params, *rhs_params]
    vendor = connection.vendor
    if shift:
        if lhs_kind == "DurationField":  # duration + date: the date first
            lhs_sql, rhs_sql, params = rhs_sql, lhs_sql, [*rhs_params, *lhs_params]
        if vendor == "postgresql":
            return f"CAST(({lhs_sql} {connector} {rhs_sql}) AS timestamp with time zone)", params
        if vendor == "mysql":
            return f"({lhs_sql} {connector} INTERVAL ({rhs_sql}) MICROSECOND)", params
        sign = "1" if connector == "+" else "-1"
        return f"manouche_datetime_shift({lhs_sql}, {rhs_sql}, {sign})", params
    if vendor == "postgresql":
        if lhs_kind == "DateField":
            return f"(INTERVAL '1 day' * ({lhs_sql} - {rhs_sql}))", params
        return None
    if vendor == "mysql":
        return f"TIMESTAMPDIFF(MICROSECOND, {rhs_sql}, {lhs_sql})", [*rhs_params, *lhs_params]
    return f"manouche_timestamp_diff({lhs_sql}, {rhs_sql})", params
