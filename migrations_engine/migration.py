"""The `Migration` base class every migration file subclasses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .state import ProjectState

__all__ = ["Migration", "swappable_dependency", "ignores_from_state"]


class Migration:
    """One migration: its dependencies and the operations it applies, in order.

    Class attributes (as in Django): ``dependencies`` (list of
    ``(app_label, name)``), ``operations``, ``initial``, ``replaces``
    (the migrations a squashed one stands for), ``run_before`` and
    ``atomic`` (one transaction where the backend has transactional DDL).
    """

    dependencies: list[tuple[str, str]] = []
    operations: list[Any] = []
    run_before: list[tuple[str, str]] = []
    replaces: list[tuple[str, str]] = []
    initial: bool | None = None
    atomic = True

    def __init__(self, name: str, app_label: str) -> None:
        self.name = name
        self.app_label = app_label
        # Copies, so that nothing changes the class attributes of the file.
        self.operations = list(self.__class__.operations)
        self.dependencies = [tuple(dep) for dep in self.__class__.dependencies]  # type: ignore[misc]
        self.run_before = [tuple(dep) for dep in self.__class__.run_before]  # type: ignore[misc]
        self.replaces = [tuple(dep) for dep in self.__class__.replaces]  # type: ignore[misc]
        #: Where the migration was loaded from (set by the loader).
        self.path: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.app_label, self.name)

    def __repr__(self) -> str:
        return f"<Migration {self.app_label}.{self.name}>"

    def __str__(self) -> str:
        return f"{self.app_label}.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Migration) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def mutate_state(self, project_state: ProjectState, preserve: bool = True) -> ProjectState:
        """The state after this migration (a copy unless ``preserve`` is False)."""
        state = project_state.clone() if preserve else project_state
        for operation in self.operations:
            operation.state_forwards(self.app_label, state)
        return state

    def forward_steps(self, project_state: ProjectState) -> Iterator[tuple[Any, Any, Any]]:
        """``(operation, state before, state after)`` per operation, changing ``project_state``.

        Lazy: each step's states are valid until the next step is taken. For an
        operation whose ``database_forwards`` is marked `ignores_from_state`, the
        "state before" is the state after it.
        """
        for operation in self.operations:
            # An operation whose database_forwards never reads the state before it
            # (CreateModel) is given the state after it: a copy of every model state
            # per operation saved (a from-zero migrate has thousands).
            if getattr(type(operation).database_forwards, "ignores_from_state", False):
                before = project_state
            else:
                before = project_state.clone()
            operation.state_forwards(self.app_label, project_state)
            yield operation, before, project_state

    def backward_steps(self, project_state: ProjectState) -> list[tuple[Any, Any, Any]]:
        """``(operation, state before it, state after it)`` last operation first, for unapplying."""
        steps = []
        state = project_state
        for operation in self.operations:
            before = state
            state = state.clone()
            operation.state_forwards(self.app_label, state)
            steps.append((operation, before, state))
        steps.reverse()
        return steps

    def run_operation(
        self, operation: Any, schema_editor: Any, before: Any, after: Any, backwards: bool = False
    ) -> None:
        """Run one operation's SQL (unless the routers keep it off this database)."""
        if operation.allow_migrate(getattr(schema_editor.connection, "alias", None), self.app_label):
            _flush_deferred_before(operation, schema_editor)
            if backwards:
                operation.database_backwards(self.app_label, schema_editor, after, before)
            else:
                operation.database_forwards(self.app_label, schema_editor, before, after)
        on_done = getattr(schema_editor, "operation_done", None)
        if on_done is not None:
            on_done(operation)

    def apply(self, project_state: ProjectState, schema_editor: Any) -> ProjectState:
        """Run every operation forwards; return the state after the migration."""
        for operation, before, after in self.forward_steps(project_state):
            self.run_operation(operation, schema_editor, before, after)
        return project_state

    def unapply(self, project_state: ProjectState, schema_editor: Any) -> ProjectState:
        """Run every operation backwards (last first); return the state before the migration."""
        for operation, before, after in self.backward_steps(project_state):
            self.run_operation(operation, schema_editor, before, after, backwards=True)
        return project_state

    def suggest_name(self) -> str:
        """A name from the operations (``auto`` when they say nothing useful)."""
        if self.initial:
            return "initial"
        fragments = [getattr(op, "migration_name_fragment", None) for op in self.operations]
        if fragments and all(fragments):
            name = "_".join(sorted(fragments))  # type: ignore[arg-type]
            if len(name) <= 52:
                return name
            return f"{fragments[0]}_and_more"
        return "auto"


def _flush_deferred_before(operation: Any, schema_editor: Any) -> None:
    """Run foreign keys deferred by earlier operations before one that renames or drops things.

    The editor defers foreign keys so that tables created in one migration
    may point at each other; a later rename or drop in the same migration
    must see them in place (they name the table as it was).
    """
    if type(operation).__name__ in ("CreateModel", "AddField"):
        return
    deferred = getattr(schema_editor, "deferred_sql", None)
    while deferred:
        schema_editor.execute(deferred.pop(0))


def ignores_from_state(database_forwards: Any) -> Any:
    """Mark an operation's ``database_forwards`` as never reading its ``from_state``.

    `Migration.forward_steps` then hands it the state after the operation and
    copies no state for it. A subclass that overrides the method is unmarked.
    """
    database_forwards.ignores_from_state = True
    return database_forwards


def swappable_dependency(value: str) -> tuple[str, str]:
    """Django compatibility: a dependency on the first migration of an app."""
    return (value.split(".", 1)[0], "__first__")
