"""``GeneratedField`` through makemigrations and migrate, on the three backends."""

from __future__ import annotations

import pytest

from migrations_engine.checkdb import compare_schema
from migrations_engine.state import ProjectState
from orm.registry import registry

from .authoring_project import AuthoringProject

V1 = """
class Item(orm.Model):
    name = orm.CharField(max_length=20)
    price = orm.IntegerField()
    quantity = orm.IntegerField(default=1)
    total = orm.GeneratedField(
        expression=orm.F("price") * orm.F("quantity"),
        output_field=orm.IntegerField(),
        db_persist=True,
    )
"""

# The expression changes: Django drops the column and adds it again.
V2 = V1.replace('orm.F("price") * orm.F("quantity")', 'orm.F("price") + orm.F("quantity")')

# A stored text column added to a table with rows, and one with a literal in its expression.
V3 = V2 + """
    label = orm.GeneratedField(
        expression=orm.Concat(orm.Lower("name"), orm.Value("'s #"), "quantity"),
        output_field=orm.CharField(max_length=40),
        db_persist=True,
        null=True,
    )
"""

V_VIRTUAL = V1 + """
    doubled = orm.GeneratedField(
        expression=orm.F("price") * 2, output_field=orm.IntegerField(), db_persist=False
    )
"""


@pytest.fixture
def project(tmp_path, db_url):
    project = AuthoringProject(tmp_path, db_url)
    yield project
    project.close()


def _item(project):
    return registry.get_model("gen.Item")


def _clean(project) -> None:
    """The schema is what the models describe, and makemigrations finds nothing left to do."""
    live_state = ProjectState.from_registry(registry, app_labels={"gen"})
    assert compare_schema(project.connection, live_state) == []
    problems = project.schema_problems()
    if project.connection.vendor == "mysql":
        # MariaDB's generated columns are always nullable (no NOT NULL in their definition).
        problems = [p for p in problems if not p.endswith(": null=True")]
    assert problems == []
    code, output = project.makemigrations(check=True)
    assert (code, output.strip()) == (0, "No changes detected"), output


def test_generated_field_created_altered_added_removed_and_unapplied(project):
    project.models("gen", V1)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    text = project.migration_text("gen", "0001_initial")
    assert "orm.GeneratedField(" in text and "db_persist=True" in text
    assert "output_field=orm.IntegerField()" in text
    project.migrate()
    _clean(project)
    item = _item(project).objects.create(name="Pen", price=3, quantity=4)
    assert item.total == 12

    project.models("gen", V2)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    text = project.migration_text("gen", project.migration_names("gen")[-1])
    assert "migrations.RemoveField(" in text and "migrations.AddField(" in text
    project.reload()
    project.migrate()
    _clean(project)
    assert _item(project).objects.get().total == 7

    project.models("gen", V3)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    project.reload()
    project.migrate()
    _clean(project)
    stored = _item(project).objects.get()
    assert (stored.name, stored.total, stored.label) == ("Pen", 7, "pen's #4")

    project.models("gen", V1)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    project.reload()
    project.migrate()
    _clean(project)
    assert _item(project).objects.get().total == 12

    names = project.migration_names("gen")
    for name in reversed(names[:-1]):
        project.migrate("gen", name)
        assert _item(project).objects.values_list("name", "price", "quantity").get() == ("Pen", 3, 4)
    project.migrate("gen", "zero")
    assert project.tables() == set()


def test_virtual_generated_field_migrates_or_is_refused_on_postgresql(project, vendor):
    from migrations_engine.errors import MigrationFailedError

    project.models("gen", V_VIRTUAL)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    assert "db_persist=False" in project.migration_text("gen", "0001_initial")
    if vendor == "postgresql":
        with pytest.raises(MigrationFailedError, match=r"virtual generated columns .*'doubled'.*db_persist=True"):
            project.migrate()
        assert project.tables() == set()
        return
    project.migrate()
    _clean(project)
    item = _item(project).objects.create(name="a", price=5)
    assert (item.total, item.doubled) == (5, 10)


ALTER = '''import orm
from migrations_engine import migrations


class Migration(migrations.Migration):
    dependencies = [("gen", "0001_initial")]
    operations = [
        migrations.AlterField(
            model_name="item",
            name="total",
            field=orm.GeneratedField(
                expression=orm.F("price") - orm.F("quantity"),
                output_field=orm.BigIntegerField(),
                db_persist=True,
            ),
        ),
    ]
'''


def test_hand_written_alter_field_of_a_generated_field_drops_and_adds_it(project):
    project.models("gen", V1)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    project.migrate()
    connection = project.connection
    connection.execute("INSERT INTO gen_item (name, price, quantity) VALUES (%s, %s, %s)", ("a", 10, 3))
    (project.root / "gen" / "migrations" / "0002_alter.py").write_text(ALTER)
    project.migrate("gen", "0002_alter")
    assert connection.execute("SELECT total FROM gen_item").fetchone()[0] == 7
    project.migrate("gen", "0001_initial")
    assert connection.execute("SELECT total FROM gen_item").fetchone()[0] == 30
    (project.root / "gen" / "migrations" / "0002_alter.py").unlink()
    _clean(project)


def test_generated_fields_of_many_new_models_worked_out_ahead(project):
    # Eight CreateModel operations or more are described ahead of running (migrations_engine.ahead).
    models = "".join(
        f"""
class Thing{number}(orm.Model):
    price = orm.IntegerField()
    twice = orm.GeneratedField(
        expression=orm.F("price") * {number + 2}, output_field=orm.IntegerField(), db_persist=True
    )
"""
        for number in range(10)
    )
    project.models("gen", models)
    code, output = project.makemigrations("gen")
    assert code == 0, output
    project.migrate()
    for number in range(10):
        thing = registry.get_model(f"gen.Thing{number}").objects.create(price=3)
        assert thing.twice == 3 * (number + 2)
    live_state = ProjectState.from_registry(registry, app_labels={"gen"})
    assert compare_schema(project.connection, live_state) == []


def test_renaming_a_field_the_expression_uses_is_a_rename_alone(project):
    project.models("gen", V3)
    assert project.makemigrations("gen")[0] == 0
    project.migrate()
    _item(project).objects.create(name="Ink", price=3, quantity=2)
    project.models("gen", V3.replace('"quantity"', '"count"').replace("quantity = ", "count = "))
    code, output = project.makemigrations("gen", renames=["gen.Item.quantity=count"])
    assert code == 0, output
    text = project.migration_text("gen", project.migration_names("gen")[-1])
    # The state's expressions follow the rename: the generated columns are kept as they are.
    assert "migrations.RenameField(" in text and "RemoveField" not in text and "AddField" not in text
    project.reload()
    project.migrate()
    _clean(project)
    item = _item(project).objects.get()
    assert (item.count, item.total, item.label) == (2, 5, "ink's #2")
    item.count = 4
    item.save()
    assert (item.total, item.label) == (7, "ink's #4")
    project.migrate("gen", "0001_initial")
    assert project.connection.execute("SELECT quantity, total FROM gen_item").fetchone() == (4, 7)


def test_rename_in_expression_touches_field_references_only():
    import orm
    from migrations_engine.operations.fields import _rename_in_expression

    expression = orm.Concat(orm.Lower("price"), orm.Value("price"), orm.F("price") * 2, "other")
    renamed = _rename_in_expression(expression, "price", "cost")
    assert renamed == orm.Concat(orm.Lower("cost"), orm.Value("price"), orm.F("cost") * 2, "other")
    assert _rename_in_expression(expression, "nothing", "else") is expression
