"""``run_before``, ``atomic = False`` and historical models saving through the migrating alias."""

from __future__ import annotations

import pytest

from migrations_engine.errors import MigrationFailedError
from orm.connections import connections
from tests.migrations_engine.runtime_project import Project, migration_source

CLASS_LINE = "class Migration(migrations.Migration):\n"


def with_attributes(source: str, **attributes: object) -> str:
    """``source`` with class attributes (``atomic = False``...) added to its Migration."""
    lines = "".join(f"    {name} = {value!r}\n" for name, value in attributes.items())
    return source.replace(CLASS_LINE, CLASS_LINE + lines)


CREATE_NOTE = migration_source('''
    migrations.CreateModel(
        name="Note",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("text", orm.CharField(max_length=100)),
        ],
    ),
''', initial=True)


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    yield project
    project.close()


def test_run_before_puts_a_migration_ahead_of_another_apps(project):
    # alpha sorts first, but its migration writes into beta's table: run_before orders them.
    project.app("alpha", {"0001_initial": migration_source('''
        migrations.RunSQL("INSERT INTO beta_note (text) VALUES ('from alpha')", reverse_sql=""),
    ''', initial=True)})
    project.app("beta", {"0001_initial": with_attributes(
        CREATE_NOTE.replace('"Note"', '"Note"'), run_before=[("alpha", "0001_initial")],
    )})
    project.configure()
    output = project.migrate()
    assert output.index("beta.0001_initial") < output.index("alpha.0001_initial")
    rows = project.connection.execute("SELECT text FROM beta_note").fetchall()
    assert [row[0] for row in rows] == ["from alpha"]
    # Unapplying goes the other way round: alpha first, then beta.
    output = project.migrate("beta", "zero")
    assert output.index("alpha.0001_initial") < output.index("beta.0001_initial")
    assert project.tables() == set()


FAILING_NON_ATOMIC = with_attributes(migration_source('''
    migrations.CreateModel(
        name="Tag", fields=[("id", orm.BigAutoField(primary_key=True))],
    ),
    migrations.RunPython(fill_then_fail),
''', dependencies=[("memo", "0001_initial")], extra='''
def fill_then_fail(apps, schema_editor):
    apps.get_model("memo", "Tag").objects.create()
    raise RuntimeError("boom")
'''), atomic=False)


def test_non_atomic_migration_keeps_what_ran_before_a_failure(project):
    project.app("memo", {"0001_initial": CREATE_NOTE, "0002_tags": FAILING_NON_ATOMIC})
    project.configure()
    with pytest.raises(MigrationFailedError) as caught:
        project.migrate()
    message = str(caught.value)
    assert "0002_tags" in message and "Create model Tag" in message and "boom" in message
    # Each operation had its own transaction: the table stays, the failed RunPython's row not.
    assert "memo_tag" in project.tables()
    expected_rows = 1 if project.connection.vendor == "mysql" else 0
    count = project.connection.execute("SELECT COUNT(*) FROM memo_tag").fetchone()[0]
    assert count == expected_rows
    assert ("memo", "0002_tags") not in project.applied()
    assert ("memo", "0001_initial") in project.applied()


def test_non_atomic_migration_applies_and_unapplies(project):
    project.app("memo", {"0001_initial": with_attributes(migration_source('''
        migrations.CreateModel(
            name="Author", fields=[("id", orm.BigAutoField(primary_key=True))],
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", orm.BigAutoField(primary_key=True)),
                ("author", orm.ForeignKey("memo.Author", on_delete=orm.CASCADE)),
            ],
        ),
        migrations.CreateModel(
            name="Editor", fields=[("id", orm.BigAutoField(primary_key=True))],
        ),
        migrations.AddField(
            "book", "editor", orm.ForeignKey("memo.Editor", on_delete=orm.CASCADE, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, atomic=False),
    ''', initial=True, extra='''
def fill(apps, schema_editor):
    Author = apps.get_model("memo", "Author")
    apps.get_model("memo", "Book").objects.create(author=Author.objects.create())
'''), atomic=False)})
    project.configure()
    project.migrate()
    fks = project.connection.introspection.get_foreign_keys("memo_book")
    assert fks["editor_id"][0] == "memo_editor" and fks["author_id"][0] == "memo_author"
    assert project.connection.execute("SELECT COUNT(*) FROM memo_book").fetchone()[0] == 1
    project.migrate("memo", "zero")
    assert project.tables() == set()


class WritesToDefault:
    """Sends every write to ``default`` (where no table exists) and lets everything migrate."""

    def db_for_write(self, model, **hints):
        return "default"

    def allow_migrate(self, db, app_label, **hints):
        return True


def test_historical_save_and_delete_use_the_migrating_database(project, new_db_url):
    project.app("memo", {"0001_initial": CREATE_NOTE, "0002_fill": migration_source('''
        migrations.RunPython(fill, unfill),
    ''', dependencies=[("memo", "0001_initial")], extra='''
def fill(apps, schema_editor):
    Note = apps.get_model("memo", "Note")
    Note(text="saved").save()
    Note.objects.create(text="created")
    doomed = Note(text="doomed")
    doomed.save()
    doomed.delete()


def unfill(apps, schema_editor):
    for note in apps.get_model("memo", "Note").objects.all():
        note.delete()
''')})
    project.configure(databases={"other": new_db_url()}, routers=[WritesToDefault()])
    project.migrate(database="other")
    other = connections["other"]
    assert "memo_note" not in project.tables()
    texts = sorted(row[0] for row in other.execute("SELECT text FROM memo_note").fetchall())
    assert texts == ["created", "saved"]
    project.migrate("memo", "0001", database="other")
    assert other.execute("SELECT COUNT(*) FROM memo_note").fetchone()[0] == 0
