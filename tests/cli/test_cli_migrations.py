"""The migration commands end to end, as a user runs them, on every backend.

makemigrations -> migrate -> showmigrations -> sqlmigrate -> checkdb ->
inspectdb -> migrate blog zero, in a throwaway project directory, each command
a fresh ``python -m cli`` process pointed at the test database.
"""

from __future__ import annotations

import ast
import io
import re
import sys

import pytest

import backends
import orm
from cli import call_command
from tests.cli.conftest import BLOG_MODELS, Project, run_manouche


def manouche_ok(project: Project, db_url: str, *args: str, input: str | None = None) -> str:
    """Run a command that must succeed; return its stdout."""
    result = run_manouche(project, "--database-url", db_url, *args, input=input)
    assert result.returncode == 0, f"manouche {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def manouche_fails(project: Project, db_url: str, *args: str, code: int = 1) -> str:
    """Run a command that must fail with ``code`` and one line on stderr; return that line."""
    result = run_manouche(project, "--database-url", db_url, *args)
    assert result.returncode == code, f"{result.stdout}\n{result.stderr}"
    if code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert "Traceback" not in result.stderr
        return lines[0]
    return result.stderr


def table_names(db_url: str) -> set[str]:
    connection = backends.connect(db_url)
    try:
        return set(connection.introspection.table_names())
    finally:
        connection.close()


def test_full_cycle_on_every_backend(project, db_url):
    # makemigrations writes 0001_initial, then finds nothing more to do.
    output = manouche_ok(project, db_url, "makemigrations", "--noinput")
    assert "0001_initial" in output and "Create model Post" in output
    assert project.migration_files() == ["0001_initial.py"]
    assert "No changes detected" in manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "makemigrations", "--check")

    # migrate applies it, with a progress line and its timing.
    output = manouche_ok(project, db_url, "migrate")
    assert re.search(r"Applying blog\.0001_initial\.\.\. OK \(\d+\.\d+s\)", output), output
    assert {"blog_author", "blog_post", "manouche_migrations"} <= table_names(db_url)

    output = manouche_ok(project, db_url, "showmigrations")
    assert "[X] 0001_initial" in output
    assert "[X]  blog.0001_initial" in manouche_ok(project, db_url, "showmigrations", "--plan")
    graph = manouche_ok(project, db_url, "showmigrations", "--graph", "mermaid")
    assert graph.startswith("flowchart") and "blog.0001_initial" in graph
    assert manouche_ok(project, db_url, "showmigrations", "--graph", "dot").startswith("digraph")

    # sqlmigrate prints the DDL of this backend, quoted by its dialect.
    connection = backends.connect(db_url)
    quoted_table = connection.dialect.quote_name("blog_post")
    sql = manouche_ok(project, db_url, "sqlmigrate", "blog", "0001")
    assert f"CREATE TABLE {quoted_table}" in sql
    assert "DROP TABLE" in manouche_ok(project, db_url, "sqlmigrate", "blog", "0001", "--backwards")

    # checkdb: no drift, then drift once a column is dropped by hand.
    assert "No drift" in manouche_ok(project, db_url, "checkdb")
    connection.execute(
        f"ALTER TABLE {quoted_table} DROP COLUMN {connection.dialect.quote_name('body')}"
    )
    connection.close()
    result = run_manouche(project, "--database-url", db_url, "checkdb")
    assert result.returncode == 1
    assert "body" in result.stdout

    # inspectdb prints valid Python defining the tables' columns.
    source = manouche_ok(project, db_url, "inspectdb", "blog_post", "blog_author")
    tree = ast.parse(source)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    assert set(classes) == {"BlogPost", "BlogAuthor"}
    assigned = {
        target.id
        for node in classes["BlogPost"].body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert assigned == {"id", "author", "title"}  # body was dropped above

    # migrate blog zero unapplies everything; showmigrations says so.
    output = manouche_ok(project, db_url, "migrate", "blog", "zero")
    assert "Unapplying blog.0001_initial... OK" in output
    assert not {"blog_author", "blog_post"} & table_names(db_url)
    assert "[ ] 0001_initial" in manouche_ok(project, db_url, "showmigrations", "blog")


def test_model_changes_check_dry_run_rename_and_squash(project, db_url):
    manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "migrate")
    project.write(
        "blog/models.py",
        BLOG_MODELS.replace("    title = orm.CharField", "    headline = orm.CharField").replace(
            'body = orm.TextField(default="")',
            'body = orm.TextField(default="")\n    views = orm.IntegerField(default=0)',
        ),
    )
    # --check: pending changes -> exit 1, nothing written.
    result = run_manouche(project, "--database-url", db_url, "makemigrations", "--check", "--noinput",
                          "--rename", "blog.Post.title=headline")  # fmt: skip
    assert result.returncode == 1
    assert project.migration_files() == ["0001_initial.py"]
    # --dry-run prints, writes nothing.
    output = manouche_ok(project, db_url, "makemigrations", "--dry-run", "--noinput",
                         "--rename", "blog.Post.title=headline")  # fmt: skip
    assert "views" in output
    assert project.migration_files() == ["0001_initial.py"]
    # A likely rename is never guessed without --noinput confirmation.
    line = manouche_fails(project, db_url, "makemigrations", "--noinput")
    assert "title" in line and "headline" in line
    output = manouche_ok(project, db_url, "makemigrations", "--noinput", "--name", "rename_title",
                         "--rename", "blog.Post.title=headline")  # fmt: skip
    assert project.migration_files() == ["0001_initial.py", "0002_rename_title.py"]
    assert "RenameField" in (project.path / "blog/migrations/0002_rename_title.py").read_text()
    output = manouche_ok(project, db_url, "migrate", "blog", "0002")
    assert "Applying blog.0002_rename_title... OK" in output
    assert "No drift" in manouche_ok(project, db_url, "checkdb")

    output = manouche_ok(project, db_url, "squashmigrations", "blog", "0001", "0002", "--noinput",
                         "--squashed-name", "squashed")  # fmt: skip
    squashed = [name for name in project.migration_files() if "squashed" in name]
    assert len(squashed) == 1
    text = (project.path / "blog" / "migrations" / squashed[0]).read_text()
    assert "replaces" in text
    assert "[X]" in manouche_ok(project, db_url, "showmigrations", "blog")


def test_empty_migration_and_plan(project, db_url):
    manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "makemigrations", "blog", "--empty", "--name", "data")
    assert project.migration_files() == ["0001_initial.py", "0002_data.py"]
    output = manouche_ok(project, db_url, "migrate", "--plan")
    assert "blog.0001_initial" in output and "blog.0002_data" in output
    assert "blog_post" not in table_names(db_url)  # --plan runs nothing
    manouche_ok(project, db_url, "migrate")
    plan = manouche_ok(project, db_url, "migrate", "--plan", "blog", "zero")
    assert "[DESTRUCTIVE]" in plan and "blog_post" in table_names(db_url)


def test_fake_and_fake_initial(project, db_url):
    manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "migrate", "--fake")
    assert "[X] 0001_initial" in manouche_ok(project, db_url, "showmigrations")
    assert "blog_post" not in table_names(db_url)
    manouche_ok(project, db_url, "migrate", "blog", "zero", "--fake")
    manouche_ok(project, db_url, "migrate")
    # Tables there but not recorded: --fake-initial records the initial migration.
    manouche_ok(project, db_url, "migrate", "blog", "zero", "--fake")
    output = manouche_ok(project, db_url, "migrate", "--fake-initial")
    assert "FAKED" in output
    assert "[X] 0001_initial" in manouche_ok(project, db_url, "showmigrations")


def test_bad_input_exit_codes(project, db_url):
    manouche_ok(project, db_url, "makemigrations", "--noinput")
    assert "nosuchapp" in manouche_fails(project, db_url, "migrate", "nosuchapp")
    assert "nosuchapp" in manouche_fails(project, db_url, "makemigrations", "nosuchapp")
    assert "9999" in manouche_fails(project, db_url, "migrate", "blog", "9999")
    assert "9999" in manouche_fails(project, db_url, "sqlmigrate", "blog", "9999")
    assert "nosuchapp" in manouche_fails(project, db_url, "showmigrations", "nosuchapp")
    manouche_fails(project, db_url, "squashmigrations", "blog", "0001", "0002", "0003", code=2)
    manouche_fails(project, db_url, "sqlmigrate", "blog", code=2)
    manouche_fails(project, db_url, "showmigrations", "--graph", "png", code=2)
    manouche_fails(project, db_url, "migrate", "--fake-it", code=2)
    # A migration file with a syntax error is named, before any SQL runs.
    project.write("blog/migrations/0002_broken.py", "this is not python\n")
    line = manouche_fails(project, db_url, "migrate")
    assert "0002_broken" in line
    assert "blog_post" not in table_names(db_url)


def test_migrate_in_a_read_only_place_or_bad_url_is_one_line(project, tmp_path):
    result = run_manouche(project, "--database-url", f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
                          "migrate")  # fmt: skip
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_call_command_runs_in_process_and_returns_the_exit_code(project, db_url, monkeypatch):
    manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "migrate")
    monkeypatch.chdir(project.path)
    monkeypatch.syspath_prepend(str(project.path))
    orm.configure(apps=["blog"], databases={"default": db_url})

    output = io.StringIO()
    assert call_command("showmigrations", "blog", stdout=output) == 0
    assert "[X] 0001_initial" in output.getvalue()
    output = io.StringIO()
    assert call_command("migrate", "blog", "zero", database="default", stdout=output) == 0
    assert "Unapplying blog.0001_initial" in output.getvalue()
    assert not {"blog_post", "blog_author"} & table_names(db_url)
    assert call_command("checkdb", stdout=io.StringIO()) == 0
    # A user error is an exit code with the message on stderr, not an exception.
    errors = io.StringIO()
    assert call_command("migrate", "nosuchapp", stderr=errors, stdout=io.StringIO()) == 1
    assert "nosuchapp" in errors.getvalue()
    assert call_command("migrate", "blog", fake=True, stdout=io.StringIO()) == 0
    assert call_command("makemigrations", check=True, interactive=False, stdout=io.StringIO()) == 0
    with pytest.raises(TypeError, match="no_such_option"):
        call_command("migrate", no_such_option=True)
    assert call_command("no-such-command", stderr=io.StringIO()) == 2


def test_contenttypes_prune_removes_stale_content_types(project, db_url):
    project.write(
        "pyproject.toml",
        '[tool.manouche]\napps = ["blog", "contenttypes"]\n',
    )
    manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "migrate")
    assert "No stale content types" in manouche_ok(project, db_url, "contenttypes", "prune")
    connection = backends.connect(db_url)
    table = connection.dialect.quote_name("contenttypes_contenttype")
    connection.execute(f"INSERT INTO {table} (app_label, model) VALUES (%s, %s)", ("blog", "ghost"))
    # Declining the confirmation deletes nothing.
    output = manouche_ok(project, db_url, "contenttypes", "prune", input="n\n")
    assert "blog.ghost" in output and "Nothing deleted" in output
    assert "blog.ghost" in manouche_ok(project, db_url, "contenttypes", "prune", "--dry-run")
    output = manouche_ok(project, db_url, "contenttypes", "prune", "--noinput")
    assert "Removed 1 content type" in output and "blog.ghost" in output
    rows = connection.execute(f"SELECT model FROM {table} WHERE app_label = %s", ("blog",))
    assert sorted(row[0] for row in rows.fetchall()) == ["author", "post"]
    connection.close()


def test_manouche_console_script_entry_point_is_cli_main():
    import tomllib

    from tests.cli.conftest import ROOT

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["manouche"] == "cli:main"
    assert callable(sys.modules["cli"].main)


@pytest.mark.backends("sqlite")
def test_colour_on_a_terminal_and_never_with_no_color(project, db_url, monkeypatch):
    from click.testing import CliRunner

    from cli.app import manouche

    manouche_ok(project, db_url, "makemigrations", "--noinput")
    manouche_ok(project, db_url, "migrate")
    monkeypatch.chdir(project.path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    arguments = ["--database-url", db_url, "migrate", "--plan", "blog", "zero"]
    coloured = CliRunner().invoke(manouche, arguments, color=True)
    assert coloured.exit_code == 0, coloured.output
    assert "\x1b[" in coloured.stdout and "[DESTRUCTIVE]" in coloured.stdout
    plain = CliRunner().invoke(manouche, ["--no-color", *arguments], color=True)
    assert plain.exit_code == 0 and "\x1b[" not in plain.stdout
    assert "[DESTRUCTIVE]" in plain.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in CliRunner().invoke(manouche, arguments, color=True).stdout
