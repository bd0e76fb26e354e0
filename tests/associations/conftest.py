"""Fixtures for the associations tests: a configured ORM with the tables of given models."""

from __future__ import annotations

import pytest

import backends
import orm
from backends.schema import Index, Table


def model_tables(models, connection) -> list[Table]:
    """The tables of ``models`` plus their auto-created junction tables."""
    tables = []
    for model in models:
        opts = model._meta
        tables.append(
            Table(
                name=opts.db_table,
                columns=tuple(field.column_description(connection) for field in opts.concrete_fields),
                indexes=tuple(
                    Index(f"{opts.db_table}_{field.column}_ix"[:60], (field.column,))
                    for field in opts.concrete_fields
                    if field.db_index and not field.unique and not field.primary_key
                ),
            )
        )
        for field in opts.local_many_to_many:
            junction = field.junction_table_description(connection)
            if junction is not None:
                tables.append(junction)
    return tables


def create_tables(url: str, models) -> None:
    """Create the tables of ``models`` (in one schema editor, so key cycles work)."""
    connection = backends.connect(url)
    try:
        with connection.schema_editor() as editor:
            for table in model_tables(models, connection):
                editor.create_table(table)
    finally:
        connection.close()


@pytest.fixture
def setup_models(db_url):
    """``setup_models(*models)``: point the ORM at a fresh database holding those tables."""

    def setup(*models):
        create_tables(db_url, models)
        orm.configure(apps=[], databases={"default": db_url})
        return db_url

    yield setup
    orm.connections.close_all()


@pytest.fixture(scope="package", autouse=True)
def forget_test_models():
    """After these tests, drop their models from the registry (their apps are not installed)."""
    yield
    from orm.registry import registry

    for label in [label for label in registry.all_models if label.startswith("assoc")]:
        registry.all_models.pop(label, None)
