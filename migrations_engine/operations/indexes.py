"""Operations on one index or constraint of a model: add, remove, rename."""

from __future__ import annotations

from typing import Any

from orm.indexes import referenced_fields

from .. import schema
from ..state import ProjectState
from .base import Operation
from .models import table_of

__all__ = [
    "IndexOperation",
    "AddIndex",
    "RemoveIndex",
    "RenameIndex",
    "AddConstraint",
    "RemoveConstraint",
]


def _set_or_drop(options: dict[str, Any], key: str, value: list) -> None:
    """States keep only non-default options: an empty list is no option."""
    if value:
        options[key] = value
    else:
        options.pop(key, None)


def _drop_index(schema_editor: Any, model_state: Any, index: Any, state: ProjectState) -> None:
    """Drop a Meta index of ``model_state``, unless the backend never made it (on expressions)."""
    if getattr(index, "expressions", ()):
        description = schema.index_description(model_state, index, state, schema_editor.connection)
        if schema_editor.skips_index(model_state.db_table, description, warn=False):
            return
    schema_editor.drop_index(model_state.db_table, index.name)


def _skipped(schema_editor: Any, app_label: str, model_name: str, state: ProjectState, name: str) -> bool:
    """Whether the index called ``name`` in ``state`` is one the backend never made."""
    model_state = state.get_model(app_label, model_name)
    for index in model_state.options.get("indexes", []):
        if index.name == name and getattr(index, "expressions", ()):
            description = schema.index_description(model_state, index, state, schema_editor.connection)
            return schema_editor.skips_index(model_state.db_table, description, warn=False)
    return False


class IndexOperation(Operation):
    """An operation on one index or constraint of model ``model_name``."""

    option_name = "indexes"
    model_name: str

    @property
    def model_name_lower(self) -> str:
        return self.model_name.lower()

    def references_model(self, name: str, app_label: str) -> bool:
        return name.lower() == self.model_name_lower

    def router_model_name(self) -> str | None:
        return self.model_name_lower

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        result = super().reduce(other, app_label)
        if result:
            return result
        return not other.references_model(self.model_name, app_label)


class AddIndex(IndexOperation):
    """Add an ``orm.Index`` (it must have a name)."""

    def __init__(self, model_name: str, index: Any) -> None:
        if not getattr(index, "name", None):
            raise ValueError(
                f"AddIndex on {model_name}: indexes added by migrations need a name "
                f"(Index(fields={index.fields!r}, name=...))"
            )
        self.model_name = model_name
        self.index = index

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AddIndex", [], {"model_name": self.model_name, "index": self.index}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        model_state = state.update_model(app_label, self.model_name)
        model_state.options["indexes"] = [*model_state.options.get("indexes", []), self.index]

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = to_state.get_model(app_label, self.model_name)
        if model_state.has_table:
            description = schema.index_description(
                model_state, self.index, to_state, schema_editor.connection
            )
            schema_editor.create_index(model_state.db_table, description)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = from_state.get_model(app_label, self.model_name)
        if model_state.has_table:
            _drop_index(schema_editor, model_state, self.index, from_state)

    def describe(self) -> str:
        parts = self.index.fields or [str(expression) for expression in self.index.expressions]
        return f"Create index {self.index.name} on {', '.join(parts)} of model {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return self.index.name.lower()

    def references_field(self, model_name: str, name: str, app_label: str) -> bool:
        return self.references_model(model_name, app_label) and (
            name in self.index.field_names or name in referenced_fields(self.index.expressions)
        )

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if isinstance(other, RemoveIndex) and other.model_name_lower == self.model_name_lower \
                and other.name == self.index.name:
            return []
        if isinstance(other, RenameIndex) and other.model_name_lower == self.model_name_lower \
                and other.old_name == self.index.name:
            index = self.index.clone()
            index.name = other.new_name
            return [AddIndex(self.model_name, index)]
        return super().reduce(other, app_label)


class RemoveIndex(IndexOperation):
    """Drop the index called ``name``."""

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def deconstruct(self) -> tuple[str, list, dict]:
        return "RemoveIndex", [], {"model_name": self.model_name, "name": self.name}

    def _find(self, state: ProjectState, app_label: str) -> Any:
        model_state = state.get_model(app_label, self.model_name)
        for index in model_state.options.get("indexes", []):
            if index.name == self.name:
                return index
        raise KeyError(f"model {model_state.label} has no index named {self.name!r} in the state")

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        self._find(state, app_label)
        model_state = state.update_model(app_label, self.model_name)
        indexes = [
            index for index in model_state.options.get("indexes", []) if index.name != self.name
        ]
        _set_or_drop(model_state.options, "indexes", indexes)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = from_state.get_model(app_label, self.model_name)
        if model_state.has_table:
            _drop_index(schema_editor, model_state, self._find(from_state, app_label), from_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        index = self._find(to_state, app_label)
        AddIndex(self.model_name, index).database_forwards(
            app_label, schema_editor, from_state, to_state
        )

    def describe(self) -> str:
        return f"Remove index {self.name} from {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"remove_{self.model_name_lower}_{self.name.lower()}"


class RenameIndex(IndexOperation):
    """Rename an index (``old_name`` -> ``new_name``)."""

    def __init__(
        self, model_name: str, new_name: str, old_name: str | None = None, old_fields: Any = None
    ) -> None:
        if not old_name and not old_fields:
            raise ValueError("RenameIndex requires one of old_name and old_fields arguments.")
        if old_name and old_fields:
            raise ValueError("RenameIndex.old_name and old_fields are mutually exclusive.")
        self.model_name = model_name
        self.new_name = new_name
        self.old_name = old_name
        self.old_fields = old_fields

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, Any] = {"model_name": self.model_name, "new_name": self.new_name}
        if self.old_name:
            kwargs["old_name"] = self.old_name
        else:
            kwargs["old_fields"] = self.old_fields
        return "RenameIndex", [], kwargs

    def _old_name(self, state: ProjectState, app_label: str) -> str:
        model_state = state.get_model(app_label, self.model_name)
        for index in model_state.options.get("indexes", []):
            if (self.old_name and index.name == self.old_name) or (
                self.old_fields and list(index.fields) == list(self.old_fields)
            ):
                return index.name
        raise KeyError(
            f"model {model_state.label} has no index "
            f"{self.old_name or self.old_fields!r} in the state"
        )

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        old_name = self._old_name(state, app_label)
        model_state = state.update_model(app_label, self.model_name)
        indexes = []
        for index in model_state.options.get("indexes", []):
            if index.name == old_name:
                index = index.clone()
                index.name = self.new_name
            indexes.append(index)
        model_state.options["indexes"] = indexes

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = to_state.get_model(app_label, self.model_name)
        if model_state.has_table and not _skipped(
            schema_editor, app_label, self.model_name, to_state, self.new_name
        ):
            old_name = self._old_name(from_state, app_label)
            schema_editor.rename_index(model_state.db_table, old_name, self.new_name)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = to_state.get_model(app_label, self.model_name)
        if model_state.has_table and not _skipped(
            schema_editor, app_label, self.model_name, from_state, self.new_name
        ):
            old_name = self._old_name(to_state, app_label)
            schema_editor.rename_index(model_state.db_table, self.new_name, old_name)

    def describe(self) -> str:
        return f"Rename index {self.old_name or self.old_fields} on {self.model_name} to {self.new_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rename_{(self.old_name or 'index').lower()}_{self.new_name.lower()}"

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if (
            isinstance(other, RenameIndex)
            and other.model_name_lower == self.model_name_lower
            and other.old_name
            and other.old_name == self.new_name
        ):
            return [RenameIndex(self.model_name, other.new_name, self.old_name, self.old_fields)]
        return super().reduce(other, app_label)


class AddConstraint(IndexOperation):
    """Add an ``orm.UniqueConstraint`` or ``orm.CheckConstraint``."""

    option_name = "constraints"

    def __init__(self, model_name: str, constraint: Any) -> None:
        self.model_name = model_name
        self.constraint = constraint

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AddConstraint", [], {"model_name": self.model_name, "constraint": self.constraint}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        model_state = state.update_model(app_label, self.model_name)
        model_state.options["constraints"] = [
            *model_state.options.get("constraints", []), self.constraint,
        ]

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = to_state.get_model(app_label, self.model_name)
        if not model_state.has_table:
            return
        connection = schema_editor.connection
        current = table_of(from_state, app_label, self.model_name, connection)
        description = schema.constraint_description(
            model_state, self.constraint, to_state, connection
        )
        schema_editor.add_constraint(current, description)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = from_state.get_model(app_label, self.model_name)
        if not model_state.has_table:
            return
        connection = schema_editor.connection
        current = table_of(from_state, app_label, self.model_name, connection)
        description = schema.constraint_description(
            model_state, self.constraint, from_state, connection
        )
        schema_editor.drop_constraint(current, description)

    def describe(self) -> str:
        return f"Create constraint {self.constraint.name} on model {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name_lower}_{self.constraint.name.lower()}"

    def references_field(self, model_name: str, name: str, app_label: str) -> bool:
        return self.references_model(model_name, app_label) and (
            name in getattr(self.constraint, "fields", ())
            or getattr(self.constraint, "condition", None) is not None
            or name in referenced_fields(getattr(self.constraint, "expressions", ()))
        )

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if isinstance(other, RemoveConstraint) and other.model_name_lower == self.model_name_lower \
                and other.name == self.constraint.name:
            return []
        return super().reduce(other, app_label)


class RemoveConstraint(IndexOperation):
    """Drop the constraint called ``name``."""

    option_name = "constraints"
    is_destructive = False

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def deconstruct(self) -> tuple[str, list, dict]:
        return "RemoveConstraint", [], {"model_name": self.model_name, "name": self.name}

    def _find(self, state: ProjectState, app_label: str) -> Any:
        model_state = state.get_model(app_label, self.model_name)
        for constraint in model_state.options.get("constraints", []):
            if constraint.name == self.name:
                return constraint
        raise KeyError(
            f"model {model_state.label} has no constraint named {self.name!r} in the state"
        )

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        self._find(state, app_label)
        model_state = state.update_model(app_label, self.model_name)
        constraints = [
            c for c in model_state.options.get("constraints", []) if c.name != self.name
        ]
        _set_or_drop(model_state.options, "constraints", constraints)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        constraint = self._find(from_state, app_label)
        AddConstraint(self.model_name, constraint).database_backwards(
            app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        constraint = self._find(to_state, app_label)
        AddConstraint(self.model_name, constraint).database_forwards(
            app_label, schema_editor, from_state, to_state
        )

    def describe(self) -> str:
        return f"Remove constraint {self.name} from model {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"remove_{self.model_name_lower}_{self.name.lower()}"
