"""MySQL/MariaDB dialect: backtick quoting, datetime(6) in naive UTC, SQL snippets."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from ..base import dialect as base
from ..errors import NotSupportedError

__all__ = ["Dialect"]


@base._none_safe
def _datetime_to_naive_utc(value: Any) -> Any:
    """Aware datetime -> naive UTC (what a datetime(6) column stores)."""
    if isinstance(value, datetime.datetime):
        return base.to_utc(value).replace(tzinfo=None)
    return value


@base._none_safe
def _datetime_from_naive_utc(value: Any) -> Any:
    """Naive UTC datetime -> aware UTC."""
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=base.UTC)
    return value


@base._none_safe
def _time_to_naive(value: Any) -> Any:
    """time -> time without tzinfo (MySQL TIME has none)."""
    if isinstance(value, datetime.time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


@base._none_safe
def _time_from_db(value: Any) -> datetime.time:
    """pymysql returns TIME as timedelta -> datetime.time."""
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        return datetime.time(
            seconds // 3600 % 24, seconds // 60 % 60, seconds % 60, value.microseconds
        )
    return value


_CHARS = "varchar(%(max_length)s)"
_SIGNED = "signed integer"
_EXTRACT = {
    "year": "YEAR({})",
    "month": "MONTH({})",
    "day": "DAYOFMONTH({})",
    "week_day": "DAYOFWEEK({})",
    "week": "WEEK({}, 3)",
    "quarter": "QUARTER({})",
    "iso_year": "FLOOR(YEARWEEK({}, 3) / 100)",
    "iso_week_day": "(WEEKDAY({}) + 1)",
    "hour": "HOUR({})",
    "minute": "MINUTE({})",
    "second": "SECOND({})",
}
# Written without `%` so the snippets survive pymysql's `%` formatting unchanged.
_TRUNC = {
    "year": "CAST(MAKEDATE(YEAR({0}), 1) AS DATETIME(6))",
    "quarter": "CAST(MAKEDATE(YEAR({0}), 1) + INTERVAL (QUARTER({0}) - 1) QUARTER AS DATETIME(6))",
    "month": "CAST(DATE({0}) - INTERVAL (DAYOFMONTH({0}) - 1) DAY AS DATETIME(6))",
    "week": "CAST(DATE({0}) - INTERVAL WEEKDAY({0}) DAY AS DATETIME(6))",
    "day": "CAST(DATE({0}) AS DATETIME(6))",
    "hour": "(CAST(DATE({0}) AS DATETIME(6)) + INTERVAL HOUR({0}) HOUR)",
    "minute": "(CAST(DATE({0}) AS DATETIME(6)) + INTERVAL (HOUR({0}) * 60 + MINUTE({0})) MINUTE)",
    "second": (
        "(CAST(DATE({0}) AS DATETIME(6)) "
        "+ INTERVAL (HOUR({0}) * 3600 + MINUTE({0}) * 60 + SECOND({0})) SECOND)"
    ),
}


class Dialect(base.Dialect):
    """MySQL/MariaDB: backticks, no transactional DDL, INSERT IGNORE, ON DUPLICATE KEY."""

    vendor = "mysql"
    quote_char = "`"
    supports_transactional_ddl = False
    supports_returning = False
    supports_partial_indexes = False
    supports_inline_column_comments = True
    # MariaDB has no functional key parts (MySQL has them since 8.0.13; as Django on older
    # MySQL, expression indexes are left out).
    supports_expression_indexes = False
    supports_update_conflicts_with_target = False
    generated_columns_take_null = False
    max_name_length = 64
    autoincrement_suffix = "AUTO_INCREMENT"

    data_types: ClassVar[dict[str, str]] = {
        "AutoField": "integer",
        "BigAutoField": "bigint",
        "SmallAutoField": "smallint",
        "BinaryField": "longblob",
        "BooleanField": "bool",
        "CharField": _CHARS,
        "SlugField": _CHARS,
        "EmailField": _CHARS,
        "URLField": _CHARS,
        "TextField": "longtext",
        "DateField": "date",
        "DateTimeField": "datetime(6)",
        "TimeField": "time(6)",
        "DecimalField": "numeric(%(max_digits)s, %(decimal_places)s)",
        "DurationField": "bigint",
        "FloatField": "double precision",
        "IntegerField": "integer",
        "BigIntegerField": "bigint",
        "SmallIntegerField": "smallint",
        "PositiveIntegerField": "integer UNSIGNED",
        "PositiveSmallIntegerField": "smallint UNSIGNED",
        "PositiveBigIntegerField": "bigint UNSIGNED",
        "GenericIPAddressField": "char(39)",
        "JSONField": "json",
        "UUIDField": "char(32)",
    }
    cast_data_types: ClassVar[dict[str, str]] = {
        "AutoField": _SIGNED,
        "BigAutoField": _SIGNED,
        "SmallAutoField": _SIGNED,
        "IntegerField": _SIGNED,
        "BigIntegerField": _SIGNED,
        "SmallIntegerField": _SIGNED,
        "BooleanField": _SIGNED,
        "DurationField": _SIGNED,
        "PositiveIntegerField": "unsigned integer",
        "PositiveSmallIntegerField": "unsigned integer",
        "PositiveBigIntegerField": "unsigned integer",
        "CharField": "char",
        "SlugField": "char",
        "EmailField": "char",
        "URLField": "char",
        "TextField": "char",
        "GenericIPAddressField": "char",
        "UUIDField": "char(32)",
        "JSONField": "char",
        "FloatField": "double",
        "DecimalField": "decimal(%(max_digits)s, %(decimal_places)s)",
    }
    operators: ClassVar[dict[str, str]] = {
        "exact": "{lhs} = {rhs}",
        "iexact": "LOWER({lhs}) = LOWER({rhs})",
        # LIKE's default escape character is already `\` here.
        "contains": "{lhs} LIKE BINARY {rhs}",
        "startswith": "{lhs} LIKE BINARY {rhs}",
        "endswith": "{lhs} LIKE BINARY {rhs}",
        "icontains": "LOWER({lhs}) LIKE LOWER({rhs})",
        "istartswith": "LOWER({lhs}) LIKE LOWER({rhs})",
        "iendswith": "LOWER({lhs}) LIKE LOWER({rhs})",
        "gt": "{lhs} > {rhs}",
        "gte": "{lhs} >= {rhs}",
        "lt": "{lhs} < {rhs}",
        "lte": "{lhs} <= {rhs}",
        "regex": "{lhs} REGEXP BINARY {rhs}",
        "iregex": "{lhs} REGEXP CONCAT('(?i)', {rhs})",
    }
    adapters: ClassVar[dict[str, base.Adapter]] = {
        "DateTimeField": _datetime_to_naive_utc,
        "TimeField": _time_to_naive,
        "UUIDField": base.uuid_to_hex,
        "JSONField": base.json_dumps,
        "DurationField": base.duration_to_microseconds,
        "BinaryField": base.to_bytes,
    }
    converters: ClassVar[dict[str, base.Converter]] = {
        "DateTimeField": _datetime_from_naive_utc,
        "TimeField": _time_from_db,
        "UUIDField": base.uuid_from_db,
        "JSONField": base.json_loads,
        "DurationField": base.duration_from_microseconds,
        "BooleanField": base.to_bool,
    }

    def column_type(self, internal_type: str, params: dict[str, Any] | None = None) -> str:
        """Return the SQL type of a column (unbounded text is longtext here)."""
        if internal_type == "DecimalField" and not (params or {}).get("max_digits"):
            return "numeric(65, 30)"
        return super().column_type(internal_type, params)

    def cast_sql(self, sql: str, internal_type: str, params: dict[str, Any] | None = None) -> str:
        """Return ``CAST(sql AS type)`` with MySQL's restricted cast types."""
        if internal_type in ("CharField", "SlugField", "EmailField", "URLField"):
            length = (params or {}).get("max_length")
            return f"CAST({sql} AS char({int(length)}))" if length else f"CAST({sql} AS char)"
        return super().cast_sql(sql, internal_type, params)

    def _unbounded_char(self, internal_type: str) -> str:
        return "longtext"

    def _no_limit_sql(self) -> str:
        return "LIMIT 18446744073709551615"

    def date_extract_sql(self, kind: str, sql: str) -> str:
        """Return SQL extracting ``kind`` (values are UTC) as an integer."""
        self._check_kind(kind, base.EXTRACT_KINDS)
        return _EXTRACT[kind].format(sql)

    def datetime_trunc_sql(self, kind: str, sql: str) -> str:
        """Return SQL truncating a datetime to ``kind``, as datetime(6)."""
        self._check_kind(kind, base.TRUNC_KINDS)
        return _TRUNC[kind].format(sql)

    def datetime_cast_date_sql(self, sql: str) -> str:
        """Return SQL taking the (UTC) date of a datetime."""
        return f"DATE({sql})"

    def datetime_cast_time_sql(self, sql: str) -> str:
        """Return SQL taking the (UTC) time of a datetime."""
        return f"TIME({sql})"

    def insert_prefix(self, ignore: bool = False) -> str:
        """Return ``INSERT IGNORE`` when conflicts are to be ignored, else ``INSERT``."""
        return "INSERT IGNORE" if ignore else "INSERT"

    def on_conflict_sql(
        self,
        ignore: bool = False,
        update_fields: Sequence[str] = (),
        unique_fields: Sequence[str] = (),
    ) -> str:
        """Return ``ON DUPLICATE KEY UPDATE`` for updates ('' for ignore: see insert_prefix)."""
        if ignore or not update_fields:
            return ""
        quote = self.quote_name
        return "ON DUPLICATE KEY UPDATE " + ", ".join(
            f"{quote(name)} = VALUES({quote(name)})" for name in update_fields
        )

    def random_function_sql(self) -> str:
        """Return MySQL's RAND()."""
        return "RAND()"

    def explain_prefix(self, format: str | None = None, **options: Any) -> str:
        """Return ``EXPLAIN [FORMAT=JSON]`` or ``ANALYZE [FORMAT=JSON]`` (analyze=True)."""
        unknown = set(options) - {"analyze"}
        if unknown:
            raise NotSupportedError(f"mysql: unknown EXPLAIN options {sorted(unknown)}")
        prefix = "ANALYZE" if options.get("analyze") else "EXPLAIN"
        if format:
            if format.upper() not in ("JSON", "TRADITIONAL"):
                raise NotSupportedError(f"mysql: unknown EXPLAIN format {format!r}")
            if format.upper() == "JSON":
                prefix += " FORMAT=JSON"
        return prefix

    def concat_sql(self, parts: Sequence[str]) -> str:
        """Return ``CONCAT(a, b, ...)``."""
        return "CONCAT(" + ", ".join(parts) + ")"
