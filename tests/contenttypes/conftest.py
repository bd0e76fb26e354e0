"""Fixtures for the contenttypes tests: the ORM on a fresh database with the test tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import orm
from backends.schema import Constraint, Index, Table
from contenttypes import ContentType

from .models import ALL_MODELS


def table_for(model, connection) -> Table:
    """``model``'s table (columns, foreign key indexes, unique_together) for the schema editor."""
    opts = model._meta
    indexes = tuple(
        Index(f"{opts.db_table}_{field.column}_ix"[:60], (field.column,))
        for field in opts.concrete_fields
        if field.db_index and not field.unique and not field.primary_key
    )
    constraints = tuple(
        Constraint(
            name=f"{opts.db_table}_uniq_{number}",
            kind="unique",
            columns=tuple(opts.get_field(name).column for name in names),
        )
        for number, names in enumerate(opts.unique_together)
    )
    return Table(
        name=opts.db_table,
        columns=tuple(field.column_description(connection) for field in opts.concrete_fields),
        indexes=indexes,
        constraints=constraints,
    )


def create_tables(*models, using: str = "default") -> None:
    """Create the tables of ``models`` on ``using`` (in order: targets first)."""
    connection = orm.connections[using]
    with connection.schema_editor() as editor:
        for model in models:
            editor.create_table(table_for(model, connection))


@pytest.fixture
def ct_db(db_url: str) -> Iterator[str]:
    """The ORM configured on a fresh database holding the contenttypes and test tables."""
    orm.configure(apps=["contenttypes"], databases={"default": db_url})
    ContentType.objects.clear_cache()
    create_tables(*ALL_MODELS)
    try:
        yield db_url
    finally:
        ContentType.objects.clear_cache()
        orm.connections.close_all()
