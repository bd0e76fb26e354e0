"""The executor: atomic failures, bad files, squashed migrations, RunPython, fake, commands."""

from __future__ import annotations

import io

import pytest

from migrations_engine import commands
from migrations_engine.errors import (
    CircularDependencyError,
    CommandError,
    ConflictError,
    InvalidMigrationError,
    IrreversibleError,
    MigrationFailedError,
    NodeNotFoundError,
)
from tests.migrations_engine.runtime_project import Project, migration_source

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


def _statements(connection):
    """Record every statement the connection runs (to prove none ran)."""
    import backends

    seen = []

    def listener(sql, params, vendor, alias):
        seen.append(sql)

    backends.add_query_listener(listener)
    return seen, lambda: backends.remove_query_listener(listener)


def test_failing_migration_rolls_back_or_names_what_ran(project):
    project.app("memo", {
        "0001_initial": CREATE_NOTE,
        "0002_broken": migration_source('''
            migrations.AddField("note", "title", orm.CharField(max_length=10, null=True)),
            migrations.CreateModel(
                name="Tag", fields=[("id", orm.BigAutoField(primary_key=True))],
            ),
            migrations.RunSQL("INSERT INTO no_such_table VALUES (1)", reverse_sql=""),
        ''', dependencies=[("memo", "0001_initial")]),
    })
    project.configure()
    project.migrate("memo", "0001")
    with pytest.raises(MigrationFailedError) as caught:
        project.migrate("memo")
    message = str(caught.value)
    assert "memo.0002_broken" in message and "0002_broken.py" in message
    assert "operation 3" in message
    assert ("memo", "0002_broken") not in project.applied()
    if project.connection.dialect.supports_transactional_ddl:
        assert "rolled back" in message
        assert "title" not in project.columns("memo_note")
        assert "memo_tag" not in project.tables()
    else:
        assert "1. Add field title to note" in message
        assert "2. Create model Tag" in message
        assert "NOT rolled back" in message


BAD_FILES = {
    "syntax": ("0002_bad", "import orm\nclass Migration(:\n", InvalidMigrationError),
    "missing dependency": (
        "0002_bad",
        migration_source("", dependencies=[("memo", "0009_nowhere")]),
        NodeNotFoundError,
    ),
    "unknown model": (
        "0002_bad",
        migration_source(
            'migrations.AddField("ghost", "x", orm.IntegerField(null=True)),',
            dependencies=[("memo", "0001_initial")],
        ),
        InvalidMigrationError,
    ),
    "no Migration class": ("0002_bad", "import orm\n", InvalidMigrationError),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_migration_file_fails_before_any_sql_naming_the_file(project, case):
    name, source, error_class = BAD_FILES[case]
    project.app("memo", {"0001_initial": CREATE_NOTE, name: source})
    project.configure()
    seen, stop = _statements(project.connection)
    try:
        with pytest.raises(error_class) as caught:
            project.migrate()
    finally:
        stop()
    assert f"{name}.py" in str(caught.value) or "0009_nowhere" in str(caught.value)
    assert not any(sql.lstrip().upper().startswith(("CREATE", "ALTER", "INSERT", "DROP"))
                   for sql in seen)
    assert project.tables() == set()


def test_cycle_is_named(project):
    project.app("memo", {
        "0001_initial": migration_source("", dependencies=[("memo", "0002_second")]),
        "0002_second": migration_source("", dependencies=[("memo", "0001_initial")]),
    })
    project.configure()
    with pytest.raises(CircularDependencyError) as caught:
        project.migrate()
    assert "memo.0001_initial" in str(caught.value) and "memo.0002_second" in str(caught.value)
    assert project.tables() == set()


def test_two_leaves_is_a_conflict_suggesting_merge(project):
    project.app("memo", {
        "0001_initial": CREATE_NOTE,
        "0002_a": migration_source("", dependencies=[("memo", "0001_initial")]),
        "0002_b": migration_source("", dependencies=[("memo", "0001_initial")]),
    })
    project.configure()
    with pytest.raises(ConflictError) as caught:
        project.migrate()
    message = str(caught.value)
    assert "0002_a" in message and "0002_b" in message and "makemigrations --merge" in message
    assert project.tables() == set()


def _squash_app(project):
    project.app("memo", {
        "0001_initial": CREATE_NOTE,
        "0002_title": migration_source(
            'migrations.AddField("note", "title", orm.CharField(max_length=10, null=True)),',
            dependencies=[("memo", "0001_initial")],
        ),
        "0001_squashed_0002_title": migration_source('''
            migrations.CreateModel(
                name="Note",
                fields=[
                    ("id", orm.BigAutoField(primary_key=True)),
                    ("text", orm.CharField(max_length=100)),
                    ("title", orm.CharField(max_length=10, null=True)),
                ],
            ),
        ''', initial=True, extra="") .replace(
            "    initial = True\n",
            "    initial = True\n    replaces = [('memo', '0001_initial'), ('memo', '0002_title')]\n",
        ),
    })
    project.configure()


def test_squashed_migration_used_when_nothing_applied(project):
    _squash_app(project)
    out = project.migrate()
    assert "memo.0001_squashed_0002_title" in out
    assert "Applying memo.0001_initial" not in out
    assert {"memo_note"} == project.tables()
    assert ("memo", "0001_initial") in project.applied()
    assert ("memo", "0002_title") in project.applied()
    project.migrate("memo", "zero")
    assert project.tables() == set() and project.applied() == set()


def test_originals_used_when_partly_applied(project):
    _squash_app(project)
    project.remove("memo", "0001_squashed_0002_title")
    project.configure()
    project.migrate("memo", "0001")
    _squash_app(project)
    out = project.migrate()
    assert "Applying memo.0002_title" in out
    assert "title" in project.columns("memo_note")


def test_run_python_gets_historical_models_and_irreversible_fails_before_sql(project):
    extra = '''
def fill(apps, schema_editor):
    Note = apps.get_model("memo", "Note")
    Note.objects.create(text="from migration")


def upper(apps, schema_editor):
    Note = apps.get_model("memo", "Note")
    for note in Note.objects.all():
        note.text = note.text.upper()
        note.save()
'''
    project.app("memo", {
        "0001_initial": CREATE_NOTE,
        "0002_data": migration_source(
            "migrations.RunPython(fill, migrations.RunPython.noop),",
            dependencies=[("memo", "0001_initial")], extra=extra,
        ),
        "0003_upper": migration_source(
            "migrations.RunPython(upper),", dependencies=[("memo", "0002_data")], extra=extra,
        ),
    })
    project.configure()
    project.migrate()
    texts = [row[0] for row in project.connection.execute("SELECT text FROM memo_note")]
    assert texts == ["FROM MIGRATION"]
    seen, stop = _statements(project.connection)
    try:
        with pytest.raises(IrreversibleError) as caught:
            project.migrate("memo", "0001")
    finally:
        stop()
    assert "memo.0003_upper" in str(caught.value) and "0003_upper.py" in str(caught.value)
    assert not any(sql.lstrip().upper().startswith(("DELETE", "DROP", "ALTER")) for sql in seen)
    assert ("memo", "0003_upper") in project.applied()


def test_fake_and_fake_initial(project):
    project.app("memo", {"0001_initial": CREATE_NOTE})
    project.configure()
    project.migrate(fake=True)
    assert project.tables() == set() and ("memo", "0001_initial") in project.applied()
    project.migrate("memo", "zero", fake=True)
    assert project.applied() == set()
    project.migrate()
    project.migrate("memo", "zero", fake=True)
    out = project.migrate(fake_initial=True)
    assert "FAKED" in out and ("memo", "0001_initial") in project.applied()


def test_plan_marks_destructive_operations(project):
    project.app("memo", {
        "0001_initial": CREATE_NOTE,
        "0002_drop": migration_source(
            'migrations.RemoveField("note", "text"),', dependencies=[("memo", "0001_initial")]
        ),
    })
    project.configure()
    out = project.migrate(plan=True)
    assert "Create model Note" in out
    assert "Remove field text from note [DESTRUCTIVE]" in out
    assert project.tables() == set()


def test_showmigrations_sqlmigrate_and_checkdb(project):
    project.app("memo", {"0001_initial": CREATE_NOTE})
    project.configure()
    out = io.StringIO()
    commands.showmigrations([], stdout=out)
    assert "memo\n [ ] 0001_initial" in out.getvalue()
    out = io.StringIO()
    commands.sqlmigrate("memo", "0001", stdout=out)
    assert "CREATE TABLE" in out.getvalue() and "memo_note" in out.getvalue()
    assert project.tables() == set()
    out = io.StringIO()
    commands.sqlmigrate("memo", "0001", backwards=True, stdout=out)
    assert "DROP TABLE" in out.getvalue()
    with pytest.raises(CommandError, match="no migration of 'memo' matches '9'"):
        commands.sqlmigrate("memo", "9", stdout=io.StringIO())
    project.migrate()
    out = io.StringIO()
    commands.showmigrations(["memo"], stdout=out)
    assert "[X] 0001_initial" in out.getvalue()
    for graph_format, marker in (("mermaid", "flowchart TD"), ("dot", "digraph migrations")):
        out = io.StringIO()
        commands.showmigrations([], graph_format=graph_format, stdout=out)
        assert marker in out.getvalue() and "memo.0001_initial" in out.getvalue()
    out = io.StringIO()
    assert commands.checkdb(stdout=out) == 0, out.getvalue()
    project.connection.execute("ALTER TABLE memo_note ADD COLUMN sneaky INTEGER")
    project.connection.execute("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    out = io.StringIO()
    assert commands.checkdb(stdout=out) == 1
    assert "memo_note: extra column sneaky" in out.getvalue()
    assert "extra table stray" in out.getvalue()


CREATE_AUTHOR_AND_POST = migration_source('''
    migrations.CreateModel(
        name="Author",
        fields=[("id", orm.BigAutoField(primary_key=True))],
    ),
    migrations.CreateModel(
        name="Post",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("author", orm.ForeignKey("memo.author", on_delete=orm.CASCADE)),
        ],
    ),
''', initial=True)


def test_checkdb_reports_a_foreign_key_checked_immediately_where_migrations_defer_it(project):
    project.app("memo", {"0001_initial": CREATE_AUTHOR_AND_POST})
    project.configure()
    project.migrate()
    out = io.StringIO()
    assert commands.checkdb(stdout=out) == 0, out.getvalue()
    connection = project.connection
    if connection.vendor == "mysql":
        return  # MySQL has no deferrable constraints: nothing to differ
    if connection.vendor == "postgresql":
        name = connection.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'memo_post'::regclass AND contype = 'f'"
        ).fetchone()[0]
        connection.execute(f'ALTER TABLE memo_post ALTER CONSTRAINT "{name}" NOT DEFERRABLE')
    else:
        connection.execute("DROP TABLE memo_post")
        connection.execute(
            'CREATE TABLE "memo_post" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
            '"author_id" bigint NOT NULL REFERENCES "memo_author" ("id"))'
        )
        connection.execute('CREATE INDEX "memo_post_author_id" ON "memo_post" ("author_id")')
    out = io.StringIO()
    assert commands.checkdb(stdout=out) == 1
    assert (
        "memo_post.author_id: foreign key is checked immediately (not deferrable), "
        "migrations say DEFERRABLE INITIALLY DEFERRED"
    ) in out.getvalue()
