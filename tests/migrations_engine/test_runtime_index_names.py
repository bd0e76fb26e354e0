"""Derived index and constraint names are looked up in the database, not recomputed.

After a table rename the database keeps the old names; a later operation
that drops or renames such an index must find it by its columns.
"""

from __future__ import annotations

import io

import pytest

from migrations_engine import commands
from tests.migrations_engine.runtime_project import Project, migration_source

INITIAL = migration_source('''
    migrations.CreateModel(
        name="Note",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("text", orm.CharField(max_length=100, db_index=True)),
            ("code", orm.CharField(max_length=10)),
            ("kind", orm.IntegerField(default=0)),
        ],
        options={"unique_together": [("code", "kind")]},
    ),
''', initial=True)

RENAMED = migration_source('''
    migrations.RenameModel("Note", "Memo"),
''', dependencies=[("memo", "0001_initial")])

LATER = migration_source('''
    migrations.AlterField("memo", "text", orm.CharField(max_length=200, db_index=True)),
    migrations.RenameField("memo", "text", "body"),
    migrations.AlterUniqueTogether("memo", [("code",)]),
    migrations.AlterField("memo", "body", orm.CharField(max_length=200)),
''', dependencies=[("memo", "0002_renamed")])


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.app("memo", {"0001_initial": INITIAL, "0002_renamed": RENAMED, "0003_later": LATER})
    project.configure()
    yield project
    project.close()


def test_operations_after_a_model_rename_find_indexes_by_their_columns(project):
    project.migrate()
    introspection = project.connection.introspection
    plain = {index.columns for index in introspection.get_indexes("memo_memo") if not index.unique}
    assert ("body",) not in plain and ("text",) not in plain
    out = io.StringIO()
    assert commands.checkdb(stdout=out) == 0, out.getvalue()
    # And back down again, through the same derived names.
    project.migrate("memo", "0001")
    assert project.tables() == {"memo_note"}
    assert commands.checkdb(stdout=out) == 0, out.getvalue()
    project.migrate("memo", "zero")
    assert project.tables() == set()
