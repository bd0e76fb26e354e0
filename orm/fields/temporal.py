"""Dates, times, datetimes (stored in UTC) and durations."""

from __future__ import annotations

import datetime
import functools
import warnings
from typing import Any

from orm.fields.base import Field

__all__ = ["DateField", "DateTimeField", "TimeField", "DurationField", "NaiveDateTimeWarning"]

UTC = datetime.timezone.utc


class NaiveDateTimeWarning(RuntimeWarning):
    """A naive datetime reached a ``DateTimeField``; it was taken as UTC."""


class _AutoNowMixin:
    _deconstruct_defaults = {**Field._deconstruct_defaults, "auto_now": False, "auto_now_add": False}

    def __init__(self, verbose_name=None, name=None, auto_now=False, auto_now_add=False, **kwargs):
        self.auto_now = auto_now
        self.auto_now_add = auto_now_add
        if auto_now or auto_now_add:
            kwargs["editable"] = False
            kwargs["blank"] = True
        super().__init__(verbose_name, name, **kwargs)  # type: ignore[call-arg]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        if self.auto_now or self.auto_now_add:
            kwargs.pop("editable", None)
            kwargs.pop("blank", None)
        return name, path, args, kwargs

    def _now(self):
        raise NotImplementedError

    def pre_save(self, instance, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value = self._now()
            setattr(instance, self.attname, value)  # type: ignore[attr-defined]
            return value
        return super().pre_save(instance, add)  # type: ignore[misc]


class DateField(_AutoNowMixin, Field):
    """A calendar date (``datetime.date``)."""

    empty_strings_allowed = False

    def _now(self):
        return datetime.datetime.now(UTC).date()

    def contribute_to_class(self, cls, name: str) -> None:
        super().contribute_to_class(cls, name)
        if not self.null:
            # As Django: obj.get_next_by_<name>(**filters) / get_previous_by_<name>(**filters).
            for is_next, word in ((True, "next"), (False, "previous")):
                method = f"get_{word}_by_{self.name}"
                if method not in cls.__dict__:
                    setattr(cls, method, functools.partialmethod(
                        cls._get_next_or_previous_by_FIELD, field=self, is_next=is_next
                    ))

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC)
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self._invalid(value, "a date (datetime.date or 'YYYY-MM-DD')")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is datetime.date or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class DateTimeField(DateField):
    """A moment in time: stored in UTC, returned as an aware ``datetime``.

    A naive datetime is taken as UTC, with a ``NaiveDateTimeWarning``.
    """

    def _now(self):
        return datetime.datetime.now(UTC)

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            return self._to_utc(value)
        if isinstance(value, datetime.date):
            return datetime.datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.datetime.fromisoformat(value.strip())
            except ValueError:
                pass
            else:
                return self._to_utc(parsed)
        raise self._invalid(value, "a datetime (datetime.datetime or ISO 8601 text)")

    def _to_utc(self, value: datetime.datetime) -> datetime.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            warnings.warn(
                f"{self}: received a naive datetime ({value}); it is taken as UTC",
                NaiveDateTimeWarning,
                stacklevel=4,
            )
            return value.replace(tzinfo=UTC)
        if value.tzinfo is UTC:
            return value
        return value.astimezone(UTC)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        if type(value) is datetime.datetime and value.tzinfo is UTC:
            return value
        return self.to_python(value)


class TimeField(_AutoNowMixin, Field):
    """A time of day (``datetime.time``)."""

    empty_strings_allowed = False

    def _now(self):
        return datetime.datetime.now(UTC).time()

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, datetime.time):
            return value
        if isinstance(value, datetime.datetime):
            return value.time()
        if isinstance(value, str):
            try:
                return datetime.time.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self._invalid(value, "a time (datetime.time or 'HH:MM[:SS]')")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is datetime.time or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class DurationField(Field):
    """A ``datetime.timedelta`` (interval on PostgreSQL, microseconds elsewhere)."""

    empty_strings_allowed = False

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, datetime.timedelta):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.timedelta(seconds=value)
        raise self._invalid(value, "a datetime.timedelta")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is datetime.timedelta or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)
