"""``register_lookup``: lookups and transforms added to field classes, as Django's ``RegisterLookupMixin``.

``orm.CharField.register_lookup(NotEqual)`` makes ``name__ne=`` valid on
every ``CharField`` (and its subclasses); ``register_lookup`` on a
``Transform`` class makes a lookup valid after that transform. Nothing here
costs a query anything until something is registered: ``state.active`` stays
False until then, and the lookup resolution tests it first.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["RegisterLookupMixin", "registered_for", "state"]


class _State:
    __slots__ = ("active", "version")

    def __init__(self) -> None:
        self.active = False  # anything registered since the start of the process
        self.version = 0  # bumped at each change: merged tables are rebuilt


state = _State()
_merged: dict[type, tuple[int, dict[str, Any]]] = {}


class RegisterLookupMixin:
    """``register_lookup`` / ``get_lookups`` for field and transform classes."""

    #: Set on a class by its first register_lookup: name -> Lookup or Transform class.
    class_lookups: ClassVar[dict[str, Any]]

    @classmethod
    def register_lookup(cls, lookup, lookup_name: str | None = None):
        """Make ``lookup`` (a Lookup or Transform class) valid after this class under its name."""
        name = lookup_name or getattr(lookup, "lookup_name", "")
        if not name or "__" in name:
            raise ValueError(
                f"{cls.__name__}.register_lookup({lookup.__name__}): give the class a lookup_name "
                "(or pass lookup_name=), without '__'"
            )
        if "class_lookups" not in cls.__dict__:
            cls.class_lookups = {}
        cls.class_lookups[name] = lookup
        _changed()
        return lookup

    @classmethod
    def _unregister_lookup(cls, lookup, lookup_name: str | None = None) -> None:
        """Undo `register_lookup` on this very class (for tests, as in Django)."""
        name = lookup_name or lookup.lookup_name
        del cls.__dict__["class_lookups"][name]
        _changed()

    @classmethod
    def get_lookups(cls) -> dict[str, Any]:
        """The lookups and transforms registered on this class and the classes it derives from."""
        return dict(registered_for(cls))


def registered_for(cls: type) -> dict[str, Any]:
    """``cls``'s registered lookups and transforms, the nearest class's winning (cached)."""
    entry = _merged.get(cls)
    if entry is not None and entry[0] == state.version:
        return entry[1]
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        merged.update(klass.__dict__.get("class_lookups", {}))
    _merged[cls] = (state.version, merged)
    return merged


def _changed() -> None:
    state.active = True
    state.version += 1
    _forget_cached_statements()


def _forget_cached_statements() -> None:
    """Cached statements were planned with the built-in lookups: plan them again."""
    from orm.registry import registry

    for models in list(registry.all_models.values()):
        for model in list(models.values()):
            model._meta.__dict__.pop("_statement_shapes", None)
