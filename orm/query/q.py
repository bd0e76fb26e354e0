"""``Q``: filter conditions combined with ``&``, ``|``, ``^`` and ``~``."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["Q"]


class Q:
    """A tree of conditions: ``Q(title__startswith="A") | ~Q(status="draft")``."""

    AND = "AND"
    OR = "OR"
    XOR = "XOR"
    default = AND
    conditional = True

    def __init__(self, *args, _connector: str | None = None, _negated: bool = False, **kwargs):
        self.children: list[Any] = [*args, *sorted(kwargs.items())]
        self.connector = _connector or self.default
        self.negated = _negated

    def __repr__(self) -> str:
        template = "(NOT (%s: %s))" if self.negated else "(%s: %s)"
        return template % (self.connector, ", ".join(str(child) for child in self.children))

    def __str__(self) -> str:
        return self.__repr__()

    def __bool__(self) -> bool:
        return bool(self.children)

    def __len__(self) -> int:
        return len(self.children)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Q)
            and self.connector == other.connector
            and self.negated == other.negated
            and self.children == other.children
        )

    def __hash__(self) -> int:
        return hash((self.connector, self.negated, tuple(map(repr, self.children))))

    def __copy__(self):
        clone = type(self)(_connector=self.connector, _negated=self.negated)
        clone.children = list(self.children)
        return clone

    copy = __copy__

    def _combine(self, other, connector: str) -> Q:
        if getattr(other, "conditional", False) and not isinstance(other, Q):
            other = Q(other)
        if not isinstance(other, Q):
            raise TypeError(f"cannot combine Q with {type(other).__name__}")
        if not other:
            return copy.copy(self)
        if not self:
            return copy.copy(other)
        combined = type(self)(_connector=connector)
        for part in (self, other):
            if part.connector == connector and not part.negated and len(part.children) > 1:
                combined.children.extend(part.children)
            else:
                combined.children.append(part)
        return combined

    def __or__(self, other) -> Q:
        return self._combine(other, self.OR)

    def __and__(self, other) -> Q:
        return self._combine(other, self.AND)

    def __xor__(self, other) -> Q:
        return self._combine(other, self.XOR)

    def __invert__(self) -> Q:
        clone = type(self)(_connector=self.AND)
        clone.children = [copy.copy(self)]
        clone.negated = True
        return clone

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return query.build_condition(self, reuse=reuse, allow_joins=allow_joins, summarize=summarize)

    def deconstruct(self):
        path = "orm.Q"
        args = tuple(child for child in self.children if not isinstance(child, tuple) or len(child) != 2)
        kwargs: dict[str, Any] = {}
        tuple_children = [child for child in self.children if isinstance(child, tuple) and len(child) == 2]
        if len(self.children) == 1 and tuple_children and not isinstance(self.children[0], Q):
            kwargs = {tuple_children[0][0]: tuple_children[0][1]}
        else:
            args = tuple(self.children)
        if self.connector != self.default:
            kwargs["_connector"] = self.connector
        if self.negated:
            kwargs["_negated"] = True
        return path, args, kwargs

    def flatten(self):
        yield self
        for child in self.children:
            if isinstance(child, Q):
                yield from child.flatten()
            else:
                yield child

    def check(self, against: dict[str, Any]) -> bool | None:
        """Evaluate simple ``field=value``/``__lookup`` children in Python (for constraint validation)."""
        from orm.query.python_lookups import evaluate_q

        return evaluate_q(self, against)
