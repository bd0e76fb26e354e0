"""End-to-end: hand-written migrations applied and unapplied."""

from __future__ import annotations

import pytest

from tests.migrations_engine.runtime_project import Project, migration_source


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    yield project
    project.close()


def test_create_then_zero_leaves_no_table(project):
    project.app("shelf", {
        "0001_initial": migration_source('''
            migrations.CreateModel(
                name="Book",
                fields=[
                    ("id", orm.BigAutoField(primary_key=True)),
                    ("title", orm.CharField(max_length=100)),
                ],
            ),
        ''', initial=True),
    })
    project.configure()
    out = project.migrate()
    assert "Applying shelf.0001_initial... OK" in out
    assert project.tables() == {"shelf_book"}
    project.migrate("shelf", "zero")
    assert project.tables() == set()
    assert project.applied() == set()
