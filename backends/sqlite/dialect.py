"""SQLite dialect: type map, value storage (UTC text datetimes, hex UUIDs) and SQL snippets."""

from __future__ import annotations

import datetime
import sqlite3
from typing import Any, ClassVar

from ..base import dialect as base

__all__ = ["Dialect"]


@base._none_safe
def _datetime_to_text(value: Any) -> str:
    """Aware datetime -> UTC text with microseconds (sorts correctly as text)."""
    if isinstance(value, datetime.datetime):
        return base.to_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")
    return str(value)


@base._none_safe
def _datetime_from_text(value: Any) -> datetime.datetime:
    """Stored text -> aware UTC datetime."""
    if isinstance(value, bytes):
        value = value.decode()
    moment = datetime.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=base.UTC) if moment.tzinfo is None else moment


@base._none_safe
def _iso_text(value: Any) -> str:
    """date/time -> ISO text."""
    if isinstance(value, datetime.time) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value.isoformat()


@base._none_safe
def _date_from_text(value: Any) -> datetime.date:
    """Stored text -> date."""
    if type(value) is str and len(value) == 10:
        return _date_fromisoformat(value)
    return _date_fromisoformat(str(value)[:10])


_date_fromisoformat = datetime.date.fromisoformat


@base._none_safe
def _time_from_text(value: Any) -> datetime.time:
    """Stored text -> time."""
    return datetime.time.fromisoformat(str(value))


@base._none_safe
def _decimal_to_text(value: Any) -> str:
    """Decimal -> text; SQLite's NUMERIC affinity stores it as a number."""
    return str(value)


_CHARS = "varchar(%(max_length)s)"


class Dialect(base.Dialect):
    """SQLite: double-quoted names, dynamic types, RETURNING from 3.35."""

    vendor = "sqlite"
    supports_returning = sqlite3.sqlite_version_info >= (3, 35)
    # An auto field is the rowid (INTEGER PRIMARY KEY): lastrowid is it, with no row to fetch.
    prefers_last_insert_id = True
    supports_deferrable_constraints = True
    supports_comments = False
    supports_stored_generated_columns = sqlite3.sqlite_version_info >= (3, 31)
    supports_virtual_generated_columns = sqlite3.sqlite_version_info >= (3, 31)
    supports_select_for_update = False
    supports_skip_locked = False
    supports_nowait = False
    supports_server_side_cursors = False
    supports_update_conflicts_with_target = sqlite3.sqlite_version_info >= (3, 24)
    max_name_length = 1024
    max_query_params = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999
    # sqlite3 runs a multi-row INSERT ... RETURNING of 100,000 rows faster in statements of
    # 200-500 rows than in ones as long as the parameter limit allows (~69 vs ~77 ms, four
    # columns; the same for 2 or 20), and no slower without RETURNING.
    bulk_insert_max_rows = 500
    autoincrement_suffix = "AUTOINCREMENT"

    data_types: ClassVar[dict[str, str]] = {
        "AutoField": "integer",
        "BigAutoField": "integer",
        "SmallAutoField": "integer",
        "BinaryField": "BLOB",
        "BooleanField": "bool",
        "CharField": _CHARS,
        "SlugField": _CHARS,
        "EmailField": _CHARS,
        "URLField": _CHARS,
        "TextField": "text",
        "DateField": "date",
        "DateTimeField": "datetime",
        "TimeField": "time",
        "DecimalField": "decimal",
        "DurationField": "bigint",
        "FloatField": "real",
        "IntegerField": "integer",
        "BigIntegerField": "bigint",
        "SmallIntegerField": "smallint",
        "PositiveIntegerField": "integer unsigned",
        "PositiveSmallIntegerField": "smallint unsigned",
        "PositiveBigIntegerField": "bigint unsigned",
        "GenericIPAddressField": "char(39)",
        "JSONField": "text",
        "UUIDField": "char(32)",
    }
    cast_data_types: ClassVar[dict[str, str]] = {
        name: "text"
        for name in (
            "CharField",
            "SlugField",
            "EmailField",
            "URLField",
            "TextField",
            "DateField",
            "DateTimeField",
            "TimeField",
            "UUIDField",
            "JSONField",
            "GenericIPAddressField",
        )
    }
    operators: ClassVar[dict[str, str]] = {
        "exact": "{lhs} = {rhs}",
        # SQLite's LOWER() folds ASCII only: manouche_lower is Python's str.lower (any script).
        "iexact": "manouche_lower({lhs}) = manouche_lower({rhs})",
        # LIKE is case-sensitive here: each connection sets PRAGMA case_sensitive_like.
        "contains": "{lhs} LIKE {rhs} ESCAPE '\\'",
        "startswith": "{lhs} LIKE {rhs} ESCAPE '\\'",
        "endswith": "{lhs} LIKE {rhs} ESCAPE '\\'",
        "icontains": "manouche_lower({lhs}) LIKE manouche_lower({rhs}) ESCAPE '\\'",
        "istartswith": "manouche_lower({lhs}) LIKE manouche_lower({rhs}) ESCAPE '\\'",
        "iendswith": "manouche_lower({lhs}) LIKE manouche_lower({rhs}) ESCAPE '\\'",
        "gt": "{lhs} > {rhs}",
        "gte": "{lhs} >= {rhs}",
        "lt": "{lhs} < {rhs}",
        "lte": "{lhs} <= {rhs}",
        "regex": "{lhs} REGEXP {rhs}",
        "iregex": "{lhs} REGEXP ('(?i)' || {rhs})",
    }
    adapters: ClassVar[dict[str, base.Adapter]] = {
        "DateTimeField": _datetime_to_text,
        "DateField": _iso_text,
        "TimeField": _iso_text,
        "DecimalField": _decimal_to_text,
        "UUIDField": base.uuid_to_hex,
        "JSONField": base.json_dumps,
        "DurationField": base.duration_to_microseconds,
    }
    converters: ClassVar[dict[str, base.Converter]] = {
        "DateTimeField": _datetime_from_text,
        "DateField": _date_from_text,
        "TimeField": _time_from_text,
        "DecimalField": base.to_decimal,
        "UUIDField": base.uuid_from_db,
        "JSONField": base.json_loads,
        "DurationField": base.duration_from_microseconds,
        "BooleanField": base.to_bool,
        "BinaryField": base.to_bytes,
    }

    def date_extract_sql(self, kind: str, sql: str) -> str:
        """Return SQL extracting ``kind`` from a stored date or datetime (UTC)."""
        self._check_kind(kind, base.EXTRACT_KINDS)
        return f"manouche_date_extract('{kind}', {sql})"

    def datetime_trunc_sql(self, kind: str, sql: str) -> str:
        """Return SQL truncating a stored datetime; the result is datetime text."""
        self._check_kind(kind, base.TRUNC_KINDS)
        return f"manouche_datetime_trunc('{kind}', {sql})"

    def date_trunc_sql(self, kind: str, sql: str) -> str:
        """Return SQL truncating a stored date; the result is date text."""
        self._check_kind(kind, base.TRUNC_KINDS)
        return f"manouche_date_trunc('{kind}', {sql})"

    def datetime_cast_date_sql(self, sql: str) -> str:
        """Return SQL taking the date of a stored datetime."""
        return f"date({sql})"

    def datetime_cast_time_sql(self, sql: str) -> str:
        """Return SQL taking the time of a stored datetime ('HH:MM:SS.ffffff')."""
        return f"substr({sql}, 12)"

    def explain_prefix(self, format: str | None = None, **options: Any) -> str:
        """Return SQLite's ``EXPLAIN QUERY PLAN``."""
        return "EXPLAIN QUERY PLAN"

    def greatest_sql(self, parts: Any) -> str:
        """Return SQLite's multi-argument MAX()."""
        return "MAX(" + ", ".join(parts) + ")"

    def least_sql(self, parts: Any) -> str:
        """Return SQLite's multi-argument MIN()."""
        return "MIN(" + ", ".join(parts) + ")"

    def _no_limit_sql(self) -> str:
        return "LIMIT -1"
