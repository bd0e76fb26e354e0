"""Table and column comments (``Meta.db_table_comment``, ``db_comment``) through migrations."""

from __future__ import annotations

import pytest

from migrations_engine.checkdb import compare_schema
from migrations_engine.state import ProjectState
from orm.registry import registry

from .authoring_project import AuthoringProject

MODELS = """
class Gadget(orm.Model):
    name = orm.CharField(max_length=20, db_comment="What it's called")
    size = orm.IntegerField(default=0)

    class Meta:
        db_table_comment = "Every gadget we sell"
"""


@pytest.fixture
def project(tmp_path, db_url):
    project = AuthoringProject(tmp_path, db_url)
    yield project
    project.close()


def table_comment(connection, table):
    if connection.vendor == "postgresql":
        return connection.execute("SELECT obj_description(%s::regclass, 'pg_class')", [table]).fetchone()[0]
    if connection.vendor == "mysql":
        row = connection.execute(
            "SELECT table_comment FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = %s", [table]
        ).fetchone()
        return row[0] or None
    return None


def column_comment(connection, table, column):
    if connection.vendor == "postgresql":
        return connection.execute(
            "SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attname = %s", [table, column]
        ).fetchone()[0]
    if connection.vendor == "mysql":
        row = connection.execute(
            "SELECT column_comment FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = %s AND column_name = %s", [table, column]
        ).fetchone()
        return row[0] or None
    return None


def comments(project):
    connection = project.connection
    return (
        table_comment(connection, "gear_gadget"),
        column_comment(connection, "gear_gadget", "name"),
        column_comment(connection, "gear_gadget", "size"),
    )


def assert_converged(project):
    live_state = ProjectState.from_registry(registry, app_labels={"gear"})
    assert compare_schema(project.connection, live_state) == []
    code, output = project.makemigrations(check=True)
    assert (code, output.strip()) == (0, "No changes detected"), output


def test_comments_are_created_altered_and_removed(project, vendor):
    kept = vendor != "sqlite"  # SQLite keeps no comments: left out, as Django
    project.models("gear", MODELS)
    assert project.makemigrations("gear")[0] == 0
    initial = project.migration_text("gear", "0001_initial")
    assert "db_table_comment" in initial and "db_comment=" in initial
    project.migrate()
    assert comments(project) == (("Every gadget we sell", "What it's called", None) if kept else (None,) * 3)
    assert_converged(project)

    changed = (
        MODELS.replace("Every gadget we sell", "Gadgets, all of them")
        .replace('db_comment="What it\'s called"', "")
        .replace("default=0)", 'default=0, db_comment="In millimetres")')
    )
    project.models("gear", changed)
    assert project.makemigrations("gear")[0] == 0
    text = project.migration_text("gear", project.migration_names("gear")[-1])
    assert "migrations.AlterModelTableComment(" in text and text.count("migrations.AlterField(") == 2
    project.reload()
    project.migrate()
    assert comments(project) == (("Gadgets, all of them", None, "In millimetres") if kept else (None,) * 3)
    assert_converged(project)

    project.models("gear", changed.replace('        db_table_comment = "Gadgets, all of them"\n', "        pass\n"))
    assert project.makemigrations("gear")[0] == 0
    project.reload()
    project.migrate()
    assert comments(project)[0] is None
    assert_converged(project)

    project.migrate("gear", "0002")
    assert comments(project) == (("Gadgets, all of them", None, "In millimetres") if kept else (None,) * 3)
    project.migrate("gear", "0001")
    assert comments(project) == (("Every gadget we sell", "What it's called", None) if kept else (None,) * 3)
    project.migrate("gear", "zero")
    assert project.tables() == set()


def test_an_added_column_gets_its_comment(project, vendor):
    project.models("gear", MODELS)
    assert project.makemigrations("gear")[0] == 0
    project.migrate()
    project.models("gear", MODELS.replace(
        "    size = orm.IntegerField(default=0)\n",
        "    size = orm.IntegerField(default=0)\n    colour = orm.CharField(max_length=9, default='', db_comment='#rrggbb')\n",
    ))
    assert project.makemigrations("gear")[0] == 0
    project.reload()
    project.migrate()
    expected = None if vendor == "sqlite" else "#rrggbb"
    assert column_comment(project.connection, "gear_gadget", "colour") == expected
    assert_converged(project)


def test_inspectdb_writes_the_comments_back(project, vendor):
    from cli.inspectdb import inspect_tables

    project.models("gear", MODELS)
    assert project.makemigrations("gear")[0] == 0
    project.migrate()
    source = "\n".join(inspect_tables(project.connection, ["gear_gadget"]))
    if vendor == "sqlite":
        assert "comment" not in source
    else:
        assert 'db_table_comment = "Every gadget we sell"' in source
        assert 'db_comment="What it\'s called"' in source
        assert source.count("db_comment=") == 1


def test_the_optimizer_folds_comment_and_table_changes_into_create_model():
    import orm
    from migrations_engine import migrations
    from migrations_engine.optimizer import optimize

    create = migrations.CreateModel(
        name="Gadget", fields=[("id", orm.BigAutoField(primary_key=True))],
        options={"db_table_comment": "old"},
    )
    folded = optimize([
        create,
        migrations.AlterModelTableComment(name="gadget", table_comment="new"),
        migrations.AlterModelTable(name="gadget", table="gadgets"),
    ], "gear")
    assert len(folded) == 1 and folded[0].options == {"db_table_comment": "new", "db_table": "gadgets"}
    removed = optimize([create, migrations.AlterModelTableComment(name="gadget", table_comment=None)], "gear")
    assert len(removed) == 1 and removed[0].options == {}
