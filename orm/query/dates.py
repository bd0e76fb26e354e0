"""``QuerySet.dates()`` and ``datetimes()``: the distinct dates (or datetimes) a column holds, truncated.

``Post.objects.dates("published", "month")`` is a QuerySet of the first days
of the months that have posts, as Django's (``datetime.date`` objects,
``NULL`` left out, ascending unless ``order="DESC"``). ``datetimes()`` does
the same for a ``DateTimeField`` down to the second and gives aware UTC
datetimes; truncation happens in UTC, where the values are stored.
"""

from __future__ import annotations

import datetime

from orm.exceptions import FieldError, NotSupportedError
from orm.query.functions import Trunc

__all__ = ["dates", "datetimes"]

_DATE_KINDS = ("year", "month", "week", "day")
_DATETIME_KINDS = (*_DATE_KINDS, "hour", "minute", "second")
_ALIAS = "manouche_truncated"


def dates(queryset, field_name: str, kind: str, order: str = "ASC"):
    """The distinct values of a date or datetime field truncated to ``kind``, as dates."""
    if kind not in _DATE_KINDS:
        raise ValueError(f"dates(): kind must be one of {', '.join(_DATE_KINDS)}, got {kind!r}")
    _check_field(queryset, field_name, ("DateField", "DateTimeField"), "dates")
    from orm.fields import DateField

    return _truncated(queryset, field_name, Trunc(field_name, kind, output_field=DateField()), order, "dates")


def datetimes(queryset, field_name: str, kind: str, order: str = "ASC", tzinfo=None):
    """The distinct values of a datetime field truncated to ``kind``, as aware UTC datetimes."""
    if kind not in _DATETIME_KINDS:
        raise ValueError(
            f"datetimes(): kind must be one of {', '.join(_DATETIME_KINDS)}, got {kind!r}"
        )
    if tzinfo is not None and tzinfo.utcoffset(datetime.datetime(2000, 1, 1)) != datetime.timedelta(0):
        raise NotSupportedError(
            "datetimes(tzinfo=...): manouche truncates in UTC, where datetimes are stored; "
            "pass tzinfo=None (or UTC) and convert the results"
        )
    _check_field(queryset, field_name, ("DateTimeField",), "datetimes")
    from orm.fields import DateTimeField

    return _truncated(
        queryset, field_name, Trunc(field_name, kind, output_field=DateTimeField()), order, "datetimes"
    )


def _check_field(queryset, field_name: str, kinds: tuple[str, ...], method: str) -> None:
    field = queryset.model._meta.get_field(field_name)
    if field.get_internal_type() not in kinds:
        raise FieldError(
            f"{method}(): {queryset.model.__name__}.{field_name} is a {type(field).__name__}; "
            f"expected {' or '.join(kinds)}"
        )


def _truncated(queryset, field_name: str, truncation, order: str, method: str):
    if order not in ("ASC", "DESC"):
        raise ValueError(f"{method}(): order must be 'ASC' or 'DESC', got {order!r}")
    return (
        queryset.filter(**{f"{field_name}__isnull": False})
        .annotate(**{_ALIAS: truncation})
        .values_list(_ALIAS, flat=True)
        .distinct()
        .order_by(f"-{_ALIAS}" if order == "DESC" else _ALIAS)
    )
