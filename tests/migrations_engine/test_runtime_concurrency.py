"""Two ``migrate`` processes started together apply each migration exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.migrations_engine.runtime_project import Project, migration_source

SLOW_INITIAL = migration_source('''
    migrations.CreateModel(
        name="Entry",
        fields=[("id", orm.BigAutoField(primary_key=True))],
    ),
    migrations.RunPython(pause, migrations.RunPython.noop),
''', initial=True, extra="import time\n\n\ndef pause(apps, schema_editor):\n    time.sleep(0.5)\n")

SECOND = migration_source(
    'migrations.AddField("entry", "note", orm.CharField(max_length=5, null=True)),',
    dependencies=[("race", "0001_initial")],
)

SCRIPT = textwrap.dedent('''
    import io, sys
    sys.path[:0] = [{root!r}, {repo!r}]
    import orm
    from migrations_engine import commands
    orm.configure(apps=["race"], databases={{"default": {url!r}}})
    out = io.StringIO()
    commands.migrate(stdout=out)
    print(out.getvalue())
''')


def test_two_concurrent_migrate_processes_apply_each_migration_once(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    try:
        project.app("race", {"0001_initial": SLOW_INITIAL, "0002_note": SECOND})
        project.configure()
        script = SCRIPT.format(root=str(project.root), repo=_repo_root(), url=db_url)
        processes = [
            subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        for process, (_out, err) in zip(processes, outputs):
            assert process.returncode == 0, err
        combined = "".join(out for out, _ in outputs)
        print(combined)
        assert combined.count("Applying race.0001_initial") == 1
        assert combined.count("Applying race.0002_note") == 1
        rows = project.connection.execute(
            "SELECT app, name FROM manouche_migrations ORDER BY id"
        ).fetchall()
        assert [tuple(row) for row in rows] == [("race", "0001_initial"), ("race", "0002_note")]
    finally:
        project.close()


def _repo_root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])
