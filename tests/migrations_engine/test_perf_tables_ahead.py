"""CreateModel work done ahead of a migrate: the same statements, the same failures.

``migrations_engine.ahead`` has the tables (in this process) or the
statements (in a forked child) of a plan's CreateModel operations worked out
before it runs; these tests run the same projects both ways and without it
(``MIN_CREATES`` raised), and compare every statement sent to the database.
"""

from __future__ import annotations

import select
import sys

import pytest

from backends.listeners import add_query_listener, remove_query_listener
from migrations_engine import ahead, forked
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


@pytest.fixture(params=["child", "this process"])
def way(request, monkeypatch):
    """Force one way of working ahead; count what the operations were given."""
    in_child = request.param == "child"
    monkeypatch.setattr(ahead, "can_fork", lambda: in_child)
    monkeypatch.setattr(ahead, "MIN_CREATES_IN_WORKER", 0)
    # The worker's statements are waited for, so every operation is given them.
    monkeypatch.setattr(forked.Worker, "ready", lambda self: self.read_end >= 0 and bool(
        select.select([self.read_end], [], [], 30)[0]))
    given: list[str] = []
    original = ahead.Ahead.take

    def take(self, operation):
        prepared = original(self, operation)
        given.append(prepared[0] if prepared else "none")
        return prepared

    monkeypatch.setattr(ahead.Ahead, "take", take)
    return request.param, given


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


def test_work_done_ahead_sends_the_same_statements(project, way, monkeypatch):
    name, given = way
    project.app("shop", _history())
    project.configure()
    worked_ahead = _statements(project)
    schema = snapshot(project.connection)
    assert given == ["statements" if name == "child" else "tables"] * 16
    project.migrate("shop", "zero")
    monkeypatch.setattr(ahead, "MIN_CREATES", 10**9)
    given.clear()
    one_by_one = _statements(project)
    assert given == ["none"] * 16
    assert _ddl(worked_ahead) == _ddl(one_by_one)
    assert len(_ddl(worked_ahead)) > 16
    assert snapshot(project.connection) == schema
    assert len(project.applied()) == 4


def test_failure_in_a_later_migration_applies_the_ones_before_it(project, way, monkeypatch):
    project.app("shop", _history(broken_at=3))
    project.configure()
    with pytest.raises(MigrationFailedError) as ahead_error:
        project.migrate()
    applied = project.applied()
    tables = project.tables()
    assert applied == {("shop", "0001_step1"), ("shop", "0002_step2")}
    assert "shop.0003_step3" in str(ahead_error.value)
    project.migrate("shop", "zero")
    monkeypatch.setattr(ahead, "MIN_CREATES", 10**9)
    with pytest.raises(MigrationFailedError) as one_by_one_error:
        project.migrate()
    assert project.applied() == applied
    assert project.tables() == tables
    assert str(one_by_one_error.value) == str(ahead_error.value)


def test_one_operation_object_in_two_apps_creates_each_apps_table(project, way):
    shared = project.root / "shared_operations.py"
    shared.write_text(
        "import orm\nfrom migrations_engine import migrations\n\n"
        "NOTE = migrations.CreateModel(name='Note', fields=[\n"
        "    ('id', orm.BigAutoField(primary_key=True)),\n"
        "    ('text', orm.CharField(max_length=20)),\n"
        "])\n"
    )
    for label in ("alpha", "beta"):
        body = "".join(_model(f"Thing{number}", None, prefix=label) for number in range(5))
        project.app(label, {"0001_initial": migration_source(
            body + "shared_operations.NOTE,\n", initial=True, extra="import shared_operations\n"
        )})
    project.configure()
    try:
        project.migrate()
    finally:
        sys.modules.pop("shared_operations", None)
    assert {"alpha_note", "beta_note", "alpha_thing4", "beta_thing4"} <= project.tables()
    assert way[1].count("none") == 2  # the shared operation, in each app


def test_a_child_that_fails_leaves_the_work_to_the_operations(project, way, monkeypatch):
    if way[0] != "child":
        pytest.skip("the child's failure")

    def failing(*args):
        raise RuntimeError("the child fails")

    monkeypatch.setattr(ahead, "_statements", failing)
    project.app("shop", _history())
    project.configure()
    project.migrate()
    assert len(project.applied()) == 4
    assert way[1] == ["none"] * 16


def test_fake_runs_work_nothing_out_ahead(project, way):
    project.app("shop", _history())
    project.configure()
    project.migrate(fake=True)
    assert way[1] == []
    assert project.tables() == set()
    assert len(project.applied()) == 4


def test_captured_statements_replay_as_they_would_run(db):
    from backends.schema import Column, ForeignKeyRef, Index, Table

    target = Table("ahead_target", (Column("id", "integer", False, True),))
    table = Table(
        "ahead_source",
        (
            Column("id", "integer", False, True),
            Column("target_id", "integer", True, references=ForeignKeyRef("ahead_target", "id")),
        ),
        (Index("ahead_source_target", ("target_id",)),),
    )
    editor = db.schema_editor(collect_sql=True)
    with editor:
        editor.create_table(target)
        editor.create_table(table)
    direct = list(editor.collected_sql)
    capturing = db.schema_editor(collect_sql=True)
    with capturing.capture() as captured:
        capturing.create_table(target)
        capturing.create_table(table)
    assert capturing.collected_sql == []
    assert any(deferred for deferred, _, _ in captured) == (not capturing.inline_column_constraints)
    replaying = db.schema_editor(collect_sql=True)
    with replaying:
        replaying.replay(captured)
    assert replaying.collected_sql == direct
