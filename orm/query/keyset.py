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
        if value is None:
            return None  # a null relation on the way: the ordering value is NULL
        if part == "pk":
            value = value.pk
            continue
        try:
            field = value._meta.get_field(part)
            value = getattr(value, field.attname) if field.concrete and not field.many_to_many and part == name.split("__")[-1] else getattr(value, part)
        except Exception:  # noqa: BLE001 - plain attributes are fine too
            value = getattr(value, part)
    return value


def _q(lookup: str, value: Any) -> Q:
    return Q(**{lookup: value})


def _may_be_null(model, name: str) -> bool:
    """Whether the ordering value ``name`` of ``model`` can be NULL (a nullable column or hop)."""
    opts = model._meta
    for part in name.split("__"):
        if part == "pk":
            return False
        try:
            field = opts.get_field(part)
        except Exception:  # noqa: BLE001 - an annotation or a transform: it may be NULL
            return True
        if getattr(field, "null", False) or field.many_to_many or field.one_to_many or not field.concrete:
            return True
        related = getattr(field, "related_model", None)
        if related is None or related == "self":
            continue
        opts = related._meta
    return False


def keyset_page(queryset, last, size: int):
    """The ``size`` rows that follow ``last`` in ``queryset``'s ordering.

    NULLs of a nullable ordering value sit where the database puts them
    without NULLS FIRST/LAST (``Dialect.nulls_sort_high``), as in the
    queryset's own ordering, so paging visits every row once on every backend.
    """
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
        from orm.connections import connections

        nulls_high = connections[queryset.db].dialect.nulls_sort_high
        values = [_value_of(last, name, position) for position, (name, _) in enumerate(names)]
        condition = Q()
        for position, (name, descending) in enumerate(names):
            value = values[position]
            nullable = _may_be_null(model, name)
            if value is None and not nullable:
                raise ValueError(f"after(): the value of {name!r} is None, and {name!r} cannot be NULL")
            # Whether this ordering puts the NULLs after every value (ascending with NULLs high...).
            nulls_after = nulls_high != descending
            if value is None:
                if nulls_after:
                    continue  # the NULLs come last: nothing follows them on this value
                step = _q(f"{name}__isnull", False)
            else:
                step = _q(f"{name}__{'lt' if descending else 'gt'}", value)
                if nullable and nulls_after:
                    step |= _q(f"{name}__isnull", True)
            for earlier_position, (earlier, _descending) in enumerate(names[:position]):
                step &= _q(earlier, values[earlier_position])  # None: IS NULL
            condition |= step
        page = page.filter(condition)
    return page[:size]
