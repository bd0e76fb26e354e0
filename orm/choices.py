"""Enumerations for ``choices=``: ``TextChoices``, ``IntegerChoices`` and their base ``Choices``.

Django's classes, with the same behaviour::

    class Status(orm.TextChoices):
        DRAFT = "d", "Draft"
        PUBLISHED = "p"                     # label "Published", from the name

    status = orm.CharField(max_length=1, choices=Status, default=Status.DRAFT)

A member is its value (``Status.DRAFT == "d"``, ``str(Status.DRAFT) == "d"``)
and has a ``label``; the class has ``choices``, ``labels``, ``values`` and
``names``. ``__empty__ = "(Unknown)"`` adds ``(None, "(Unknown)")`` in front
of ``choices``.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["Choices", "ChoicesType", "IntegerChoices", "TextChoices"]


class ChoicesType(enum.EnumMeta):
    """The metaclass: splits ``VALUE, "label"`` assignments and gives the class its lists."""

    def __new__(metacls, classname, bases, classdict, **kwds):
        labels = []
        # With a data type (int, str, date...), Enum calls it with the tuple's items;
        # without one a single value is the value itself.
        mixed = any(
            not issubclass(klass, enum.Enum) and klass is not object
            for base in bases for klass in base.__mro__
        )
        for key in list(classdict._member_names):
            value = classdict[key]
            if isinstance(value, (list, tuple)) and len(value) > 1 and isinstance(value[-1], str):
                *parts, label = value
                value = tuple(parts) if mixed or len(parts) > 1 else parts[0]
            else:
                label = key.replace("_", " ").title()
            labels.append(label)
            # The class dict refuses a second assignment to a member name: bypass it.
            dict.__setitem__(classdict, key, value)
        cls = super().__new__(metacls, classname, bases, classdict, **kwds)
        for member, label in zip(cls.__members__.values(), labels):
            member._label_ = label
        return enum.unique(cls)

    def __contains__(cls, member):
        if not isinstance(member, enum.Enum):
            return any(choice.value == member for choice in cls)
        return super().__contains__(member)

    @property
    def names(cls) -> list[str]:
        empty = ["__empty__"] if hasattr(cls, "__empty__") else []
        return empty + list(cls.__members__)

    @property
    def choices(cls) -> list[tuple[Any, str]]:
        empty = [(None, cls.__empty__)] if hasattr(cls, "__empty__") else []
        members: list[Any] = list(cls.__members__.values())
        return empty + [(member.value, member.label) for member in members]

    @property
    def labels(cls) -> list[str]:
        return [label for _value, label in cls.choices]

    @property
    def values(cls) -> list[Any]:
        return [value for value, _label in cls.choices]


class Choices(enum.Enum, metaclass=ChoicesType):
    """Base class of enumerations usable as a field's ``choices``."""

    _label_: str

    @property
    def label(self) -> str:
        return self._label_

    # What Django's templates look for; harmless elsewhere.
    do_not_call_in_templates = enum.nonmember(True)

    def __str__(self) -> str:
        # The value, not "Status.DRAFT": what a driver writes when it stringifies a member.
        return str(self.value)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}.{self._name_}"


class IntegerChoices(int, Choices):
    """Choices whose values are integers."""


class TextChoices(str, Choices):
    """Choices whose values are strings; ``auto()`` gives the member's name."""

    @staticmethod
    def _generate_next_value_(name, start, count, last_values):
        return name
