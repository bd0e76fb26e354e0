"""Database routers decide, per operation, which database a migration's SQL runs on."""

from __future__ import annotations

import pytest

from orm.connections import connections
from tests.migrations_engine.runtime_project import Project, migration_source

INITIAL = migration_source('''
    migrations.CreateModel(
        name="Note",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("text", orm.CharField(max_length=100)),
        ],
    ),
    migrations.CreateModel(
        name="Log",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("line", orm.CharField(max_length=100)),
        ],
    ),
    migrations.RunSQL(
        "INSERT INTO memo_log (line) VALUES ('hello')", reverse_sql="DELETE FROM memo_log",
        hints={"log": True},
    ),
    migrations.RunPython(fill, unfill, hints={"log": True}),
''', initial=True, extra='''
def fill(apps, schema_editor):
    apps.get_model("memo", "Log").objects.create(line="from RunPython")


def unfill(apps, schema_editor):
    apps.get_model("memo", "Log").objects.filter(line="from RunPython").delete()
''')

SECOND = migration_source('''
    migrations.AddField("note", "title", orm.CharField(max_length=10, null=True)),
    migrations.AddField("log", "level", orm.IntegerField(default=0)),
    migrations.AddIndex("log", orm.Index(fields=["level"], name="log_level_idx")),
''', dependencies=[("memo", "0001_initial")])


class LogRouter:
    """``Log`` (and operations hinted ``log``) live on ``logs``; everything else on ``default``."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        self.calls.append((db, app_label, model_name, hints))
        if app_label != "memo":
            return None
        on_logs = model_name == "log" or hints.get("log", False)
        return db == ("logs" if on_logs else "default")


@pytest.fixture
def project(tmp_path, db_url, new_db_url):
    project = Project(tmp_path, db_url)
    project.app("memo", {"0001_initial": INITIAL, "0002_more": SECOND})
    router = LogRouter()
    project.configure(databases={"logs": new_db_url()}, routers=[router])
    project.router = router
    yield project
    project.close()


def test_operations_run_only_where_the_router_allows_them(project):
    project.migrate()
    project.migrate(database="logs")
    assert project.tables_of("default") == {"memo_note"}
    assert project.tables_of("logs") == {"memo_log"}
    logs = connections["logs"]
    assert sorted(row[0] for row in logs.execute("SELECT line FROM memo_log").fetchall()) == [
        "from RunPython", "hello",
    ]
    assert "title" in project.columns("memo_note")
    assert {c.name for c in logs.introspection.get_columns("memo_log")} == {"id", "line", "level"}
    assert any(i.name == "log_level_idx" for i in logs.introspection.get_indexes("memo_log"))
    # The routers saw model names and the operations' hints, per database.
    calls = project.router.calls
    assert ("default", "memo", "note", {}) in calls and ("logs", "memo", "log", {}) in calls
    assert ("logs", "memo", None, {"log": True}) in calls
    # Both databases record both migrations (as Django does), so nothing is pending.
    for alias in ("default", "logs"):
        from migrations_engine.recorder import MigrationRecorder

        assert set(MigrationRecorder(connections[alias]).applied_migrations()) == {
            ("memo", "0001_initial"), ("memo", "0002_more"),
        }


def test_unapplying_skips_what_the_router_refuses(project):
    project.migrate()
    project.migrate(database="logs")
    project.migrate("memo", "zero", database="logs")
    assert project.tables_of("logs") == set()
    assert project.tables_of("default") == {"memo_note"}
    project.migrate("memo", "zero")
    assert project.tables_of("default") == set()
