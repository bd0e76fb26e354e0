"""ORM test helpers: point ``orm`` at the test database and create tables for test models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import orm


def table_for(model, connection):
    """``model`` as a ``backends.schema.Table`` (columns, indexes, unique_together, constraints)."""
    from backends.schema import Constraint, Index, Table

    opts = model._meta
    columns = tuple(field.column_description(connection) for field in opts.concrete_fields)
    indexes = [index.to_schema(model, connection) for index in opts.indexes]
    for field in opts.concrete_fields:
        if field.db_index and not field.unique:
            indexes.append(
                Index(name=f"{opts.db_table}_{field.column}_idx", columns=(field.column,))
            )
    constraints = [constraint.to_schema(model, connection) for constraint in opts.constraints]
    for number, names in enumerate(opts.unique_together):
        constraints.append(
            Constraint(
                name=f"{opts.db_table}_uniq_{number}",
                kind="unique",
                columns=tuple(opts.get_field(name).column for name in names),
            )
        )
    return Table(
        name=opts.db_table,
        columns=columns,
        indexes=tuple(indexes),
        constraints=tuple(constraints),
    )


def create_tables(*models, using: str = "default") -> None:
    """Create the tables of ``models`` on the database ``using`` (dropping stale ones first)."""
    connection = orm.connections[using]
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in models:
            if model._meta.db_table in existing:
                editor.drop_table(model._meta.db_table)
            editor.create_table(table_for(model, connection))


@pytest.fixture
def orm_db(db_url: str) -> Iterator[str]:
    """Configure ``orm`` for the test database; yields the vendor's URL."""
    orm.configure(databases={"default": db_url})
    try:
        yield db_url
    finally:
        orm.connections.close_all()


@pytest.fixture
def models_db(orm_db: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """``orm_db`` with the tables of the test module's ``MODELS`` created."""
    create_tables(*request.module.MODELS)
    yield orm_db
