"""Keyset pagination: ``qs.order_by("created", "id").after(last, size=50)`` without OFFSET."""

from __future__ import annotations

from typing import Any

from orm.exceptions import FieldError
from orm.query.q import Q

__all__ = ["keyset_page"]


def _ordering_names(queryset) -> list[tuple[str, bool]]:
    query = queryset.query
    ordering = list(query.order_by) or (list(queryset.model._meta.ordering) if query.default_ordering else [])
    if not ordering:
        raise FieldError(
            f"{queryset.model.__name__}: after() needs an ordering ending with a unique field, "
            'e.g. .order_by("created", "id")'
        )
    names = []
    for entry in ordering:
        if not isinstance(entry, str) or entry == "?":
            raise FieldError("after() works with orderings by field name only")
        descending = entry.startswith("-")
        if not query.standard_ordering:
            descending = not descending
        names.append((entry.lstrip("-+"), descending))
    return names


def _value_of(last: Any, name: str, index: int) -> Any:
    if isinstance(last, dict):
        return last[name]
    if isinstance(last, (tuple, list)):
        return last[index]
    value = last
    for part in name.split("__"):
        if part == "pk":
            value = value.pk
            continue
        try:
            field = value._meta.get_field(part)
            value = getattr(value, field.attname) if field.concrete and not field.many_to_many and part == name.split("__")[-1] else getattr(value, part)
        except Exception:  # noqa: BLE001 - plain attributes are fine too
            value = getattr(value, part)
    return value


def keyset_page(queryset, last, size: int):
    """The ``size`` rows that follow ``last`` in ``queryset``'s ordering."""
    if size <= 0:
        raise ValueError("after(size=...) must be positive")
    names = _ordering_names(queryset)
    last_name = names[-1][0]
    model = queryset.model
    opts = model._meta
    head = last_name.split("__")[0]
    unique = head == "pk" or (
        "__" not in last_name and (opts.get_field(head).unique or opts.get_field(head).primary_key)
    )
    if not unique:
        raise FieldError(
            f"{model.__name__}: after() needs the ordering to end with a unique field "
            f"(got {last_name!r}); add 'id' or 'pk' last"
        )
    page = queryset
    if last is not None:
        condition = Q()
        for position, (name, descending) in enumerate(names):
            value = _value_of(last, name, position)
            if value is None:
                raise ValueError(f"after(): the value of {name!r} is None; keyset paging needs non-null ordering values")
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            for earlier_position, (earlier, _descending) in enumerate(names[:position]):
                step &= Q(**{earlier: _value_of(last, earlier, earlier_position)})
            condition |= step
        page = page.filter(condition)
    return page[:size]
