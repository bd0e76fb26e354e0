"""Operations on one field of a model: add, remove, alter, rename."""

from __future__ import annotations

import dataclasses
from typing import Any

from backends.schema import NOT_PROVIDED
from orm.fields.base import NOT_PROVIDED as NO_FIELD_DEFAULT
from orm.indexes import referenced_fields

from .. import schema
from ..state import ProjectState, relation_target, resolve_relation
from .base import Operation
from .models import table_of

__all__ = ["FieldOperation", "AddField", "RemoveField", "AlterField", "RenameField"]


class FieldOperation(Operation):
    """An operation on field ``name`` of model ``model_name``."""

    def __init__(self, model_name: str, name: str, field: Any = None) -> None:
        self.model_name = model_name
        self.name = name
        self.field = field

    @property
    def model_name_lower(self) -> str:
        return self.model_name.lower()

    @property
    def name_lower(self) -> str:
        return self.name.lower()

    def router_model_name(self) -> str | None:
        return self.model_name_lower

    def is_same_field_operation(self, other: Operation) -> bool:
        return (
            getattr(other, "model_name_lower", None) == self.model_name_lower
            and getattr(other, "name_lower", None) == self.name_lower
        )

    def references_model(self, name: str, app_label: str) -> bool:
        if name.lower() == self.model_name_lower:
            return True
        to = relation_target(self.field) if self.field is not None else None
        return to is not None and resolve_relation(app_label, self.model_name, to) == (
            app_label, name.lower(),
        )

    def references_field(self, model_name: str, name: str, app_label: str) -> bool:
        if model_name.lower() == self.model_name_lower:
            return name.lower() == self.name_lower
        return self.references_model(model_name, app_label) and self.field is not None and (
            relation_target(self.field) is not None
        )

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        from .models import renames_a_referenced_model

        result = super().reduce(other, app_label)
        if result:
            return result
        if renames_a_referenced_model(self, other, app_label):
            return False
        return not other.references_field(self.model_name, self.name, app_label)


def _add_field_to_database(
    operation: FieldOperation,
    app_label: str,
    schema_editor: Any,
    from_state: ProjectState,
    to_state: ProjectState,
) -> None:
    """Add the column (or junction table) of ``operation.name`` as ``to_state`` describes it."""
    model_state = to_state.get_model(app_label, operation.model_name)
    if not model_state.has_table:
        return
    connection = schema_editor.connection
    field = schema.bound_field(model_state.get_field(operation.name), operation.name)
    if schema.is_many_to_many(field):
        junction = schema.junction_table_for_field(
            model_state, operation.name, field, to_state, connection
        )
        if junction is not None:
            schema_editor.create_table(junction)
        return
    if not schema.has_column(field):
        return
    current = table_of(from_state, app_label, operation.model_name, connection)
    column = schema.column_for_field(model_state, operation.name, field, to_state, connection)
    # The operation's own field may carry a one-off default the state dropped.
    source_field = operation.field if operation.field is not None else field
    one_off = (
        column.default is NOT_PROVIDED
        and column.db_default_sql is None
        and not column.null
        and source_field.has_default()
    )
    if one_off:
        value = source_field.get_default()
        value = source_field.get_db_prep_save(value, connection)
        with_default = dataclasses.replace(column, default=value)
        schema_editor.add_column(current, with_default)
        after = dataclasses.replace(current, columns=(*current.columns, with_default))
        # Python defaults are not database defaults: drop it once the rows are filled.
        schema_editor.alter_column(after, with_default, column)
    else:
        schema_editor.add_column(current, column)
    for index in schema.field_indexes(model_state.db_table, operation.name, field):
        schema_editor.create_index(model_state.db_table, index)


def _remove_field_from_database(
    operation: FieldOperation,
    app_label: str,
    schema_editor: Any,
    from_state: ProjectState,
    name: str,
) -> None:
    """Drop the column (or junction table) of field ``name`` described in ``from_state``."""
    model_state = from_state.get_model(app_label, operation.model_name)
    if not model_state.has_table:
        return
    connection = schema_editor.connection
    field = schema.bound_field(model_state.get_field(name), name)
    if schema.is_many_to_many(field):
        junction = schema.junction_table_for_field(model_state, name, field, from_state, connection)
        if junction is not None:
            schema_editor.drop_table(junction.name)
        return
    if not schema.has_column(field):
        return
    current = table_of(from_state, app_label, operation.model_name, connection)
    schema_editor.drop_column(current, field.column)


class _FieldDefinitionOperation(FieldOperation):
    """An operation carrying a field definition (``AddField``, ``AlterField``).

    ``preserve_default=False`` marks a one-off default (used to fill existing
    rows) that the state does not keep.
    """

    def __init__(self, model_name: str, name: str, field: Any, preserve_default: bool = True):
        super().__init__(model_name, name, field)
        self.preserve_default = preserve_default

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, Any] = {
            "model_name": self.model_name, "name": self.name, "field": self.field,
        }
        if not self.preserve_default:
            kwargs["preserve_default"] = self.preserve_default
        return type(self).__name__, [], kwargs


class AddField(_FieldDefinitionOperation):
    """Add a field (a column, or a junction table for many-to-many)."""

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        model_state = state.get_model(app_label, self.model_name)
        if self.name in model_state.fields:
            raise KeyError(f"model {model_state.label} already has a field {self.name!r}")
        field = self.field
        if not self.preserve_default:
            field = field.clone()
            field.default = NO_FIELD_DEFAULT
        state.update_model(app_label, self.model_name).fields[self.name] = field

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        _add_field_to_database(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        _remove_field_from_database(self, app_label, schema_editor, from_state, self.name)

    def describe(self) -> str:
        return f"Add field {self.name} to {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name_lower}_{self.name_lower}"

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if isinstance(other, FieldOperation) and self.is_same_field_operation(other):
            if isinstance(other, AlterField):
                return [AddField(self.model_name, self.name, other.field)]
            if isinstance(other, RemoveField):
                return []
            if isinstance(other, RenameField):
                return [AddField(self.model_name, other.new_name, self.field)]
        return super().reduce(other, app_label)


class RemoveField(FieldOperation):
    """Remove a field (drops its column or junction table: data is lost)."""

    is_destructive = True

    def deconstruct(self) -> tuple[str, list, dict]:
        return "RemoveField", [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        current = state.get_model(app_label, self.model_name)
        current.get_field(self.name)
        users = _option_users(current.options, self.name)
        if users:
            raise KeyError(
                f"field {current.label}.{self.name} is still used by {', '.join(users)}; "
                "remove or alter those first"
            )
        model_state = state.update_model(app_label, self.model_name)
        del model_state.fields[self.name]

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        _remove_field_from_database(self, app_label, schema_editor, from_state, self.name)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        _add_field_to_database(self, app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Remove field {self.name} from {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"remove_{self.model_name_lower}_{self.name_lower}"

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        from .models import DeleteModel

        if isinstance(other, DeleteModel) and other.name_lower == self.model_name_lower:
            return [other]
        return super().reduce(other, app_label)


class AlterField(_FieldDefinitionOperation):
    """Change a field's definition (type, null, default, unique, index, target...)."""

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        state.get_model(app_label, self.model_name).get_field(self.name)
        field = self.field
        if not self.preserve_default:
            field = field.clone()
            field.default = NO_FIELD_DEFAULT
        state.update_model(app_label, self.model_name).fields[self.name] = field

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._alter(app_label, schema_editor, from_state, to_state, forwards=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._alter(app_label, schema_editor, from_state, to_state, forwards=False)

    def _alter(self, app_label, schema_editor, from_state, to_state, forwards: bool) -> None:
        old_state = from_state.get_model(app_label, self.model_name)
        new_state = to_state.get_model(app_label, self.model_name)
        if not new_state.has_table:
            return
        connection = schema_editor.connection
        old_field = schema.bound_field(old_state.get_field(self.name), self.name)
        new_field = schema.bound_field(new_state.get_field(self.name), self.name)
        old_m2m, new_m2m = schema.is_many_to_many(old_field), schema.is_many_to_many(new_field)
        if old_m2m or new_m2m:
            if old_m2m != new_m2m:
                raise ValueError(
                    f"{new_state.label}.{self.name}: cannot alter a many-to-many field into a "
                    "column or back; remove the field and add a new one instead"
                )
            old_junction = schema.junction_table_for_field(
                old_state, self.name, old_field, from_state, connection
            )
            new_junction = schema.junction_table_for_field(
                new_state, self.name, new_field, to_state, connection
            )
            if old_junction and new_junction and old_junction.name != new_junction.name:
                schema_editor.rename_table(old_junction.name, new_junction.name)
            return
        table = new_state.db_table
        current = table_of(from_state, app_label, self.model_name, connection)
        old_column = schema.column_for_field(old_state, self.name, old_field, from_state, connection)
        new_column = schema.column_for_field(new_state, self.name, new_field, to_state, connection)
        if getattr(old_field, "generated", False) or getattr(new_field, "generated", False):
            if old_column != new_column:
                _replace_generated_column(schema_editor, current, old_column, new_column)
                for index in schema.field_indexes(table, self.name, new_field):
                    schema_editor.create_index(table, index)
            return
        # Columns of other tables (or of this one) pointing at this column: (table, before, after),
        # with the tables' current descriptions in `others` (a SQLite rebuild needs them whole).
        incoming: list[tuple[str, Any, Any]] = []
        others: dict[str, Any] = {table: current}
        if _may_be_referenced(old_field) or _may_be_referenced(new_field):
            for other, before, after in _incoming_changes(
                app_label, self.model_name, from_state, to_state, connection
            ):
                if other.name == table and before.name in (old_column.name, new_column.name):
                    continue
                others.setdefault(other.name, other)
                incoming.append((other.name, before, after))
            if not schema_editor.alters_referenced_columns_in_place:
                for position, (name, before, after) in enumerate(incoming):
                    if before.references is not None:
                        unreferenced = dataclasses.replace(before, references=None)
                        schema_editor.alter_column(others[name], before, unreferenced)
                        others[name] = _replace_column(others[name], before.name, unreferenced)
                        incoming[position] = (name, unreferenced, after)
            current = others[table]
        old_indexes = {i.name: i for i in schema.field_indexes(table, self.name, old_field)}
        new_indexes = {i.name: i for i in schema.field_indexes(table, self.name, new_field)}
        # A new target alone keeps the index (MySQL refuses to drop one a foreign key needs).
        column_changed = dataclasses.replace(old_column, references=None) != dataclasses.replace(
            new_column, references=None
        )
        if column_changed and old_indexes and new_indexes and dataclasses.replace(
            old_column, name=new_column.name, references=None
        ) == dataclasses.replace(new_column, references=None):
            # Only the column's name changes: RENAME COLUMN carries its index along (under
            # its old name, found by its columns later); MySQL cannot drop an index a
            # foreign key needs, so it is kept rather than dropped and created again.
            current = dataclasses.replace(current, indexes=tuple(
                dataclasses.replace(i, columns=(new_column.name,)) if i.name in old_indexes
                else i for i in current.indexes
            ))
            old_indexes, new_indexes = {}, {}
        for name, index in old_indexes.items():
            if name not in new_indexes or column_changed:
                named = {i.name for i in old_state.options.get("indexes", ())}
                schema_editor.drop_index(
                    table, schema.live_index_name(schema_editor, table, index, named)
                )
                current = dataclasses.replace(
                    current, indexes=tuple(i for i in current.indexes if i.name != name)
                )
        if old_column != new_column:
            # Forwards, the operation's field may carry a one-off default the state dropped.
            source_field = self.field if forwards and self.field is not None else new_field
            if old_column.null and not new_column.null and source_field.has_default():
                # Change the type first (still nullable), then fill the NULLs, then NOT NULL.
                nullable = dataclasses.replace(new_column, null=True)
                if nullable != old_column:
                    schema_editor.alter_column(current, old_column, nullable)
                    current = _replace_column(current, old_column.name, nullable)
                value = source_field.get_db_prep_save(source_field.get_default(), connection)
                quote = schema_editor.quote_name
                schema_editor.execute(
                    f"UPDATE {quote(table)} SET {quote(nullable.name)} = %s "
                    f"WHERE {quote(nullable.name)} IS NULL",
                    [value],
                )
                old_column = nullable
            schema_editor.alter_column(current, old_column, new_column)
            current = _replace_column(current, old_column.name, new_column)
        for name, index in new_indexes.items():
            if name not in old_indexes or column_changed:
                schema_editor.create_index(table, index)
        # The columns that point at this one follow its new type (and get their keys back).
        others[table] = current
        for name, before, after in incoming:
            schema_editor.alter_column(others[name], before, after)
            others[name] = _replace_column(others[name], before.name, after)

    def describe(self) -> str:
        return f"Alter field {self.name} on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"alter_{self.model_name_lower}_{self.name_lower}"

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if isinstance(other, FieldOperation) and self.is_same_field_operation(other):
            if isinstance(other, (AlterField, RemoveField)):
                return [other]
            if isinstance(other, RenameField):
                return [other, AlterField(self.model_name, other.new_name, self.field)]
        return super().reduce(other, app_label)


def _replace_generated_column(schema_editor: Any, current: Any, old_column: Any, new_column: Any) -> None:
    """Drop ``old_column`` and add ``new_column``: a generated column cannot be altered (as Django)."""
    schema_editor.drop_column(current, old_column.name)
    name = old_column.name
    remaining = dataclasses.replace(
        current,
        columns=tuple(column for column in current.columns if column.name != name),
        indexes=tuple(index for index in current.indexes if name not in index.columns),
        constraints=tuple(c for c in current.constraints if name not in c.columns),
    )
    schema_editor.add_column(remaining, new_column)


def _rename_in_options(options: dict[str, Any], old: str, new: str) -> None:
    def rename(names: Any) -> Any:
        return type(names)(new if name == old else name for name in names)

    if options.get("unique_together"):
        options["unique_together"] = [rename(tuple(entry)) for entry in options["unique_together"]]
    indexes = []
    for index in options.get("indexes") or []:
        if old in index.field_names:
            path, args, kwargs = index.deconstruct()
            kwargs["fields"] = [
                ("-" if field.startswith("-") else "") + (new if field.lstrip("-") == old else
                                                          field.lstrip("-"))
                for field in kwargs["fields"]
            ]
            index = type(index)(*args, **kwargs)
        elif index.expressions:
            index = _renamed_expressions(index, old, new)
        indexes.append(index)
    if indexes:
        options["indexes"] = indexes
    constraints = []
    for constraint in options.get("constraints") or []:
        path, args, kwargs = constraint.deconstruct()
        changed = False
        if old in kwargs.get("fields", ()):
            kwargs["fields"] = rename(list(kwargs["fields"]))
            changed = True
        if kwargs.get("condition") is not None:
            condition = _rename_in_condition(kwargs["condition"], old, new)
            changed = changed or condition is not kwargs["condition"]
            kwargs["condition"] = condition
        constraint = type(constraint)(*args, **kwargs) if changed else constraint
        if getattr(constraint, "expressions", ()):
            constraint = _renamed_expressions(constraint, old, new)
        constraints.append(constraint)
    if constraints:
        options["constraints"] = constraints


def _renamed_expressions(item: Any, old: str, new: str) -> Any:
    """An index or unique constraint on expressions with field ``old`` named ``new`` in them."""
    _path, args, kwargs = item.deconstruct()
    renamed = tuple(_rename_in_expression(expression, old, new) for expression in args)
    if kwargs.get("condition") is not None:
        kwargs["condition"] = _rename_in_condition(kwargs["condition"], old, new)
    if all(a is b for a, b in zip(renamed, args)) and kwargs.get("condition") is getattr(item, "condition", None):
        return item
    return type(item)(*renamed, **kwargs)


def _may_be_referenced(field: Any) -> bool:
    """Whether foreign keys may point at ``field``'s column (a primary key or a unique one)."""
    return bool(getattr(field, "primary_key", False) or getattr(field, "unique", False))


def _incoming_changes(
    app_label: str, model_name: str, from_state: ProjectState, to_state: ProjectState, connection: Any
) -> list[tuple[Any, Any, Any]]:
    """``(table, column before, column after)`` of the columns pointing at this model that change.

    A foreign key's column takes its type from the field it points at, so
    altering that field (``AutoField`` to ``BigAutoField``, a longer key)
    changes the columns of other tables, junction tables included.
    """
    key = (app_label, model_name.lower())
    own_table = to_state.get_model(app_label, model_name).db_table
    before = {table.name: table for table in _tables_pointing_at(from_state, key, connection)}
    changes = []
    for table in _tables_pointing_at(to_state, key, connection):
        old_table = before.get(table.name)
        if old_table is None:
            continue
        old_columns = {column.name: column for column in old_table.columns}
        for column in table.columns:
            old_column = old_columns.get(column.name)
            if (
                old_column is not None
                and old_column != column
                and column.references is not None
                and column.references.table == own_table
                and not column.primary_key
            ):
                changes.append((old_table, old_column, column))
    return changes


def _tables_pointing_at(state: ProjectState, key: tuple[str, str], connection: Any) -> list[Any]:
    """The tables of the models with a relation to ``key``, and the junction tables touching it."""
    from .models import junction_map

    tables = [
        schema.table_for_model_state(model_state, state, connection)
        for model_state in state.related_models(*key)
        if model_state.has_table
    ]
    return tables + list(junction_map(state, connection, {key}).values())


def _replace_column(table: Any, name: str, column: Any) -> Any:
    """``table`` with its column ``name`` replaced by ``column``."""
    return dataclasses.replace(
        table, columns=tuple(column if c.name == name else c for c in table.columns)
    )


def _option_users(options: dict[str, Any], name: str) -> list[str]:
    """The indexes, constraints and unique_together entries that name field ``name``."""
    users = [
        f"unique_together {tuple(entry)!r}"
        for entry in options.get("unique_together") or [] if name in entry
    ]
    users += [
        f"index {index.name!r}" for index in options.get("indexes") or []
        if name in index.field_names or name in referenced_fields(index.expressions)
    ]
    users += [
        f"constraint {constraint.name!r}" for constraint in options.get("constraints") or []
        if name in getattr(constraint, "fields", ())
        or name in referenced_fields(getattr(constraint, "expressions", ()))
    ]
    return users


def _rename_in_condition(condition: Any, old: str, new: str) -> Any:
    """A copy of a ``Q`` whose lookups on field ``old`` name ``new`` (the same object if none)."""
    import copy

    children = getattr(condition, "children", None)
    if children is None:
        return condition
    renamed = []
    changed = False
    for child in children:
        if isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], str):
            head, sep, rest = child[0].partition("__")
            if head == old:
                child = (new + sep + rest, child[1])
                changed = True
        elif hasattr(child, "children"):
            new_child = _rename_in_condition(child, old, new)
            changed = changed or new_child is not child
            child = new_child
        renamed.append(child)
    if not changed:
        return condition
    result = copy.copy(condition)
    result.children = renamed
    return result


def _rename_in_generated_fields(fields: dict[str, Any], old: str, new: str) -> None:
    """Point the expressions of the model's generated fields at field ``new`` instead of ``old``.

    The column keeps computing the same thing (the databases rename the
    column inside the expression too), so the state must say so, or the
    model's next description would name a field that is gone.
    """
    for name, field in list(fields.items()):
        if not getattr(field, "generated", False):
            continue
        expression = _rename_in_expression(field.expression, old, new)
        if expression is not field.expression:
            _name, _path, args, kwargs = field.deconstruct()
            fields[name] = type(field)(*args, **{**kwargs, "expression": expression})


def _renamed_reference(value: Any, old: str, new: str) -> Any:
    """A field reference (``"price"``, ``"price__lower"``) renamed, else ``value`` itself."""
    head, sep, rest = value.partition("__")
    return new + sep + rest if head == old else value


def _rename_in_expression(expression: Any, old: str, new: str) -> Any:
    """A copy of ``expression`` whose references to field ``old`` name ``new`` (itself if none)."""
    from orm.query.expressions import F, RawSQL, Value
    from orm.query.q import Q

    if type(expression) is F:
        renamed = _renamed_reference(expression.name, old, new)
        return expression if renamed == expression.name else F(renamed)
    if isinstance(expression, Q):
        return _rename_in_condition(expression, old, new)
    if isinstance(expression, (Value, RawSQL)) or not hasattr(expression, "resolve_expression"):
        return expression
    _path, args, kwargs = expression.deconstruct()

    def rename(value: Any) -> Any:
        if isinstance(value, str):
            return _renamed_reference(value, old, new)  # a function's field argument
        if isinstance(value, (list, tuple)):
            return type(value)(rename(item) for item in value)
        return _rename_in_expression(value, old, new)

    new_args = [rename(value) for value in args]
    new_kwargs = {
        key: value if key == "output_field" else _rename_in_expression(value, old, new)
        for key, value in kwargs.items()
    }
    changed = any(a is not b for a, b in zip(new_args, args)) or any(
        new_kwargs[key] is not kwargs[key] for key in kwargs
    )
    return type(expression)(*new_args, **new_kwargs) if changed else expression


class RenameField(FieldOperation):
    """Rename a field (its column too, unless ``db_column`` pins it)."""

    def __init__(self, model_name: str, old_name: str, new_name: str) -> None:
        self.old_name = old_name
        self.new_name = new_name
        super().__init__(model_name, old_name)

    @property
    def old_name_lower(self) -> str:
        return self.old_name.lower()

    @property
    def new_name_lower(self) -> str:
        return self.new_name.lower()

    def deconstruct(self) -> tuple[str, list, dict]:
        return "RenameField", [], {
            "model_name": self.model_name, "old_name": self.old_name, "new_name": self.new_name,
        }

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        current = state.get_model(app_label, self.model_name)
        current.get_field(self.old_name)
        if self.new_name in current.fields:
            raise KeyError(f"model {current.label} already has a field {self.new_name!r}")
        model_state = state.update_model(app_label, self.model_name)
        model_state.fields = {
            (self.new_name if name == self.old_name else name):
            (field.clone() if name == self.old_name else field)
            for name, field in model_state.fields.items()
        }
        _rename_in_options(model_state.options, self.old_name, self.new_name)
        _rename_in_generated_fields(model_state.fields, self.old_name, self.new_name)

    def _rename(self, app_label, schema_editor, from_state, to_state, old, new) -> None:
        old_state = from_state.get_model(app_label, self.model_name)
        new_state = to_state.get_model(app_label, self.model_name)
        if not new_state.has_table:
            return
        connection = schema_editor.connection
        old_field = schema.bound_field(old_state.get_field(old), old)
        new_field = schema.bound_field(new_state.get_field(new), new)
        if schema.is_many_to_many(old_field):
            old_junction = schema.junction_table_for_field(
                old_state, old, old_field, from_state, connection
            )
            new_junction = schema.junction_table_for_field(
                new_state, new, new_field, to_state, connection
            )
            if old_junction and new_junction and old_junction.name != new_junction.name:
                schema_editor.rename_table(old_junction.name, new_junction.name)
            return
        if not schema.has_column(old_field) or old_field.column == new_field.column:
            return
        table = new_state.db_table
        current = table_of(from_state, app_label, self.model_name, connection)
        old_column = current.column(old_field.column)
        old_indexes = schema.field_indexes(table, old, old_field)
        named = {i.name for i in old_state.options.get("indexes", ())}
        old_names = [schema.live_index_name(schema_editor, table, i, named) for i in old_indexes]
        schema_editor.alter_column(
            current, old_column, dataclasses.replace(old_column, name=new_field.column)
        )
        new_indexes = schema.field_indexes(table, new, new_field)
        for old_name, new_index in zip(old_names, new_indexes):
            if old_name != new_index.name:
                schema_editor.rename_index(table, old_name, new_index.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._rename(app_label, schema_editor, from_state, to_state, self.old_name, self.new_name)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._rename(app_label, schema_editor, from_state, to_state, self.new_name, self.old_name)

    def describe(self) -> str:
        return f"Rename field {self.old_name} on {self.model_name} to {self.new_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rename_{self.old_name_lower}_{self.model_name_lower}_{self.new_name_lower}"

    def references_field(self, model_name: str, name: str, app_label: str) -> bool:
        return self.references_model(model_name, app_label) and name.lower() in (
            self.old_name_lower, self.new_name_lower,
        )

    def reduce(self, other: Operation, app_label: str) -> list[Operation] | bool:
        if (
            isinstance(other, RenameField)
            and other.model_name_lower == self.model_name_lower
            and self.new_name_lower == other.old_name_lower
        ):
            return [RenameField(self.model_name, self.old_name, other.new_name)]
        # Skip FieldOperation.reduce: other may reference the new name.
        return Operation.reduce(self, other, app_label) or not (
            other.references_field(self.model_name, self.old_name, app_label)
            or other.references_field(self.model_name, self.new_name, app_label)
        )
