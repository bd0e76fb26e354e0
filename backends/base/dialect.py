"""SQL dialect shared by the backends: quoting, type map, values, SQL snippets, capabilities.

Each vendor's `Dialect` overrides the pieces that differ. Names and meanings
follow Django's DatabaseOperations / DatabaseFeatures.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from ..errors import NotSupportedError

__all__ = ["Dialect", "Adapter", "Converter", "PATTERN_LOOKUPS", "EXTRACT_KINDS", "TRUNC_KINDS"]

Adapter = Callable[[Any], Any]
Converter = Callable[[Any], Any]

#: Lookups whose right-hand side the ORM escapes with `pattern_escape` and wraps in `%`.
PATTERN_LOOKUPS = frozenset(
    {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)
EXTRACT_KINDS = frozenset(
    {
        "year",
        "month",
        "day",
        "week_day",
        "week",
        "quarter",
        "iso_year",
        "iso_week_day",
        "hour",
        "minute",
        "second",
    }
)
TRUNC_KINDS = frozenset({"year", "quarter", "month", "week", "day", "hour", "minute", "second"})
_COMPARISONS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

UTC = datetime.timezone.utc


def to_utc(value: datetime.datetime) -> datetime.datetime:
    """Return ``value`` as an aware UTC datetime (a naive value is taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _none_safe(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def adapt(value: Any) -> Any:
        return None if value is None else function(value)

    adapt.__name__ = function.__name__
    adapt.__doc__ = function.__doc__
    # The ORM's generated row loaders inline the None test and call this directly.
    adapt.__wrapped__ = function  # type: ignore[attr-defined]
    return adapt


@_none_safe
def uuid_to_hex(value: Any) -> str:
    """UUID (or its string) -> 32 hex digits."""
    if isinstance(value, uuid.UUID):
        return value.hex
    return uuid.UUID(str(value)).hex


@_none_safe
def uuid_from_db(value: Any) -> uuid.UUID:
    """Stored UUID (hex text or UUID) -> uuid.UUID."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


@_none_safe
def json_dumps(value: Any) -> str:
    """Python object -> JSON text."""
    return json.dumps(value, ensure_ascii=False)


@_none_safe
def json_loads(value: Any) -> Any:
    """JSON text (str or bytes) -> Python object."""
    return json.loads(value)


@_none_safe
def duration_to_microseconds(value: datetime.timedelta) -> int:
    """timedelta -> whole microseconds."""
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


@_none_safe
def duration_from_microseconds(value: Any) -> datetime.timedelta:
    """Microseconds -> timedelta (a timedelta passes through)."""
    if isinstance(value, datetime.timedelta):
        return value
    return datetime.timedelta(microseconds=int(value))


@_none_safe
def to_bool(value: Any) -> bool:
    """0/1 -> bool."""
    return bool(value)


@_none_safe
def to_bytes(value: Any) -> bytes:
    """memoryview/bytearray -> bytes."""
    return value if type(value) is bytes else bytes(value)


@_none_safe
def to_decimal(value: Any) -> decimal.Decimal:
    """Stored number (int, float, str) -> Decimal without binary noise."""
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    return decimal.Decimal(value)


@_none_safe
def to_str(value: Any) -> str:
    """Any driver value -> str."""
    return str(value)


class Dialect:
    """What differs between SQL databases, for the ORM, the schema editor and migrations."""

    vendor: ClassVar[str] = ""
    quote_char: ClassVar[str] = '"'

    # -- capability flags (Django's DatabaseFeatures) --------------------------
    supports_transactional_ddl: ClassVar[bool] = True
    supports_returning: ClassVar[bool] = True
    #: One-row INSERT with a generated integer key: read the cursor's last insert id
    #: rather than adding RETURNING (cheaper where the driver keeps it, as sqlite3 does).
    prefers_last_insert_id: ClassVar[bool] = False
    #: Bulk INSERTs may send one array per column (see bulk_insert_array_type).
    supports_bulk_insert_arrays: ClassVar[bool] = False
    #: ``IN`` lists of one type may go as one array parameter (see in_array_type).
    compares_with_arrays: ClassVar[bool] = False
    supports_partial_indexes: ClassVar[bool] = True
    #: Table and column comments (``db_table_comment``, ``db_comment``); SQLite keeps none,
    #: and they are left out there, as in Django.
    supports_comments: ClassVar[bool] = True
    #: Column comments written in the column's definition (MySQL's ``COMMENT '...'``)
    #: rather than by ``COMMENT ON COLUMN`` (PostgreSQL).
    supports_inline_column_comments: ClassVar[bool] = False
    #: Indexes on expressions (``CREATE INDEX ... ((lower("title")))``); without them an
    #: expression index or unique constraint is not created, with a warning (as Django).
    supports_expression_indexes: ClassVar[bool] = True
    supports_deferrable_constraints: ClassVar[bool] = False
    #: ``UNIQUE ... DEFERRABLE``; without it a deferrable unique constraint is not created.
    supports_deferrable_unique_constraints: ClassVar[bool] = False
    #: Generated columns: ``STORED`` (computed on write) and ``VIRTUAL`` (computed on read).
    supports_stored_generated_columns: ClassVar[bool] = True
    supports_virtual_generated_columns: ClassVar[bool] = True
    #: Whether a generated column's definition may say NULL / NOT NULL (MariaDB's may not:
    #: its generated columns are always nullable).
    generated_columns_take_null: ClassVar[bool] = True
    supports_select_for_update: ClassVar[bool] = True
    supports_skip_locked: ClassVar[bool] = True
    supports_nowait: ClassVar[bool] = True
    supports_for_update_of: ClassVar[bool] = False
    supports_distinct_on: ClassVar[bool] = False
    supports_server_side_cursors: ClassVar[bool] = True
    supports_update_conflicts_with_target: ClassVar[bool] = True
    supports_ignore_conflicts: ClassVar[bool] = True
    supports_regex: ClassVar[bool] = True
    supports_json_field: ClassVar[bool] = True
    has_native_uuid: ClassVar[bool] = False
    has_native_json: ClassVar[bool] = False
    has_native_duration: ClassVar[bool] = False
    supports_intersect: ClassVar[bool] = True
    supports_except: ClassVar[bool] = True
    supports_explain: ClassVar[bool] = True
    supports_table_check_constraints: ClassVar[bool] = True
    #: Whether an ORDER BY without NULLS FIRST/LAST sorts NULL above every value
    #: (last ascending, first descending: PostgreSQL) or below (SQLite, MySQL).
    nulls_sort_high: ClassVar[bool] = False
    max_name_length: ClassVar[int] = 63
    #: Most `%s` parameters one statement may carry.
    max_query_params: ClassVar[int] = 65_535
    #: Most rows in one bulk INSERT when the caller gives no batch size (None: as many
    #: as ``max_query_params`` allows).
    bulk_insert_max_rows: ClassVar[int | None] = None

    #: internal type -> SQL type template (``%(max_length)s`` etc. from params).
    data_types: ClassVar[dict[str, str]] = {}
    #: internal type -> CHECK template for Positive* fields.
    data_type_check_constraints: ClassVar[dict[str, str]] = {
        "PositiveBigIntegerField": "%(column)s >= 0",
        "PositiveIntegerField": "%(column)s >= 0",
        "PositiveSmallIntegerField": "%(column)s >= 0",
    }
    #: Text for an auto-incrementing primary key column after its type.
    autoincrement_suffix: ClassVar[str] = ""
    #: internal type -> SQL type used in CAST(); falls back to `column_type`.
    cast_data_types: ClassVar[dict[str, str]] = {}
    #: lookup name -> SQL template with {lhs} and {rhs}.
    operators: ClassVar[dict[str, str]] = {}

    adapters: ClassVar[dict[str, Adapter]] = {}
    converters: ClassVar[dict[str, Converter]] = {}

    _REL_TYPES: ClassVar[dict[str, str]] = {
        "AutoField": "IntegerField",
        "BigAutoField": "BigIntegerField",
        "SmallAutoField": "SmallIntegerField",
    }

    def __init__(self) -> None:
        self._quoted: dict[str, str] = {}
        self._sized_types: dict[tuple, str] = {}

    # -- identifiers --------------------------------------------------------

    def quote_name(self, name: str) -> str:
        """Quote an identifier (table, column, index) so any name is safe, quotes doubled."""
        quoted = self._quoted.get(name)
        if quoted is None:
            char = self.quote_char
            quoted = char + name.replace(char, char + char) + char
            self._quoted[name] = quoted
        return quoted

    # -- type map -------------------------------------------------------------

    def column_type(self, internal_type: str, params: dict[str, Any] | None = None) -> str:
        """Return the SQL type of a column for a field's internal type (e.g. `varchar(100)`)."""
        try:
            template = self.data_types[internal_type]
        except KeyError:
            raise NotSupportedError(
                f"{self.vendor}: no column type for internal type {internal_type!r}; "
                f"known types: {', '.join(sorted(self.data_types))}"
            ) from None
        if "%(" not in template:
            return template
        values = {"max_length": None, "max_digits": None, "decimal_places": None}
        values.update(params or {})
        if "%(max_length)s" in template and values["max_length"] is None:
            return self._unbounded_char(internal_type)
        return template % values

    def sized_column_type(
        self, internal_type: str, max_length: Any, max_digits: Any, decimal_places: Any, column: str | None
    ) -> str:
        """``column_type`` for these size parameters, remembered per dialect.

        A field's column type depends only on its internal type and sizes (the
        type map is fixed per dialect class), and a migrate asks for the same
        few thousands of times. Sizes other than ``None`` or plain integers
        (``1.0`` and ``True`` equal ``1`` as keys) and templates naming the
        column are looked up each time.
        """
        if (
            (max_length is None or type(max_length) is int)
            and (max_digits is None or type(max_digits) is int)
            and (decimal_places is None or type(decimal_places) is int)
        ):
            sizes = (internal_type, max_length, max_digits, decimal_places)
            cached = self._sized_types.get(sizes)
            if cached is not None:
                return cached
            key: tuple | None = sizes
        else:
            key = None
        params = {
            "max_length": max_length, "max_digits": max_digits, "decimal_places": decimal_places, "column": column,
        }
        column_type = self.column_type(internal_type, params)
        if key is not None and "%(column)" not in self.data_types.get(internal_type, ""):
            self._sized_types[key] = column_type
        return column_type

    def _unbounded_char(self, internal_type: str) -> str:
        return "varchar"

    def column_check(self, internal_type: str, column: str) -> str | None:
        """Return the CHECK body a column of this type needs (`"col" >= 0`), or None."""
        template = self.data_type_check_constraints.get(internal_type)
        if template is None:
            return None
        return template % {"column": self.quote_name(column)}

    def rel_column_type(self, internal_type: str, params: dict[str, Any] | None = None) -> str:
        """Return the SQL type of a foreign key column pointing at a pk of ``internal_type``."""
        return self.column_type(self._REL_TYPES.get(internal_type, internal_type), params)

    # -- values -------------------------------------------------------------

    def get_adapter(self, internal_type: str) -> Adapter | None:
        """Return a callable turning the ORM's Python value into the driver's, or None."""
        return self.adapters.get(internal_type)

    def get_converter(self, internal_type: str) -> Converter | None:
        """Return a callable turning a value read from the driver into Python's, or None."""
        return self.converters.get(internal_type)

    @staticmethod
    def pattern_escape(value: str) -> str:
        """Escape `\\`, `%` and `_` with a backslash for a LIKE pattern."""
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    # -- SQL snippets ---------------------------------------------------------

    def limit_offset_sql(self, limit: int | None, offset: int | None) -> str:
        """Return ``LIMIT n OFFSET m`` (either part optional; '' for neither)."""
        parts = []
        if limit is not None:
            parts.append(f"LIMIT {int(limit)}")
        elif offset:
            parts.append(self._no_limit_sql())
        if offset:
            parts.append(f"OFFSET {int(offset)}")
        return " ".join(parts)

    def _no_limit_sql(self) -> str:
        return ""

    def lookup_sql(self, lookup_name: str, lhs_sql: str, rhs_sql: str) -> str:
        """Return the SQL condition of a lookup (`exact`, `icontains`, `regex`, ...).

        Pattern lookups (see `PATTERN_LOOKUPS`) expect the right-hand side
        escaped with `pattern_escape` and wrapped in `%` wildcards by the
        caller; `exact`/`iexact` take the plain value.
        """
        try:
            template = self.operators[lookup_name]
        except KeyError:
            raise NotSupportedError(f"{self.vendor}: unsupported lookup {lookup_name!r}") from None
        return template.format(lhs=lhs_sql, rhs=rhs_sql)

    def regex_sql(self, lhs_sql: str, rhs_sql: str, case_insensitive: bool = False) -> str:
        """Return a regular-expression match condition."""
        return self.lookup_sql("iregex" if case_insensitive else "regex", lhs_sql, rhs_sql)

    def date_extract_sql(self, kind: str, sql: str) -> str:
        """Return SQL extracting ``kind`` (year, week_day: 1=Sunday..7, iso_year, ...) as integer."""
        raise NotImplementedError

    def datetime_trunc_sql(self, kind: str, sql: str) -> str:
        """Return SQL truncating a datetime to ``kind`` (year ... second), still a datetime."""
        raise NotImplementedError

    def date_trunc_sql(self, kind: str, sql: str) -> str:
        """Return SQL truncating a date to ``kind`` (year, quarter, month, week, day), a date."""
        return self.datetime_cast_date_sql(self.datetime_trunc_sql(kind, sql))

    def datetime_cast_date_sql(self, sql: str) -> str:
        """Return SQL taking the (UTC) date part of a datetime."""
        raise NotImplementedError

    def datetime_cast_time_sql(self, sql: str) -> str:
        """Return SQL taking the (UTC) time part of a datetime."""
        raise NotImplementedError

    def cast_sql(self, sql: str, internal_type: str, params: dict[str, Any] | None = None) -> str:
        """Return ``CAST(sql AS type)`` for a field's internal type."""
        template = self.cast_data_types.get(internal_type)
        if template is None:
            sql_type = self.column_type(internal_type, params)
        else:
            values = {"max_length": None, "max_digits": None, "decimal_places": None}
            values.update(params or {})
            sql_type = template % values
        return f"CAST({sql} AS {sql_type})"

    def for_update_sql(
        self, nowait: bool = False, skip_locked: bool = False, of: Sequence[str] = ()
    ) -> str:
        """Return the row-locking clause; ``of`` holds already-quoted table references."""
        if not self.supports_select_for_update:
            return ""
        if nowait and skip_locked:
            raise NotSupportedError("select_for_update: nowait and skip_locked are exclusive")
        sql = "FOR UPDATE"
        if of:
            if not self.supports_for_update_of:
                raise NotSupportedError(f"{self.vendor} does not support FOR UPDATE OF")
            sql += " OF " + ", ".join(of)
        if nowait:
            if not self.supports_nowait:
                raise NotSupportedError(f"{self.vendor} does not support FOR UPDATE NOWAIT")
            sql += " NOWAIT"
        if skip_locked:
            if not self.supports_skip_locked:
                raise NotSupportedError(f"{self.vendor} does not support FOR UPDATE SKIP LOCKED")
            sql += " SKIP LOCKED"
        return sql

    def bulk_insert_array_type(self, column_type: str, value_type: type) -> str | None:
        """The array type a bulk INSERT may send a column's values of ``value_type`` as.

        Only asked when ``supports_bulk_insert_arrays``; ``None``: rows go as a
        multi-row ``VALUES`` list. When every column has one, each column is one
        array parameter, spread into rows by ``unnest_rows_sql``.
        """
        return None

    def in_array_type(self, column_type: str | None, values: Sequence[Any]) -> str | None:
        """The array type to compare a column with ``values`` as one parameter, or ``None``.

        ``column IN (%s, %s, ...)`` becomes ``column = ANY(%s::<type>)`` with the
        list as its one parameter (far cheaper for the driver to send than one
        parameter per value). ``None`` (the default): the ``IN`` list.
        """
        return None

    def unnest_rows_sql(self, array_types: Sequence[str]) -> str:
        """``SELECT`` of the rows spread from one array parameter per column."""
        raise NotSupportedError(f"{self.vendor}: bulk inserts from arrays are not supported")

    def insert_prefix(self, ignore: bool = False) -> str:
        """Return the start of an INSERT statement (``INSERT`` or vendor's ignore form)."""
        return "INSERT"

    def on_conflict_sql(
        self,
        ignore: bool = False,
        update_fields: Sequence[str] = (),
        unique_fields: Sequence[str] = (),
    ) -> str:
        """Return the conflict clause closing an INSERT (column names unquoted), or ''."""
        quote = self.quote_name
        if ignore:
            return "ON CONFLICT DO NOTHING"
        if update_fields:
            target = ""
            if unique_fields:
                target = "(" + ", ".join(quote(name) for name in unique_fields) + ")"
            assignments = ", ".join(
                f"{quote(name)} = EXCLUDED.{quote(name)}" for name in update_fields
            )
            return f"ON CONFLICT{target} DO UPDATE SET {assignments}"
        return ""

    def returning_sql(self, columns: Sequence[str]) -> str:
        """Return ``RETURNING a, b`` (names unquoted), or '' when unsupported."""
        if not self.supports_returning or not columns:
            return ""
        return "RETURNING " + ", ".join(self.quote_name(name) for name in columns)

    def random_function_sql(self) -> str:
        """Return the SQL of a random number (for order_by('?'))."""
        return "RANDOM()"

    def explain_prefix(self, format: str | None = None, **options: Any) -> str:
        """Return the EXPLAIN prefix for a query."""
        return "EXPLAIN"

    def concat_sql(self, parts: Sequence[str]) -> str:
        """Return SQL concatenating string expressions."""
        return "(" + " || ".join(parts) + ")"

    def greatest_sql(self, parts: Sequence[str]) -> str:
        """Return SQL of the greatest of several expressions."""
        return "GREATEST(" + ", ".join(parts) + ")"

    def least_sql(self, parts: Sequence[str]) -> str:
        """Return SQL of the least of several expressions."""
        return "LEAST(" + ", ".join(parts) + ")"

    def bulk_batch_size(self, num_fields: int, num_objs: int) -> int:
        """Return how many rows of ``num_fields`` parameters fit in one statement."""
        if num_fields <= 0:
            return max(num_objs, 1)
        return max(1, min(num_objs, self.max_query_params // num_fields))

    def _check_kind(self, kind: str, kinds: frozenset[str]) -> None:
        if kind not in kinds:
            raise NotSupportedError(
                f"{self.vendor}: unknown kind {kind!r}; expected one of {', '.join(sorted(kinds))}"
            )
