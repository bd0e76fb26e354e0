"""Evaluate simple ``Q`` conditions in Python (for validating CheckConstraints before saving)."""

from __future__ import annotations

import operator
from typing import Any

from orm.query.q import Q

__all__ = ["evaluate_q", "UnsupportedInPython"]


class UnsupportedInPython(Exception):
    """The condition uses something only the database can evaluate."""


_OPERATORS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _lookup(value: Any, name: str, target: Any) -> bool | None:
    if name == "isnull":
        return (value is None) == bool(target)
    if value is None or target is None:
        return None if name != "exact" else value is target
    if name in _OPERATORS:
        return _OPERATORS[name](value, target)
    if name == "in":
        return value in target
    if name == "range":
        return target[0] <= value <= target[1]
    if name == "contains":
        return str(target) in str(value)
    if name == "icontains":
        return str(target).lower() in str(value).lower()
    if name == "startswith":
        return str(value).startswith(str(target))
    if name == "endswith":
        return str(value).endswith(str(target))
    if name == "iexact":
        return str(value).lower() == str(target).lower()
    raise UnsupportedInPython(name)


def evaluate_q(q: Q, values: dict[str, Any]) -> bool | None:
    """True/False (None for SQL's unknown) for ``q`` over ``values``."""
    results: list[bool | None] = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(evaluate_q(child, values))
            continue
        if not isinstance(child, tuple):
            raise UnsupportedInPython(repr(child))
        key, target = child
        if hasattr(target, "resolve_expression"):
            name = getattr(target, "name", None)
            if name is None or name not in values:
                raise UnsupportedInPython(repr(target))
            target = values[name]
        field, _, lookup = key.partition("__")
        if field not in values or "__" in lookup:
            raise UnsupportedInPython(key)
        results.append(_lookup(values[field], lookup or "exact", target))
    if q.connector == Q.AND:
        result: bool | None = False if False in results else (None if None in results else True)
    elif q.connector == Q.OR:
        result = True if True in results else (None if None in results else False)
    else:
        if None in results:
            result = None
        else:
            result = sum(1 for r in results if r) % 2 == 1
    if q.negated and result is not None:
        result = not result
    return result
