"""Operations on whole models: create, delete, rename, table, options, unique_together.

Index and constraint operations live in ``operations/indexes.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from orm.indexes import referenced_fields

from .. import schema
from ..migration import ignores_from_state
from ..state import ModelState, ProjectState, relation_target, resolve_relation, through_target
from .base import Operation

__all__ = [
    "ModelOperation",
    "CreateModel",
    "DeleteModel",
    "RenameModel",
    "AlterModelTable",
    "AlterModelTableComment",
    "AlterModelOptions",
    "AlterModelManagers",
    "AlterUniqueTogether",
]


def _normalize_together(value: Any) -> list[tuple[str, ...]]:
    if not value:
        return []
    if isinstance(value, (list, tuple, set)) and all(isinstance(item, str) for item in value):
        return [tuple(value)]
    return sorted(tuple(item) for item in value)


def table_of(state: ProjectState, app_label: str, name: str, connection: Any):
    """The `Table` description of a model in ``state``."""
    return schema.table_for_model_state(state.get_model(app_label, name), state, connection)


def junction_map(state: ProjectState, connection: Any, keys: Any = None) -> dict:
    """``{(app, model, field): Table}`` of the automatic junction tables in ``state``."""
    result = {}
    for key, model_state in state.models.items():
        if not model_state.has_table:
            continue
        for name, field in model_state.fields.items():
            if not schema.is_many_to_many(field) or through_target(field) is not None:
                continue
            target = resolve_relation(model_state.app_label, model_state.name,
                                      relation_target(field))
            if keys is not None and key not in keys and target not in keys:
                continue
            junction = schema.junction_table_for_field(model_state, name, field, state, connection)
            if junction is not None:
                result[(*key, name)] = junction
    return result


def sync_junctions(
    schema_editor: Any,
    from_state: ProjectState,
    to_state: ProjectState,
    renamed: dict[tuple[str, str], tuple[str, str]],
) -> None:
    """Rename junction tables and their columns after a model or table rename."""
    connection = schema_editor.connection
    keys_from = set(renamed)
    keys_to = set(renamed.values())
    before = junction_map(from_state, connection, keys_from)
    after = junction_map(to_state, connection, keys_to)
    for (app, model, field_name), old_table in before.items():
        new_key = (*renamed.get((app, model), (app, model)), field_name)
        new_table = after.get(new_key)
        if new_table is None:
            continue
        current = old_table
        if old_table.name != new_table.name:
            schema_editor.rename_table(old_table.name, new_table.name)
            current = dataclasses.replace(old_table, name=new_table.name)
        for old_column, new_column in zip(old_table.columns, new_table.columns):
            if old_column.name != new_column.name:
                schema_editor.alter_column(
                    current, old_column, dataclasses.replace(old_column, name=new_column.name)
                )
                current = _rename_column_in(current, old_column.name, new_column.name)


def _rename_column_in(table: Any, old: str, new: str) -> Any:
    def rename(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if name == old else name for name in names)

    return dataclasses.replace(
        table,
        columns=tuple(
            dataclasses.replace(column, name=new) if column.name == old else column
            for column in table.columns
        ),
        indexes=tuple(dataclasses.replace(i, columns=rename(i.columns)) for i in table.indexes),
        constraints=tuple(
            dataclasses.replace(c, columns=rename(c.columns)) for c in table.constraints
        ),
    )


def renames_a_referenced_model(operation: Operation, other: Operation, app_label: str) -> bool:
    """Whether ``other`` renames a model ``operation`` points at (it must not move across)."""
    return isinstance(other, RenameModel) and operation.references_model(
        other.old_name, app_label
    )


class ModelOperation(Operation):
    """An operation on one model, named ``name``."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def name_lower(self) -> str:
        return self.name.lower()

    def references_model(self, name: str, app_label: str) -> bool:
        return name.lower() == self.name_lower

    def router_model_name(self) -> str | None:
        return self.name_lower

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        result = super().reduce(other, app_label)
        if result:
            return result
        if renames_a_referenced_model(self, other, app_label):
            return False
        return not other.references_model(self.name, app_label)

    def _has_table(self, state: ProjectState, app_label: str, name: str | None = None) -> bool:
        return state.get_model(app_label, name or self.name).has_table


class CreateModel(ModelOperation):
    """Create a model and its table (plus automatic many-to-many junction tables)."""

    def __init__(
        self,
        name: str,
        fields: Any,
        options: dict[str, Any] | None = None,
        bases: Any = None,
        managers: Any = None,
    ) -> None:
        super().__init__(name)
        self.fields = fields = list(fields.items()) if isinstance(fields, dict) else list(fields)
        self.options = dict(options) if options else {}
        self.bases = tuple(bases) if bases else ("orm.Model",)
        self.managers = list(managers) if managers else []
        if len({field_name for field_name, _ in fields}) != len(fields):
            names = [field_name for field_name, _ in fields]
            duplicates = sorted({field_name for field_name in names if names.count(field_name) > 1})
            raise ValueError(f"CreateModel {name}: duplicate field name(s) {duplicates}")

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, Any] = {"name": self.name, "fields": self.fields}
        if self.options:
            kwargs["options"] = self.options
        if self.bases != ("orm.Model",):
            kwargs["bases"] = self.bases
        if self.managers:
            kwargs["managers"] = self.managers
        return "CreateModel", [], kwargs

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        state.add_model(
            ModelState(
                app_label,
                self.name,
                dict(self.fields),
                dict(self.options),
                self.bases,
                list(self.managers),
            )
        )

    def tables(self, app_label: str, state: ProjectState, connection: Any) -> list[Any]:
        """The tables ``database_forwards`` creates, ``state`` being the state after this operation.

        The model's table first, then its automatic many-to-many junctions.
        """
        model_state = state.get_model(app_label, self.name)
        if not model_state.has_table:
            return []
        return [
            schema.table_for_model_state(model_state, state, connection),
            *schema.junction_tables_for(model_state, state, connection),
        ]

    @ignores_from_state
    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # The executor may have had the work done ahead (migrations_engine.ahead).
        ahead = getattr(schema_editor, "ahead", None)
        prepared = ahead.take(self) if ahead is not None else None
        if prepared is not None and prepared[0] == "statements":
            schema_editor.replay(prepared[1])
            return
        if prepared is not None:
            tables = prepared[1]
        else:
            # Called as CreateModel's for DeleteModel's backwards: not self.tables.
            tables = CreateModel.tables(self, app_label, to_state, schema_editor.connection)
        for table in tables:
            schema_editor.create_table(table)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model_state = from_state.get_model(app_label, self.name)
        if not model_state.has_table:
            return
        connection = schema_editor.connection
        for junction in schema.junction_tables_for(model_state, from_state, connection):
            schema_editor.drop_table(junction.name)
        schema_editor.drop_table(model_state.db_table)

    def describe(self) -> str:
        kind = "proxy model" if self.options.get("proxy") else "model"
        return f"Create {kind} {self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return self.name_lower

    def references_model(self, name: str, app_label: str) -> bool:
        if name.lower() == self.name_lower:
            return True
        key = (app_label, name.lower())
        for base in self.bases:
            if isinstance(base, str) and base != "orm.Model" and resolve_relation(
                app_label, self.name, base
            ) == key:
                return True
        for _field_name, field in self.fields:
            to = relation_target(field)
            if to is not None and resolve_relation(app_label, self.name, to) == key:
                return True
            through = through_target(field) if to is not None else None
            if through is not None and resolve_relation(app_label, self.name, through) == key:
                return True
        return False

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        from .fields import AddField, AlterField, FieldOperation, RemoveField, RenameField

        same = getattr(other, "name_lower", None) == self.name_lower
        if isinstance(other, DeleteModel) and same and not self.options.get("proxy"):
            return []
        if isinstance(other, RenameModel) and other.old_name_lower == self.name_lower:
            return [self._copy(name=other.new_name)]
        if isinstance(other, AlterModelOptions) and same:
            options = {**self.options, **other.options}
            for key in AlterModelOptions.ALTER_OPTION_KEYS:
                if key not in other.options:
                    options.pop(key, None)
            return [self._copy(options=options)]
        if isinstance(other, (AlterModelTable, AlterModelTableComment)) and same:
            options = dict(self.options)
            _set_option(options, *other.option)
            return [self._copy(options=options)]
        if isinstance(other, AlterModelManagers) and same:
            return [self._copy(managers=other.managers)]
        if isinstance(other, AlterUniqueTogether) and same:
            options = dict(self.options)
            if other.unique_together:
                options["unique_together"] = other.unique_together
            else:
                options.pop("unique_together", None)
            return [self._copy(options=options)]
        if isinstance(other, FieldOperation) and other.model_name_lower == self.name_lower:
            if isinstance(other, AddField):
                return [self._copy(fields=[*self.fields, (other.name, other.field)])]
            if isinstance(other, AlterField):
                return [self._copy(fields=[
                    (name, other.field if name == other.name else field)
                    for name, field in self.fields
                ])]
            if isinstance(other, RemoveField):
                if self._option_mentions(other.name):
                    return False
                return [self._copy(fields=[
                    (name, field) for name, field in self.fields if name != other.name_lower
                    and name != other.name
                ])]
            if isinstance(other, RenameField):
                if self._option_mentions(other.old_name):
                    return False
                return [self._copy(fields=[
                    (other.new_name if name == other.old_name else name, field)
                    for name, field in self.fields
                ])]
        return super().reduce(other, app_label)

    def _option_mentions(self, field_name: str) -> bool:
        for entry in self.options.get("unique_together") or []:
            if field_name in entry:
                return True
        for index in self.options.get("indexes") or []:
            if field_name in index.field_names or field_name in referenced_fields(index.expressions):
                return True
        for constraint in self.options.get("constraints") or []:
            if (
                field_name in getattr(constraint, "fields", ())
                or getattr(constraint, "condition", None) is not None
                or field_name in referenced_fields(getattr(constraint, "expressions", ()))
            ):
                return True
        return False

    def _copy(self, **changes: Any) -> CreateModel:
        kwargs: dict[str, Any] = {
            "name": self.name,
            "fields": self.fields,
            "options": self.options,
            "bases": self.bases,
            "managers": self.managers,
        }
        kwargs.update(changes)
        return CreateModel(**kwargs)


class DeleteModel(ModelOperation):
    """Drop a model's table (and its automatic junction tables)."""

    is_destructive = True

    def deconstruct(self) -> tuple[str, list, dict]:
        return "DeleteModel", [], {"name": self.name}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        state.remove_model(app_label, self.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        CreateModel.database_backwards(self, app_label, schema_editor, from_state, to_state)  # type: ignore[arg-type]

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        CreateModel.database_forwards(self, app_label, schema_editor, from_state, to_state)  # type: ignore[arg-type]

    def describe(self) -> str:
        return f"Delete model {self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"delete_{self.name_lower}"


class RenameModel(ModelOperation):
    """Rename a model: its table (when the name is derived), junction tables and references."""

    def __init__(self, old_name: str, new_name: str) -> None:
        self.old_name = old_name
        self.new_name = new_name
        super().__init__(old_name)

    @property
    def old_name_lower(self) -> str:
        return self.old_name.lower()

    @property
    def new_name_lower(self) -> str:
        return self.new_name.lower()

    def deconstruct(self) -> tuple[str, list, dict]:
        return "RenameModel", [], {"old_name": self.old_name, "new_name": self.new_name}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        state.rename_model(app_label, self.old_name, self.new_name)

    def _rename(self, app_label, schema_editor, from_state, to_state, old, new) -> None:
        old_state = from_state.get_model(app_label, old)
        new_state = to_state.get_model(app_label, new)
        if old_state.has_table and old_state.db_table != new_state.db_table:
            schema_editor.rename_table(old_state.db_table, new_state.db_table)
        sync_junctions(
            schema_editor, from_state, to_state,
            {(app_label, old.lower()): (app_label, new.lower())},
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._rename(app_label, schema_editor, from_state, to_state, self.old_name, self.new_name)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._rename(app_label, schema_editor, from_state, to_state, self.new_name, self.old_name)

    def references_model(self, name: str, app_label: str) -> bool:
        return name.lower() in (self.old_name_lower, self.new_name_lower)

    def router_model_name(self) -> str | None:
        return self.new_name_lower

    def describe(self) -> str:
        return f"Rename model {self.old_name} to {self.new_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rename_{self.old_name_lower}_{self.new_name_lower}"

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if isinstance(other, RenameModel) and self.new_name_lower == other.old_name_lower:
            return [RenameModel(self.old_name, other.new_name)]
        # Skip ModelOperation.reduce: other may reference the new name.
        return Operation.reduce(self, other, app_label) or (
            not other.references_model(self.new_name, app_label)
        )


class ModelOptionOperation(ModelOperation):
    """An operation on one model's options; a later one of the same kind replaces it."""

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if (
            isinstance(other, (type(self), DeleteModel))
            and getattr(other, "name_lower", None) == self.name_lower
        ):
            return [other]
        return super().reduce(other, app_label)


def _set_option(options: dict[str, Any], key: str, value: str | None) -> None:
    """``options[key] = value``; an empty value removes the option (its default applies)."""
    if value:
        options[key] = value
    else:
        options.pop(key, None)


class AlterModelTable(ModelOptionOperation):
    """Rename a model's table (``Meta.db_table``)."""

    def __init__(self, name: str, table: str | None) -> None:
        self.table = table
        super().__init__(name)

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AlterModelTable", [], {"name": self.name, "table": self.table}

    @property
    def option(self) -> tuple[str, str | None]:
        """The ``Meta`` option this sets, and its value (None: back to the default)."""
        return "db_table", self.table

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        _set_option(state.update_model(app_label, self.name).options, *self.option)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        old_state = from_state.get_model(app_label, self.name)
        new_state = to_state.get_model(app_label, self.name)
        if new_state.has_table and old_state.db_table != new_state.db_table:
            schema_editor.rename_table(old_state.db_table, new_state.db_table)
        key = (app_label, self.name_lower)
        sync_junctions(schema_editor, from_state, to_state, {key: key})

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Rename table for {self.name} to {self.table or '(default)'}"

    @property
    def migration_name_fragment(self) -> str:
        return f"alter_{self.name_lower}_table"


class AlterModelTableComment(ModelOptionOperation):
    """Change a model's table comment (``Meta.db_table_comment``), as Django 4.2's."""

    def __init__(self, name: str, table_comment: str | None) -> None:
        self.table_comment = table_comment
        super().__init__(name)

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AlterModelTableComment", [], {"name": self.name, "table_comment": self.table_comment}

    @property
    def option(self) -> tuple[str, str | None]:
        """The ``Meta`` option this sets, and its value (None: back to the default)."""
        return "db_table_comment", self.table_comment

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        _set_option(state.update_model(app_label, self.name).options, *self.option)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        old_state = from_state.get_model(app_label, self.name)
        new_state = to_state.get_model(app_label, self.name)
        if new_state.has_table:
            schema_editor.alter_table_comment(
                new_state.db_table,
                old_state.options.get("db_table_comment"),
                new_state.options.get("db_table_comment"),
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Alter {self.name} table comment"

    @property
    def migration_name_fragment(self) -> str:
        return f"alter_{self.name_lower}_table_comment"


class AlterModelOptions(ModelOptionOperation):
    """Change options that need no SQL (ordering, verbose names, get_latest_by, ...)."""

    ALTER_OPTION_KEYS = [
        "base_manager_name",
        "default_manager_name",
        "default_related_name",
        "get_latest_by",
        "managed",
        "ordering",
        "select_on_save",
        "verbose_name",
        "verbose_name_plural",
    ]

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.options = dict(options)
        super().__init__(name)

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AlterModelOptions", [], {"name": self.name, "options": self.options}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        model_state = state.update_model(app_label, self.name)
        model_state.options.update(self.options)
        for key in self.ALTER_OPTION_KEYS:
            if key not in self.options:
                model_state.options.pop(key, None)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass

    def describe(self) -> str:
        return f"Change Meta options on {self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"alter_{self.name_lower}_options"


class AlterModelManagers(ModelOptionOperation):
    """Change the managers available to ``RunPython`` (no SQL)."""

    def __init__(self, name: str, managers: Any) -> None:
        self.managers = list(managers)
        super().__init__(name)

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AlterModelManagers", [self.name, self.managers], {}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        state.update_model(app_label, self.name).managers = list(self.managers)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        pass

    def describe(self) -> str:
        return f"Change managers on {self.name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"alter_{self.name_lower}_managers"


class AlterUniqueTogether(ModelOptionOperation):
    """Change ``Meta.unique_together`` (adds and drops unique constraints)."""

    option_name = "unique_together"

    def __init__(self, name: str, unique_together: Any) -> None:
        self.unique_together = _normalize_together(unique_together)
        super().__init__(name)

    def deconstruct(self) -> tuple[str, list, dict]:
        return "AlterUniqueTogether", [], {
            "name": self.name, "unique_together": self.unique_together,
        }

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        model_state = state.update_model(app_label, self.name)
        if self.unique_together:
            model_state.options["unique_together"] = list(self.unique_together)
        else:
            model_state.options.pop("unique_together", None)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        old_state = from_state.get_model(app_label, self.name)
        new_state = to_state.get_model(app_label, self.name)
        if not new_state.has_table:
            return
        connection = schema_editor.connection
        current = schema.table_for_model_state(old_state, from_state, connection)
        old = {c.columns: c for c in schema.unique_together_constraints(old_state)}
        new = {c.columns: c for c in schema.unique_together_constraints(new_state)}
        for columns, constraint in old.items():
            if columns not in new:
                schema_editor.drop_constraint(
                    current, schema.live_unique_name(schema_editor, current.name, constraint)
                )
                current = dataclasses.replace(
                    current, constraints=tuple(c for c in current.constraints if c != constraint)
                )
        for columns, constraint in new.items():
            if columns not in old:
                schema_editor.add_constraint(current, constraint)
                current = dataclasses.replace(
                    current, constraints=(*current.constraints, constraint)
                )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def references_field(self, model_name: str, name: str, app_label: str) -> bool:
        return self.references_model(model_name, app_label) and any(
            name in entry for entry in self.unique_together
        )

    def describe(self) -> str:
        return f"Alter unique_together for {self.name} ({len(self.unique_together)} constraint(s))"

    @property
    def migration_name_fragment(self) -> str:
        return f"alter_{self.name_lower}_unique_together"
