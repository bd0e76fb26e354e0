"""CreateModel tables worked out ahead of a migrate: the same statements, the same failures.

``MigrationExecutor`` works out the tables of the CreateModel operations of
a plan in one pass before running it (``_tables_ahead``); these tests run the
same projects with that pass and without it (``TABLES_AHEAD_MIN`` raised) and
compare every statement sent to the database.
"""

from __future__ import annotations

import pytest

from backends.listeners import add_query_listener, remove_query_listener
from migrations_engine import executor
from migrations_engine.errors import MigrationFailedError
from tests.migrations_engine.runtime_project import Project, migration_source, snapshot


def _model(name: str, target: str | None, many: str | None = None, prefix: str = "") -> str:
    fields = [
        '("id", orm.BigAutoField(primary_key=True))',
        '("title", orm.CharField(max_length=40, db_index=True))',
        '("size", orm.IntegerField(default=3, null=True))',
        '("code", orm.CharField(max_length=10, unique=True))',
    ]
    if target:
        fields.append(f'("parent", orm.ForeignKey(on_delete=orm.CASCADE, to="{target}"))')
    if many:
        fields.append(f'("links", orm.ManyToManyField(to="{many}"))')
    joined = ",\n            ".join(fields)
    return f'''
    migrations.CreateModel(
        name="{name}",
        fields=[
            {joined},
        ],
        options={{"indexes": [orm.Index(fields=["title", "size"], name="{prefix}{name.lower()}_ts")]}},
    ),
'''


def _history(broken_at: int | None = None) -> dict[str, str]:
    """Four migrations of four models each, with foreign keys and many-to-many to earlier ones."""
    files = {}
    previous = None
    number = 0
    for step in range(1, 5):
        body = ""
        for _ in range(4):
            number += 1
            target = f"shop.Item{number - 1}" if number > 1 else None
            if broken_at == step and not body:
                target = "shop.Nowhere"
            many = f"shop.Item{number - 2}" if number > 2 and number % 3 == 0 else None
            body += _model(f"Item{number}", target, many)
        name = f"{step:04d}_step{step}"
        files[name] = migration_source(
            body, dependencies=[("shop", previous)] if previous else (), initial=step == 1
        )
        previous = name
    return files


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    yield project
    project.close()


def _statements(project, **options) -> list[str]:
    seen: list[str] = []

    def listener(sql, params, vendor, alias):
        seen.append(sql)

    add_query_listener(listener)
    try:
        project.migrate(**options)
    finally:
        remove_query_listener(listener)
    return seen


def _ddl(statements: list[str]) -> list[str]:
    return [
        sql for sql in statements
        if sql.lstrip().upper().startswith(("CREATE", "ALTER", "DROP")) and "manouche_" not in sql
    ]


def test_tables_ahead_send_the_same_statements(project, monkeypatch):
    project.app("shop", _history())
    project.configure()
    worked_out: list[int] = []
    original = executor._tables_ahead

    def recording(steps, state, connection):
        tables = original(steps, state, connection)
        worked_out.append(len(tables))
        return tables

    monkeypatch.setattr(executor, "_tables_ahead", recording)
    ahead = _statements(project)
    schema_ahead = snapshot(project.connection)
    assert worked_out == [16]
    project.migrate("shop", "zero")
    monkeypatch.setattr(executor, "TABLES_AHEAD_MIN", 10**9)
    one_by_one = _statements(project)
    assert worked_out[-1] == 0
    assert _ddl(ahead) == _ddl(one_by_one)
    assert len(_ddl(ahead)) > 16
    assert snapshot(project.connection) == schema_ahead
    assert len(project.applied()) == 4


def test_failure_in_a_later_migration_applies_the_ones_before_it(project, monkeypatch):
    project.app("shop", _history(broken_at=3))
    project.configure()
    with pytest.raises(MigrationFailedError) as ahead_error:
        project.migrate()
    applied = project.applied()
    tables = project.tables()
    assert applied == {("shop", "0001_step1"), ("shop", "0002_step2")}
    assert "shop.0003_step3" in str(ahead_error.value)
    project.migrate("shop", "zero")
    monkeypatch.setattr(executor, "TABLES_AHEAD_MIN", 10**9)
    with pytest.raises(MigrationFailedError) as one_by_one_error:
        project.migrate()
    assert project.applied() == applied
    assert project.tables() == tables
    assert str(one_by_one_error.value) == str(ahead_error.value)


def test_one_operation_object_in_two_apps_creates_each_apps_table(project, tmp_path):
    shared = project.root / "shared_operations.py"
    shared.write_text(
        "import orm\nfrom migrations_engine import migrations\n\n"
        "NOTE = migrations.CreateModel(name='Note', fields=[\n"
        "    ('id', orm.BigAutoField(primary_key=True)),\n"
        "    ('text', orm.CharField(max_length=20)),\n"
        "])\n"
    )
    for label in ("alpha", "beta"):
        body = "".join(_model(f"Thing{number}", None, prefix=label) for number in range(5)) + "shared_operations.NOTE,\n"
        project.app(label, {"0001_initial": migration_source(body, initial=True,
                                                              extra="import shared_operations\n")})
    project.configure()
    try:
        project.migrate()
    finally:
        import sys

        sys.modules.pop("shared_operations", None)
    assert {"alpha_note", "beta_note"} <= project.tables()
    assert {"alpha_thing4", "beta_thing4"} <= project.tables()


def test_fake_runs_work_nothing_out_ahead(project, monkeypatch):
    project.app("shop", _history())
    project.configure()
    calls: list[int] = []
    original = executor._tables_ahead
    monkeypatch.setattr(executor, "_tables_ahead", lambda *args: calls.append(1) or original(*args))
    project.migrate(fake=True)
    assert calls == []
    assert project.tables() == set()
    assert len(project.applied()) == 4
