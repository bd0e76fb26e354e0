"""Model states to `backends.schema` descriptions: the tables a state describes.

Operations never build SQL: they ask this module for the `Table` (and the
junction tables of many-to-many fields) a model state describes on one
connection, and hand those to the schema editor.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from backends.schema import NOT_PROVIDED, Column, Constraint, ForeignKeyRef, Index, Table
from orm.indexes import default_index_name
from orm.model_base import _default_auto_field

from .state import ModelState, ProjectState, relation_target, resolve_relation, through_target

__all__ = [
    "table_for_model_state",
    "junction_tables_for",
    "junction_table_for_field",
    "column_for_field",
    "field_indexes",
    "bound_field",
    "field_index_name",
    "unique_together_name",
    "tables_of_state",
]


def field_index_name(table: str, column: str) -> str:
    """The name of the index a ``db_index=True`` field (or a foreign key) gets."""
    return default_index_name(table, [column], "idx")


def unique_together_name(table: str, columns: tuple[str, ...] | list[str]) -> str:
    """The name of the unique constraint of one ``unique_together`` entry."""
    return default_index_name(table, list(columns), "uniq")


def bound_field(field: Any, name: str) -> Any:
    """``field`` with ``name``/``attname``/``column`` set (unbound fields get them in place)."""
    if field.name is None:
        field.set_attributes_from_name(name)
        return field
    if field.name != name:
        field = field.clone()
        field.set_attributes_from_name(name)
    elif field.column is None:
        field.set_attributes_from_name(name)
    return field


def is_many_to_many(field: Any) -> bool:
    return bool(getattr(field, "many_to_many", False))


def has_column(field: Any) -> bool:
    """Whether the field stores a column (not many-to-many, not generic/private)."""
    return not is_many_to_many(field) and getattr(field, "concrete", True)


def _target_state(model_state: ModelState, field: Any, state: ProjectState, to: Any = None) -> ModelState:
    """The state of the model ``field`` points at (``to``: its target when the caller has it)."""
    if to is None:
        to = relation_target(field)
    app_label, model_name = resolve_relation(model_state.app_label, model_state.name, to)
    # resolve_relation lowercases the name: look the key up directly rather than via get_model.
    target = state.models.get((app_label, model_name))
    if target is None:
        raise KeyError(
            f"{model_state.label}.{field.name}: related model {app_label}.{model_name} is not "
            "in the migration state; add a dependency on the migration that creates it"
        )
    return target


def _target_field(target: ModelState, field: Any) -> tuple[str, Any]:
    remote = getattr(field, "remote_field", None)
    to_field = getattr(remote, "field_name", None) if remote is not None else None
    if to_field is None and not hasattr(field, "to_field"):
        to_field = field.deconstruct()[3].get("to_field")
    name = to_field or target.pk_name()
    if target.is_proxy:
        return name, None
    return name, bound_field(target.get_field(name), name)


def _concrete_target(target: ModelState, state: ProjectState) -> ModelState:
    """Follow proxies to the model that owns the table."""
    seen = 0
    while target.is_proxy and target.bases and seen < 20:
        app_label, model_name = resolve_relation(target.app_label, target.name, target.bases[0])
        target = state.get_model(app_label, model_name)
        seen += 1
    return target


def column_for_field(
    model_state: ModelState, name: str, field: Any, state: ProjectState, connection: Any
) -> Column:
    """The column a field of ``model_state`` stores (foreign keys resolved through ``state``)."""
    if field.name != name or field.column is None:
        field = bound_field(field, name)
    if getattr(field, "generated", False):
        return _generated_column(model_state, name, state, connection)
    if not field.is_relation or relation_target(field) is None:
        return field.column_description(connection)
    return _relation_column(model_state, name, field, state, connection)


def _generated_column(model_state: ModelState, name: str, state: ProjectState, connection: Any) -> Column:
    """The column of a ``GeneratedField``: its expression compiled over the historical model."""
    model = state.apps.get_model(model_state.app_label, model_state.name)
    return model._meta.get_field(name).column_description(connection)


def _relation_column(
    model_state: ModelState, name: str, field: Any, state: ProjectState, connection: Any, to: Any = None
) -> Column:
    """The column of a bound foreign key (or one-to-one) field: its target's key type."""
    target = _target_state(model_state, field, state, to)
    if target.options.get("proxy"):
        target = _concrete_target(target, state)
    target_name, target_field = _target_field(target, field)
    if target_field is None:
        raise KeyError(f"{model_state.label}.{name}: target {target.label} has no table")
    db_constraint = getattr(field, "db_constraint", None)
    if db_constraint is None:
        db_constraint = field.deconstruct()[3].get("db_constraint", True)
    # Deferrable where the backend can, as the live field's own column_description makes it.
    # Positional arguments: a keyword call of these generated constructors costs a third more.
    reference = (
        ForeignKeyRef(
            target.db_table, target_field.column, bool(connection.dialect.supports_deferrable_constraints)
        )
        if db_constraint
        else None
    )
    column_type = target_field.rel_db_type(connection)
    default = NOT_PROVIDED
    db_default = getattr(field, "db_default", NOT_PROVIDED)
    if db_default is not NOT_PROVIDED and type(db_default).__name__ != "_NotProvided":
        default = target_field.get_db_prep_value(db_default, connection)
    primary_key = field.primary_key
    # name, type, null, primary_key, autoincrement, unique, default, db_default_sql, check_sql, references
    return Column(
        field.column,
        column_type,
        field.null,
        primary_key,
        False,
        bool(field.unique) and not primary_key,
        default,
        None,
        None,
        reference,
    )


def field_indexes(table: str, name: str, field: Any) -> list[Index]:
    """The single-column index a field asks for (``db_index``, foreign keys)."""
    field = bound_field(field, name)
    if not has_column(field) or field.primary_key or field.unique or not field.db_index:
        return []
    return [Index(field_index_name(table, field.column), (field.column,))]


def _column_of(model_state: ModelState, field_name: str) -> str:
    return bound_field(model_state.get_field(field_name), field_name).column


def _meta_index(model_state: ModelState, index: Any, state: ProjectState, connection: Any) -> Index:
    if getattr(index, "condition", None) is not None or getattr(index, "expressions", None):
        model = state.apps.get_model(model_state.app_label, model_state.name)
        return index.to_schema(model, connection)
    columns = tuple(_column_of(model_state, field_name) for field_name in index.field_names)
    orders = tuple(index.orders) if any(order == "DESC" for order in index.orders) else ()
    return Index(index.name, columns, False, None, orders)


def _meta_constraint(
    model_state: ModelState, constraint: Any, state: ProjectState, connection: Any
) -> Constraint:
    if (
        getattr(constraint, "condition", None) is not None
        or not hasattr(constraint, "fields")
        or getattr(constraint, "expressions", None)
    ):
        model = state.apps.get_model(model_state.app_label, model_state.name)
        return constraint.to_schema(model, connection)
    columns = tuple(_column_of(model_state, field_name) for field_name in constraint.fields)
    deferrable = getattr(constraint, "deferrable", None)
    if deferrable is not None:
        return Constraint(constraint.name, "unique", columns, deferrable=deferrable.value)
    return Constraint(constraint.name, "unique", columns)


def index_description(
    model_state: ModelState, index: Any, state: ProjectState, connection: Any
) -> Index:
    """A Meta index of ``model_state`` as ``backends.schema.Index``."""
    return _meta_index(model_state, index, state, connection)


def constraint_description(
    model_state: ModelState, constraint: Any, state: ProjectState, connection: Any
) -> Constraint:
    """A Meta constraint of ``model_state`` as ``backends.schema.Constraint``."""
    return _meta_constraint(model_state, constraint, state, connection)


def unique_together_constraints(model_state: ModelState) -> list[Constraint]:
    """One unique constraint per ``unique_together`` entry."""
    table = model_state.db_table
    result = []
    for names in model_state.options.get("unique_together") or []:
        columns = tuple(_column_of(model_state, name) for name in names)
        result.append(Constraint(unique_together_name(table, columns), "unique", columns))
    return result


def table_for_model_state(
    model_state: ModelState, project_state: ProjectState, connection: Any
) -> Table:
    """The table ``model_state`` describes: columns, field and Meta indexes, constraints."""
    table = model_state.db_table
    columns = []
    indexes: list[Index] = []
    # column_for_field and field_indexes inlined: this runs for every field of every
    # CreateModel of a migrate.
    for name, field in model_state.fields.items():
        try:
            skip = field.many_to_many or not field.concrete
        except AttributeError:
            skip = getattr(field, "many_to_many", False) or not getattr(field, "concrete", True)
        if skip:
            continue
        if field.name is None:
            field.set_attributes_from_name(name)
        elif field.name != name or field.column is None:
            field = bound_field(field, name)
        to = relation_target(field) if field.is_relation else None
        if to is not None:
            columns.append(_relation_column(model_state, name, field, project_state, connection, to))
        elif field.generated:
            columns.append(_generated_column(model_state, name, project_state, connection))
        else:
            columns.append(field.column_description(connection))
        if field.db_index and not field.primary_key and not field.unique:
            column = field.column
            indexes.append(Index(default_index_name(table, [column], "idx"), (column,)))
    options = model_state.options
    if options:
        for index in options.get("indexes") or ():
            indexes.append(_meta_index(model_state, index, project_state, connection))
        constraints = unique_together_constraints(model_state)
        for constraint in options.get("constraints") or ():
            constraints.append(_meta_constraint(model_state, constraint, project_state, connection))
        comment = options.get("db_table_comment") or None
        if comment is not None and not connection.dialect.supports_comments:
            comment = None
        return Table(table, tuple(columns), tuple(indexes), tuple(constraints), comment)
    return Table(table, tuple(columns), tuple(indexes))


def junction_table_for_field(
    model_state: ModelState, name: str, field: Any, state: ProjectState, connection: Any
) -> Table | None:
    """The automatic junction table of one many-to-many field (None with ``through``).

    The field describes its own junction (``junction_table_from_state``), so the
    table migrations create is the one the live model's junction uses.
    """
    if not is_many_to_many(field) or through_target(field) is not None:
        return None
    field = bound_field(field, name)
    target = _concrete_target(_target_state(model_state, field, state), state)
    source = _concrete_target(model_state, state)
    id_field = _default_auto_field()(primary_key=True)
    id_field.set_attributes_from_name("id")
    sides = []
    for side in (source, target):
        pk_name = side.pk_name()
        pk = bound_field(side.get_field(pk_name), pk_name)
        sides.append((side.name_lower, side.db_table, pk.column, pk.rel_db_type(connection)))
    return field.junction_table_from_state(
        connection, sides[0], sides[1], id_field.column_description(connection)
    )


def junction_tables_for(
    model_state: ModelState, project_state: ProjectState, connection: Any
) -> list[Table]:
    """The automatic junction tables of every many-to-many field of ``model_state``."""
    tables = []
    for name, field in model_state.fields.items():
        try:
            many_to_many = field.many_to_many  # an attribute read: cheaper than getattr() per field
        except AttributeError:
            continue
        if not many_to_many:
            continue
        junction = junction_table_for_field(model_state, name, field, project_state, connection)
        if junction is not None:
            tables.append(junction)
    return tables


def tables_of_state(state: ProjectState, connection: Any, app_labels: Any = None) -> list[Table]:
    """Every table (model tables and junctions) the state describes."""
    tables = []
    for model_state in state.models.values():
        if app_labels is not None and model_state.app_label not in app_labels:
            continue
        if not model_state.has_table:
            continue
        tables.append(table_for_model_state(model_state, state, connection))
        tables.extend(junction_tables_for(model_state, state, connection))
    return tables


def without_default(column: Column) -> Column:
    """``column`` with no DEFAULT."""
    return dataclasses.replace(column, default=NOT_PROVIDED)


def live_index_name(
    schema_editor: Any, table: str, index: Index, exclude: Any = ()
) -> str:
    """The name the database gives the plain index on ``index.columns`` (``index.name`` if none).

    Derived names follow the table: after a table rename the database keeps
    the old ones, so an operation dropping or renaming a derived index asks
    the database which name it has. While collecting SQL (``sqlmigrate``) the
    derived name is all there is.
    """
    if schema_editor.collect_sql:
        return index.name
    matches = [
        live.name for live in schema_editor.connection.introspection.get_indexes(table)
        if not live.unique and not live.expressions and tuple(live.columns) == tuple(index.columns)
        and live.name
        and live.name not in exclude  # the model's own named indexes on the same columns
    ]
    return index.name if index.name in matches or not matches else matches[0]


def live_unique_name(schema_editor: Any, table: str, constraint: Constraint) -> Constraint:
    """``constraint`` named as the database names the unique constraint on its columns."""
    if schema_editor.collect_sql:
        return constraint
    introspection = schema_editor.connection.introspection
    names = [
        live.name for live in introspection.get_constraints(table)
        if live.kind == "unique" and tuple(live.columns) == tuple(constraint.columns) and live.name
    ] + [
        live.name for live in introspection.get_indexes(table)
        if live.unique and not live.expressions and tuple(live.columns) == tuple(constraint.columns)
        and live.name
    ]
    if not names or constraint.name in names:
        return constraint
    return dataclasses.replace(constraint, name=names[0])
