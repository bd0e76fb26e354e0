"""Python functions registered on every SQLite connection (SQLite lacks them natively).

Datetimes are stored as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', dates as
'YYYY-MM-DD'; these functions read either and return the same text forms.
"""

from __future__ import annotations

import datetime
import re
import sqlite3
from functools import lru_cache
from typing import Any

__all__ = ["register_functions"]


@lru_cache(maxsize=256)
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


def _spread_class(sample: bool, root: bool) -> type:
    return type("_Spread", (_Spread,), {"sample": sample, "root": root})


# The names PostgreSQL and MySQL use, so the ORM's aggregates compile the same everywhere.
_SPREAD_AGGREGATES = (
    ("STDDEV_POP", False, True),
    ("STDDEV_SAMP", True, True),
    ("VAR_POP", False, False),
    ("VAR_SAMP", True, False),
)


def _date_extract(kind: str, value: Any) -> int | None:
    moment = _parse(value)
    if moment is None:
        return None
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


def register_functions(connection: sqlite3.Connection) -> None:
    """Add regexp() and the manouche_* date functions to a sqlite3 connection."""
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    for name, sample, root in _SPREAD_AGGREGATES:
        connection.create_aggregate(name, 1, _spread_class(sample, root))
    connection.create_function("manouche_date_extract", 2, _date_extract, deterministic=True)
    connection.create_function("manouche_datetime_trunc", 2, _datetime_trunc, deterministic=True)
    connection.create_function("manouche_date_trunc", 2, _date_trunc, deterministic=True)
