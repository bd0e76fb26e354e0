"""Python functions registered on every SQLite connection (SQLite lacks them natively).

Datetimes are stored as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', dates as
'YYYY-MM-DD', times as 'HH:MM:SS.ffffff'; these functions read them and return
the same text forms.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import math
import random
import re
import sqlite3
from typing import Any

__all__ = ["register_functions"]


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str | None, value: Any) -> bool | None:
    if pattern is None or value is None:
        return None
    return _compile(pattern).search(str(value)) is not None


def _parse(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None


class _Spread:
    """Population or sample variance (or its square root) of the non-NULL values, for SQLite.

    Welford's online algorithm: one pass, numerically stable.
    """

    sample = False
    root = False

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.squares = 0.0

    def step(self, value: Any) -> None:
        if value is None:
            return
        value = float(value)
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self.squares += delta * (value - self.mean)

    def finalize(self) -> float | None:
        divisor = self.count - 1 if self.sample else self.count
        if divisor <= 0:
            return None
        variance = self.squares / divisor
        return variance**0.5 if self.root else variance


class _StringAgg:
    """``StringAgg`` with ``distinct`` or ``order_by``, which GROUP_CONCAT cannot do with a delimiter.

    Each row comes as JSON ``[value, delimiter, *ordering values]`` (NULL for a
    row the aggregate's filter leaves out); ``config`` is JSON ``[distinct,
    [[descending, nulls_first], ...]]``, ``nulls_first`` None for SQLite's own
    placement (NULLs lowest). The rows are sorted here as SQLite would order
    them: NULL, then numbers, then text.
    """

    def __init__(self) -> None:
        self.rows: list[list] = []
        self.config = "[false, []]"

    def step(self, row: Any, config: Any = None) -> None:
        if row is None:
            return
        values = json.loads(row)
        if values[0] is not None:
            self.rows.append(values)
            self.config = config

    def finalize(self) -> str | None:
        rows = self.rows
        if not rows:
            return None
        distinct, orderings = json.loads(self.config)
        for index in reversed(range(len(orderings))):
            descending, nulls_first = orderings[index]
            first = (not descending) if nulls_first is None else nulls_first
            # reverse=True flips the whole key: the NULL rank is flipped back to stay put.
            null_rank = int(first == descending)
            rows.sort(key=functools.partial(_sort_key, index + 2, null_rank), reverse=descending)
        texts = [_as_text(row[0]) for row in rows]
        if distinct:
            texts = list(dict.fromkeys(texts))
        return str(rows[0][1]).join(texts)


def _sort_key(at: int, null_rank: int, row: list) -> tuple:
    value = row[at]
    if value is None:
        return (null_rank, 0, 0)
    return (1 - null_rank, 1 if isinstance(value, str) else 0, value)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _spread_class(sample: bool, root: bool) -> type:
    return type("_Spread", (_Spread,), {"sample": sample, "root": root})


# The names PostgreSQL and MySQL use, so the ORM's aggregates compile the same everywhere.
_SPREAD_AGGREGATES = (
    ("STDDEV_POP", False, True),
    ("STDDEV_SAMP", True, True),
    ("VAR_POP", False, False),
    ("VAR_SAMP", True, False),
)


def _parse_time(value: Any) -> datetime.time | None:
    if isinstance(value, bytes):
        value = value.decode()
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        return None


def _date_extract(kind: str, value: Any) -> int | None:
    moment = _parse(value)
    if moment is None:
        # A TimeField's 'HH:MM:SS[.ffffff]' has only the hour, minute and second.
        time = _parse_time(value) if value is not None and kind in ("hour", "minute", "second") else None
        return None if time is None else getattr(time, kind)
    if kind == "week_day":
        return moment.isoweekday() % 7 + 1
    if kind == "iso_week_day":
        return moment.isoweekday()
    if kind == "week":
        return moment.isocalendar()[1]
    if kind == "iso_year":
        return moment.isocalendar()[0]
    if kind == "quarter":
        return (moment.month - 1) // 3 + 1
    return getattr(moment, kind)


def _truncate(kind: str, moment: datetime.datetime) -> datetime.datetime:
    if kind == "year":
        return datetime.datetime(moment.year, 1, 1)
    if kind == "quarter":
        return datetime.datetime(moment.year, (moment.month - 1) // 3 * 3 + 1, 1)
    if kind == "month":
        return datetime.datetime(moment.year, moment.month, 1)
    if kind == "week":
        day = moment - datetime.timedelta(days=moment.weekday())
        return datetime.datetime(day.year, day.month, day.day)
    if kind == "day":
        return datetime.datetime(moment.year, moment.month, moment.day)
    if kind == "hour":
        return moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    if kind == "minute":
        return moment.replace(second=0, microsecond=0, tzinfo=None)
    return moment.replace(microsecond=0, tzinfo=None)


def _datetime_trunc(kind: str, value: Any) -> str | None:
    moment = _parse(value)
    if moment is None:
        return None
    return _truncate(kind, moment).isoformat(" ", "microseconds")


def _date_trunc(kind: str, value: Any) -> str | None:
    moment = _parse(value)
    if moment is None:
        return None
    return _truncate(kind, moment).date().isoformat()


def _datetime_shift(value: Any, microseconds: Any, sign: int) -> str | None:
    moment = _parse(value)
    if moment is None or microseconds is None:
        return None
    shifted = moment + sign * datetime.timedelta(microseconds=int(microseconds))
    return shifted.replace(tzinfo=None).isoformat(" ", "microseconds")


def _timestamp_diff(left: Any, right: Any) -> int | None:
    later, earlier = _parse(left), _parse(right)
    if later is None or earlier is None:
        return None
    return (later - earlier) // datetime.timedelta(microseconds=1)


def _json_contained(document: Any, part: Any, top: bool = True) -> bool:
    """PostgreSQL's ``document @> part`` on parsed JSON."""
    if isinstance(part, dict):
        return isinstance(document, dict) and all(
            key in document and _json_contained(document[key], value, False) for key, value in part.items()
        )
    if isinstance(part, list):
        return isinstance(document, list) and all(
            any(_json_contained(item, value, False) for item in document) for value in part
        )
    if isinstance(document, list) and top:
        return any(_json_contained(item, part, False) for item in document if not isinstance(item, (dict, list)))
    numbers = (int, float)
    same_kind = type(document) is type(part) or (
        type(document) in numbers and type(part) in numbers  # 1 and 1.0, never True
    )
    return same_kind and document == part


def _json_contains(document: Any, part: Any) -> int | None:
    if document is None or part is None:
        return None
    try:
        return int(_json_contained(json.loads(document), json.loads(part)))
    except ValueError:
        return None


def _json_at(document: Any, keys: Any) -> str | None:
    """The JSON text at ``keys`` (a JSON list of keys; digits index arrays) in ``document``, or NULL."""
    if document is None or keys is None:
        return None
    try:
        value = json.loads(document)
    except (TypeError, ValueError):
        return None
    for key in json.loads(keys):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return json.dumps(value, ensure_ascii=False)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _pad(left: bool):
    def pad(text: Any, length: Any, fill: Any) -> str | None:
        if text is None or length is None or fill is None:
            return None
        text, length, fill = str(text), int(length), str(fill)
        if length <= len(text) or not fill:
            return text[:max(length, 0)]
        padding = (fill * (length // len(fill) + 1))[: length - len(text)]
        return padding + text if left else text + padding

    return pad


def _repeat(text: Any, number: Any) -> str | None:
    if text is None or number is None:
        return None
    return str(text) * max(int(number), 0)


def _reverse(text: Any) -> str | None:
    return None if text is None else str(text)[::-1]


def _md5(text: Any) -> str | None:
    if text is None:
        return None
    return hashlib.md5(str(text).encode(), usedforsecurity=False).hexdigest()


_DIGESTS = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512"})


def _sha(algorithm: str, text: Any) -> str | None:
    """The hex digest of the text's UTF-8 bytes (``SHA1`` ... ``SHA512``)."""
    if text is None:
        return None
    if algorithm not in _DIGESTS:
        raise ValueError(f"manouche_sha: unknown algorithm {algorithm!r}")
    return hashlib.new(algorithm, str(text).encode(), usedforsecurity=False).hexdigest()


def _math(function):
    def call(*args: Any) -> Any:
        if any(arg is None for arg in args):
            return None
        try:
            return function(*(float(arg) for arg in args))
        except (ValueError, ZeroDivisionError, OverflowError):
            return None  # as SQLite's own math functions: NULL for a domain error

    return call


_MATH_FUNCTIONS = {
    "ceil": (1, math.ceil), "floor": (1, math.floor), "mod": (2, math.fmod), "power": (2, math.pow),
    "sqrt": (1, math.sqrt), "exp": (1, math.exp), "ln": (1, math.log), "log": (2, lambda b, x: math.log(x, b)),
    "pi": (0, lambda: math.pi), "degrees": (1, math.degrees), "radians": (1, math.radians),
    "sin": (1, math.sin), "cos": (1, math.cos), "tan": (1, math.tan), "asin": (1, math.asin),
    "acos": (1, math.acos), "atan": (1, math.atan), "atan2": (2, math.atan2),
    "sign": (1, lambda value: (value > 0) - (value < 0)),
}


@functools.lru_cache(maxsize=1)
def _has_math_functions() -> bool:
    """Whether this SQLite library was built with its math functions (3.35+, an option)."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("SELECT ceil(1.5), ln(2), atan2(1, 1)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def register_functions(connection: sqlite3.Connection) -> None:
    """Add regexp() and the manouche_* date and text functions to a sqlite3 connection."""
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    connection.create_function("manouche_lower", 1, _lower, deterministic=True)
    connection.create_function("manouche_lpad", 3, _pad(True), deterministic=True)
    connection.create_function("manouche_rpad", 3, _pad(False), deterministic=True)
    connection.create_function("manouche_repeat", 2, _repeat, deterministic=True)
    connection.create_function("manouche_reverse", 1, _reverse, deterministic=True)
    connection.create_function("manouche_md5", 1, _md5, deterministic=True)
    connection.create_function("manouche_sha", 2, _sha, deterministic=True)
    connection.create_function("manouche_random", 0, random.random)
    connection.create_function("manouche_datetime_shift", 3, _datetime_shift, deterministic=True)
    connection.create_function("manouche_timestamp_diff", 2, _timestamp_diff, deterministic=True)
    connection.create_function("manouche_json_contains", 2, _json_contains, deterministic=True)
    connection.create_function("manouche_json_at", 2, _json_at, deterministic=True)
    if not _has_math_functions():
        for name, (arity, function) in _MATH_FUNCTIONS.items():
            connection.create_function(name, arity, _math(function), deterministic=True)
    # typeshed's protocol knows aggregates of one int giving an int only.
    connection.create_aggregate("manouche_string_agg", 2, _StringAgg)  # type: ignore[arg-type]
    for name, sample, root in _SPREAD_AGGREGATES:
        connection.create_aggregate(name, 1, _spread_class(sample, root))
    connection.create_function("manouche_date_extract", 2, _date_extract, deterministic=True)
    connection.create_function("manouche_datetime_trunc", 2, _datetime_trunc, deterministic=True)
    connection.create_function("manouche_date_trunc", 2, _date_trunc, deterministic=True)
