"""The `Operation` contract: one class carries a state change, its DDL, its reversal and optimizer rules."""

from __future__ import annotations

from typing import Any

from orm.routers import router

from ..state import ProjectState, comparable

__all__ = ["Operation"]


class Operation:
    """Base class of migration operations (Django's contract).

    ``state_forwards`` changes a `ProjectState`; ``database_forwards`` /
    ``database_backwards`` run DDL through a schema editor, reading the
    tables from the states before and after; ``reduce`` tells the optimizer
    how this operation combines with a later one: a list replaces both,
    True means ``other`` may be moved across this one, False blocks.
    """

    #: Whether ``database_backwards`` can undo the operation.
    reversible = True
    #: Whether the operation may be dropped when squashing.
    elidable = False
    #: Whether the operation may lose data (``migrate --plan`` marks it).
    is_destructive = False
    #: Whether this operation runs arbitrary code that must see real data.
    reduces_to_sql = True
    #: ``None`` means the migration's ``atomic`` decides.
    atomic: bool | None = None
    #: What the constructor got, for ``deconstruct()``.
    _constructor_args: tuple[tuple, dict]

    def __new__(cls, *args: Any, **kwargs: Any) -> Operation:
        self = object.__new__(cls)
        self._constructor_args = (args, kwargs)
        return self

    def deconstruct(self) -> tuple[str, list, dict]:
        """``(class name, args, kwargs)`` as given to the constructor (for the writer)."""
        args, kwargs = self._constructor_args
        return type(self).__name__, list(args), dict(kwargs)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement state_forwards()")

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement database_forwards()")

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement database_backwards()")

    def describe(self) -> str:
        """A one-line human description (``Create model Post``)."""
        return f"{type(self).__name__}"

    @property
    def migration_name_fragment(self) -> str | None:
        """A short name for a migration holding only this operation, or None."""
        return None

    def references_model(self, name: str, app_label: str) -> bool:
        """Whether the operation may touch model ``name`` (conservatively True)."""
        return True

    def references_field(self, model_name: str, name: str, app_label: str) -> bool:
        """Whether the operation may touch field ``model_name.name``."""
        return self.references_model(model_name, app_label)

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        """Combine with a later ``other``: a replacement list, True (pass through) or False."""
        if self.elidable:
            return [other]
        if other.elidable:
            return [self]
        return False

    def router_model_name(self) -> str | None:
        """The lowercased name of the model whose table the operation changes (for routers)."""
        return None

    def allow_migrate(self, alias: str | None, app_label: str) -> bool:
        """Whether the database routers let this operation run on database ``alias``.

        Asks ``router.allow_migrate(alias, app_label, model_name=...)`` (Django's
        call; ``RunSQL`` / ``RunPython`` pass their ``hints`` instead). The state
        change happens whatever the answer: only the SQL is skipped.
        """
        if alias is None or not router.routers:
            return True
        return router.allow_migrate(alias, app_label, **self.router_hints())

    def router_hints(self) -> dict[str, Any]:
        """The keyword arguments given to the routers' ``allow_migrate``."""
        model_name = self.router_model_name()
        return {} if model_name is None else {"model_name": model_name}

    def check_state(self, app_label: str, state: ProjectState) -> None:
        """Raise KeyError naming what is missing when the operation cannot apply to ``state``."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Operation):
            return NotImplemented
        return type(self) is type(other) and comparable(list(self.deconstruct())) == comparable(
            list(other.deconstruct())
        )

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        _name, args, kwargs = self.deconstruct()
        parts = [repr(arg) for arg in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
        return f"<{type(self).__name__} {', '.join(parts)}>"
