"""A deferrable ``UniqueConstraint`` through makemigrations and migrate, on the three backends."""

from __future__ import annotations

import warnings

import pytest

from backends.base.schema_editor import SkippedConstraintWarning
from migrations_engine.checkdb import compare_schema
from migrations_engine.state import ProjectState
from orm.registry import registry

from .authoring_project import AuthoringProject

MODELS = """
class Slot(orm.Model):
    position = orm.IntegerField()

    class Meta:
        constraints = [
            orm.UniqueConstraint(
                fields=["position"], name="slot_position_uniq", deferrable=orm.Deferrable.DEFERRED
            ),
        ]
"""


@pytest.fixture
def project(tmp_path, db_url):
    project = AuthoringProject(tmp_path, db_url)
    yield project
    project.close()


def _unique_columns(connection):
    introspection = connection.introspection
    return {c.columns for c in introspection.get_constraints("defer_slot") if c.kind == "unique"} | {
        i.columns for i in introspection.get_indexes("defer_slot") if i.unique
    }


def _migrate(project, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project.migrate(*args)
    return [str(w.message) for w in caught if issubclass(w.category, SkippedConstraintWarning)]


def test_deferrable_unique_constraint_migrates_or_is_skipped_with_a_warning(project, vendor):
    project.models("defer", MODELS)
    code, output = project.makemigrations("defer")
    assert code == 0, output
    assert 'deferrable=orm.Deferrable["DEFERRED"]' in project.migration_text("defer", "0001_initial")
    skipped = _migrate(project)
    supported = vendor == "postgresql"
    assert bool(skipped) is not supported
    assert (("position",) in _unique_columns(project.connection)) is supported
    live_state = ProjectState.from_registry(registry, app_labels={"defer"})
    assert compare_schema(project.connection, live_state) == []

    project.models("defer", MODELS.replace("DEFERRED", "IMMEDIATE"))
    code, output = project.makemigrations("defer")
    assert code == 0, output
    text = project.migration_text("defer", project.migration_names("defer")[-1])
    assert "migrations.RemoveConstraint(" in text and 'deferrable=orm.Deferrable["IMMEDIATE"]' in text
    project.reload()
    _migrate(project)
    assert (("position",) in _unique_columns(project.connection)) is supported
    live_state = ProjectState.from_registry(registry, app_labels={"defer"})
    assert compare_schema(project.connection, live_state) == []
    code, output = project.makemigrations(check=True)
    assert (code, output.strip()) == (0, "No changes detected"), output

    _migrate(project, "defer", "0001_initial")
    assert (("position",) in _unique_columns(project.connection)) is supported
    _migrate(project, "defer", "zero")
    assert project.tables() == set()
