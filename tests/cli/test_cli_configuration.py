"""Where the CLI takes its database from, and how it reports bad input (SPEC §2, §9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import backends
from tests.cli.conftest import NOTE_MODELS, run_manouche, subprocess_env
from tests.cli.conftest import make_project as make_blog_project


def sqlite_with_table(path: Path, table: str) -> str:
    """Create a SQLite database at ``path`` holding one table; return its URL."""
    url = f"sqlite:///{path}"
    connection = backends.connect(url)
    try:
        connection.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, label text)")
    finally:
        connection.close()
    return url


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, str]:
    """Four SQLite databases, each with a table naming where its URL comes from."""
    return {
        source: sqlite_with_table(tmp_path / f"{source}.sqlite3", f"from_{source}")
        for source in ("cli", "environment", "pyproject", "config")
    }


def make_project(path: Path, database: str):
    return make_blog_project(path, database, models=NOTE_MODELS)


def inspected_classes(output: str) -> set[str]:
    return {
        line.split("(")[0][len("class ") :]
        for line in output.splitlines()
        if line.startswith("class ")
    }


def test_database_url_option_beats_environment_and_pyproject(
    tmp_path, sources, invoke, monkeypatch
):
    make_project(tmp_path / "p", database=sources["pyproject"])
    monkeypatch.setenv("DATABASE_URL", sources["environment"])
    result = invoke(tmp_path / "p", "--database-url", sources["cli"], "inspectdb")
    assert result.exit_code == 0, result.output
    assert inspected_classes(result.stdout) == {"FromCli"}


def test_environment_beats_pyproject(tmp_path, sources):
    make_project(tmp_path / "p", database=sources["pyproject"])
    env = subprocess_env(DATABASE_URL=sources["environment"])
    result = run_manouche(tmp_path / "p", "inspectdb", env=env)
    assert result.returncode == 0, result.stderr
    assert inspected_classes(result.stdout) == {"FromEnvironment"}


def test_nearest_pyproject_is_found_from_a_subdirectory(tmp_path, sources, invoke):
    make_project(tmp_path / "p", database=sources["pyproject"])
    (tmp_path / "p" / "deep" / "er").mkdir(parents=True)
    result = invoke(tmp_path / "p" / "deep" / "er", "inspectdb")
    assert result.exit_code == 0, result.output
    assert inspected_classes(result.stdout) == {"FromPyproject"}


def test_config_option_beats_the_nearest_pyproject(tmp_path, sources, invoke):
    make_project(tmp_path / "p", database=sources["pyproject"])
    other = make_project(tmp_path / "elsewhere", database=sources["config"])
    result = invoke(tmp_path / "p", "--config", str(other.path / "pyproject.toml"), "inspectdb")
    assert result.exit_code == 0, result.output
    assert inspected_classes(result.stdout) == {"FromConfig"}


def test_config_option_beats_the_environment(tmp_path, sources, invoke, monkeypatch):
    other = make_project(tmp_path / "elsewhere", database=sources["config"])
    monkeypatch.setenv("DATABASE_URL", sources["environment"])
    # SPEC §2: "--database-url and --config win, then DATABASE_URL".
    result = invoke(tmp_path, "--config", str(other.path / "pyproject.toml"), "inspectdb")
    assert result.exit_code == 0, result.output
    assert inspected_classes(result.stdout) == {"FromConfig"}


def test_without_any_configuration_the_database_is_db_sqlite3_in_the_working_directory(
    tmp_path, invoke
):
    sqlite_with_table(tmp_path / "db.sqlite3", "from_default")
    result = invoke(tmp_path, "inspectdb")
    assert result.exit_code == 0, result.output
    assert inspected_classes(result.stdout) == {"FromDefault"}


def test_the_project_directory_goes_on_sys_path_so_apps_import(tmp_path, sources):
    project = make_project(tmp_path / "p", database=sources["pyproject"])
    project.write(
        "blog/models.py", "import orm\n\nclass Note(orm.Model):\n    text = orm.TextField()\n"
    )
    (tmp_path / "p" / "sub").mkdir()
    # From a subdirectory, with a PYTHONPATH that does not include the project.
    result = run_manouche(tmp_path / "p" / "sub", "inspectdb")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "nosuchscheme://user:s3cret-pw@host/db",
        "postgresql://user:s3cret-pw@127.0.0.1:1/db?connect_timeout=2",
        "mysql://user:s3cret-pw@127.0.0.1:1/db?connect_timeout=2",
        "postgresql://user:s3cret-pw@/db",
        "just-a-word",
    ],
)
def test_broken_database_url_is_one_line_without_traceback_or_password(tmp_path, url):
    env = subprocess_env(DATABASE_URL=url)
    result = run_manouche(tmp_path, "inspectdb", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_verbosity_2_adds_the_traceback(tmp_path):
    env = subprocess_env(DATABASE_URL="nosuchscheme://user:s3cret-pw@host/db")
    result = run_manouche(tmp_path, "-v", "2", "inspectdb", env=env)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "s3cret-pw" not in result.stderr


def test_unknown_database_alias_is_a_user_error(tmp_path, invoke):
    result = invoke(tmp_path, "--database", "replica", "inspectdb")
    assert result.exit_code == 1
    assert "replica" in result.stderr and "default" in result.stderr


def test_missing_config_file_is_a_user_error(tmp_path, invoke):
    result = invoke(tmp_path, "--config", str(tmp_path / "nope.toml"), "inspectdb")
    assert result.exit_code == 1
    assert "nope.toml" in result.stderr


def test_broken_pyproject_names_the_file(tmp_path, invoke):
    (tmp_path / "pyproject.toml").write_text("[tool.manouche\napps = [", encoding="utf-8")
    result = invoke(tmp_path, "--config", str(tmp_path / "pyproject.toml"), "inspectdb")
    assert result.exit_code == 1
    assert "pyproject.toml" in result.stderr and "TOML" in result.stderr


def test_app_that_cannot_be_imported_is_a_user_error(tmp_path, sources, invoke):
    project = make_project(tmp_path / "p", database=sources["pyproject"])
    project.write(
        "pyproject.toml",
        f'[tool.manouche]\napps = ["no_such_app"]\ndatabase = "{sources["pyproject"]}"\n',
    )
    result = invoke(project, "inspectdb")
    assert result.exit_code == 1
    assert "no_such_app" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_option_is_a_usage_error(tmp_path, invoke):
    result = invoke(tmp_path, "migrate", "--no-such-option")
    assert result.exit_code == 2
    assert "--no-such-option" in result.stderr


def test_unknown_command_is_a_usage_error(tmp_path, invoke):
    result = invoke(tmp_path, "frobnicate")
    assert result.exit_code == 2


def test_verbosity_out_of_range_is_a_usage_error(tmp_path, invoke):
    result = invoke(tmp_path, "-v", "7", "checkdb")
    assert result.exit_code == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_directory_is_one_clear_line(tmp_path):
    directory = tmp_path / "readonly"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        result = run_manouche(directory, "inspectdb")
    finally:
        directory.chmod(0o755)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_python_dash_m_cli_and_help(tmp_path):
    result = run_manouche(tmp_path, "--help")
    assert result.returncode == 0
    for command in (
        "makemigrations",
        "migrate",
        "showmigrations",
        "sqlmigrate",
        "squashmigrations",
        "checkdb",
        "inspectdb",
        "dbshell",
        "contenttypes",
    ):
        assert command in result.stdout


def test_sqlite_database_in_a_missing_directory_is_one_clear_line(tmp_path):
    env = subprocess_env(DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    result = run_manouche(tmp_path, "inspectdb", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


def test_relative_sqlite_path_in_pyproject_is_relative_to_the_pyproject(tmp_path, invoke):
    project = make_project(tmp_path / "p", database="sqlite:///relative.sqlite3")
    sqlite_with_table(project.path / "relative.sqlite3", "from_relative")
    (project.path / "sub").mkdir()
    result = invoke(project.path / "sub", "inspectdb")
    assert result.exit_code == 0, result.output
    assert inspected_classes(result.stdout) == {"FromRelative"}
    assert not (project.path / "sub" / "relative.sqlite3").exists()


def test_relative_sqlite_path_in_database_url_is_relative_to_the_working_directory(tmp_path):
    sqlite_with_table(tmp_path / "here.sqlite3", "from_here")
    env = subprocess_env(DATABASE_URL="sqlite:///here.sqlite3")
    result = run_manouche(tmp_path, "inspectdb", env=env)
    assert result.returncode == 0, result.stderr
    assert inspected_classes(result.stdout) == {"FromHere"}


def test_config_file_without_a_manouche_table_is_a_user_error(tmp_path, invoke):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    result = invoke(tmp_path, "--config", str(tmp_path / "pyproject.toml"), "inspectdb")
    assert result.exit_code == 1
    assert "[tool.manouche]" in result.stderr
