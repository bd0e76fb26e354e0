"""Operations that run SQL or Python, or split the database change from the state change."""

from __future__ import annotations

from typing import Any, Callable

from ..state import ProjectState
from .base import Operation

__all__ = ["RunSQL", "RunPython", "SeparateDatabaseAndState"]


class SeparateDatabaseAndState(Operation):
    """Run ``database_operations`` on the database and ``state_operations`` on the state."""

    def __init__(self, database_operations: Any = None, state_operations: Any = None) -> None:
        self.database_operations = list(database_operations or [])
        self.state_operations = list(state_operations or [])

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, Any] = {}
        if self.database_operations:
            kwargs["database_operations"] = self.database_operations
        if self.state_operations:
            kwargs["state_operations"] = self.state_operations
        return "SeparateDatabaseAndState", [], kwargs

    @property
    def reversible(self) -> bool:  # type: ignore[override]
        return all(operation.reversible for operation in self.database_operations)

    @property
    def is_destructive(self) -> bool:  # type: ignore[override]
        return any(operation.is_destructive for operation in self.database_operations)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        for operation in self.state_operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # Each database operation sees the state its predecessors produced.
        alias = getattr(schema_editor.connection, "alias", None)
        for operation in self.database_operations:
            to_state = from_state.clone()
            operation.state_forwards(app_label, to_state)
            if operation.allow_migrate(alias, app_label):
                operation.database_forwards(app_label, schema_editor, from_state, to_state)
            from_state = to_state

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        states = [to_state]
        for operation in self.database_operations[:-1]:
            state = states[-1].clone()
            operation.state_forwards(app_label, state)
            states.append(state)
        alias = getattr(schema_editor.connection, "alias", None)
        for operation, before in zip(reversed(self.database_operations), reversed(states)):
            after = before.clone()
            operation.state_forwards(app_label, after)
            if operation.allow_migrate(alias, app_label):
                operation.database_backwards(app_label, schema_editor, after, before)

    def allow_migrate(self, alias: str | None, app_label: str) -> bool:
        # Each database operation asks the routers for itself.
        return True

    def describe(self) -> str:
        return "Custom state/database change combination"


class RunSQL(Operation):
    """Run raw SQL (a string or a list of strings / ``(sql, params)`` pairs)."""

    noop = ""

    def __init__(
        self,
        sql: Any,
        reverse_sql: Any = None,
        state_operations: Any = None,
        hints: Any = None,
        elidable: bool = False,
    ) -> None:
        self.sql = sql
        self.reverse_sql = reverse_sql
        self.state_operations = list(state_operations or [])
        self.hints = hints or {}
        self.elidable = elidable

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, Any] = {"sql": self.sql}
        if self.reverse_sql is not None:
            kwargs["reverse_sql"] = self.reverse_sql
        if self.state_operations:
            kwargs["state_operations"] = self.state_operations
        if self.hints:
            kwargs["hints"] = self.hints
        if self.elidable:
            kwargs["elidable"] = self.elidable
        return "RunSQL", [], kwargs

    @property
    def reversible(self) -> bool:  # type: ignore[override]
        return self.reverse_sql is not None

    @property
    def is_destructive(self) -> bool:  # type: ignore[override]
        return self.reverse_sql is None

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        for operation in self.state_operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._run(schema_editor, self.sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if self.reverse_sql is None:
            raise NotImplementedError("You cannot reverse this operation")
        self._run(schema_editor, self.reverse_sql)

    @staticmethod
    def _run(schema_editor: Any, sqls: Any) -> None:
        if isinstance(sqls, (list, tuple)):
            for item in sqls:
                if isinstance(item, (list, tuple)):
                    if len(item) != 2:
                        raise ValueError(f"RunSQL: expected (sql, params), got {item!r}")
                    schema_editor.execute(item[0], item[1] or ())
                else:
                    schema_editor.execute(item)
        elif sqls != RunSQL.noop:
            for statement in _split_statements(sqls):
                schema_editor.execute(statement)

    def router_hints(self) -> dict[str, Any]:
        return dict(self.hints)

    def describe(self) -> str:
        return "Raw SQL operation"


def _split_statements(sql: str) -> list[str]:
    """Split a script on top-level semicolons with sqlparse (quotes and comments respected)."""
    import sqlparse

    statements = []
    for statement in sqlparse.split(sql):
        statement = statement.strip()
        if statement.endswith(";"):
            statement = statement[:-1].rstrip()
        if statement:
            statements.append(statement)
    return statements


class RunPython(Operation):
    """Run Python ``code(apps, schema_editor)`` with a registry of historical models."""

    reduces_to_sql = False

    def __init__(
        self,
        code: Callable,
        reverse_code: Callable | None = None,
        atomic: bool | None = None,
        hints: Any = None,
        elidable: bool = False,
    ) -> None:
        if not callable(code):
            raise ValueError("RunPython must be supplied with a callable")
        if reverse_code is not None and not callable(reverse_code):
            raise ValueError("RunPython must be supplied with callable arguments")
        self.code = code
        self.reverse_code = reverse_code
        self.atomic = atomic
        self.hints = hints or {}
        self.elidable = elidable

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, Any] = {"code": self.code}
        if self.reverse_code is not None:
            kwargs["reverse_code"] = self.reverse_code
        if self.atomic is not None:
            kwargs["atomic"] = self.atomic
        if self.hints:
            kwargs["hints"] = self.hints
        if self.elidable:
            kwargs["elidable"] = self.elidable
        return "RunPython", [], kwargs

    @property
    def reversible(self) -> bool:  # type: ignore[override]
        return self.reverse_code is not None

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(f"-- RunPython {_callable_name(self.code)} (no SQL)")
            return
        self.code(from_state.apps.bind(schema_editor.connection), schema_editor)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if self.reverse_code is None:
            raise NotImplementedError("You cannot reverse this operation")
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(
                f"-- RunPython {_callable_name(self.reverse_code)} (no SQL)"
            )
            return
        self.reverse_code(from_state.apps.bind(schema_editor.connection), schema_editor)

    def router_hints(self) -> dict[str, Any]:
        return dict(self.hints)

    def describe(self) -> str:
        return f"Raw Python operation {_callable_name(self.code)}"

    @staticmethod
    def noop(apps: Any, schema_editor: Any) -> None:
        """A do-nothing callable, for a reverse that needs no work."""
        return None


def _callable_name(code: Callable) -> str:
    return getattr(code, "__qualname__", None) or repr(code)
