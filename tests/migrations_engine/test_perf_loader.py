"""The loader and CreateModel after issue 8's trims: same files found, same errors, same paths.

The loader no longer asks the import system for each file's path before
importing it (it takes the module's ``__file__``); the path is still looked
up when an import fails. CreateModel checks for duplicate field names with a
set before building the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_engine.errors import InvalidMigrationError
from migrations_engine.loader import MigrationLoader
from migrations_engine.operations import CreateModel
from tests.migrations_engine.runtime_project import Project, migration_source

CREATE_NOTE = migration_source('''
    migrations.CreateModel(
        name="Note",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("text", orm.CharField(max_length=50, null=True)),
        ],
    ),
''', initial=True)


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    yield project
    project.close()


def test_loaded_migration_path_is_its_file(project):
    folder = project.app("memo", {"0001_initial": CREATE_NOTE})
    project.configure()
    loader = MigrationLoader(project.connection)
    migration = loader.get_migration("memo", "0001_initial")
    assert Path(migration.path) == folder / "migrations" / "0001_initial.py"
    project.migrate()
    assert project.tables() == {"memo_note"}
    assert ("memo", "0001_initial") in project.applied()


def test_file_raising_at_import_names_its_path_and_runs_no_sql(project):
    folder = project.app("memo", {
        "0001_initial": CREATE_NOTE,
        "0002_broken": "import orm\nraise RuntimeError('boom at import')\n",
    })
    project.configure()
    with pytest.raises(InvalidMigrationError) as caught:
        project.migrate()
    message = str(caught.value)
    assert str(folder / "migrations" / "0002_broken.py") in message
    assert "memo.0002_broken cannot be imported" in message
    assert "RuntimeError: boom at import" in message
    assert project.tables() == set()


def test_syntax_error_names_the_file_and_line(project):
    folder = project.app("memo", {"0001_initial": "import orm\n\nclass Migration(:\n"})
    project.configure()
    with pytest.raises(InvalidMigrationError) as caught:
        project.migrate()
    message = str(caught.value)
    assert str(folder / "migrations" / "0001_initial.py") in message
    assert ":3: syntax error in migration memo.0001_initial" in message


def test_create_model_duplicate_field_names_are_listed():
    import orm

    with pytest.raises(ValueError) as caught:
        CreateModel("Note", [
            ("text", orm.CharField(max_length=5)),
            ("size", orm.IntegerField()),
            ("text", orm.TextField()),
            ("size", orm.IntegerField()),
        ])
    assert str(caught.value) == "CreateModel Note: duplicate field name(s) ['size', 'text']"


def test_create_model_without_duplicates_keeps_field_order():
    import orm

    operation = CreateModel("Note", [("b", orm.IntegerField()), ("a", orm.IntegerField())])
    assert [name for name, _field in operation.fields] == ["b", "a"]


def test_loading_keeps_objects_the_program_froze_frozen(project):
    import gc

    project.app("memo", {"0001_initial": CREATE_NOTE})
    project.configure()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        loader = MigrationLoader(project.connection)
        # Not released (unfreeze() would empty it); a few frozen objects may have died.
        assert gc.get_freeze_count() > frozen // 2
        assert ("memo", "0001_initial") in loader.disk_migrations
    finally:
        gc.unfreeze()


def test_loading_leaves_the_collector_as_it_found_it(project):
    import gc

    project.app("memo", {"0001_initial": CREATE_NOTE})
    project.configure()
    assert gc.isenabled()
    MigrationLoader(project.connection)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        MigrationLoader(project.connection)
        assert not gc.isenabled()
    finally:
        gc.enable()
    project.migrate()
    assert project.tables() == {"memo_note"}
