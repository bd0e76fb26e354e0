"""``manouche dbshell``: the database's own client, never with the password on its command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import backends
from cli.dbshell import run_shell, shell_command
from tests.cli.conftest import run_manouche, subprocess_env

QUERY_ARGS = {
    "sqlite": ["SELECT 40 + 2;"],
    "postgresql": ["-At", "-c", "SELECT 40 + 2"],
    "mysql": ["-N", "-B", "-e", "SELECT 40 + 2"],
}


def test_dbshell_runs_the_client_against_the_configured_database(vendor, db_url, tmp_path):
    result = run_manouche(tmp_path, "--database-url", db_url, "dbshell", "--", *QUERY_ARGS[vendor])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].strip() == "42"


def test_dbshell_reads_a_table_of_the_configured_database(vendor, db, db_url, tmp_path):
    db.execute("CREATE TABLE marker (word varchar(20))")
    db.execute("INSERT INTO marker (word) VALUES (%s)", ("hello-shell",))
    query = "SELECT word FROM marker"
    args = {
        "sqlite": [query + ";"],
        "postgresql": ["-At", "-c", query],
        "mysql": ["-N", "-B", "-e", query],
    }[vendor]
    result = run_manouche(tmp_path, "--database-url", db_url, "dbshell", "--", *args)
    assert result.returncode == 0, result.stderr
    assert "hello-shell" in result.stdout


def test_client_exit_code_is_passed_on(vendor, db_url, tmp_path):
    args = {
        "sqlite": ["-bail", "SELECT * FROM no_such_table;"],
        "postgresql": ["-v", "ON_ERROR_STOP=1", "-c", "SELECT * FROM no_such_table"],
        "mysql": ["-e", "SELECT * FROM no_such_table"],
    }[vendor]
    result = run_manouche(tmp_path, "--database-url", db_url, "dbshell", "--", *args)
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("url", "client"),
    [
        ("sqlite:///x.db", "sqlite3"),
        ("postgresql://u:pw@localhost/x", "psql"),
        ("mysql://u:pw@localhost/x", "mariadb"),
    ],
)
def test_missing_client_is_one_clear_line(url, client, tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = subprocess_env(PATH=str(empty_bin))
    result = run_manouche(tmp_path, "--database-url", url, "dbshell", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: dbshell:"), result.stderr
    assert client in lines[0] and "PATH" in lines[0]
    assert "pw@" not in result.stderr


def test_postgresql_password_goes_through_the_environment_not_argv():
    url = backends.parse_url("postgresql://app:p%20w'rd@db.example:5433/shop?sslmode=require")
    command = shell_command(url, ["-c", "SELECT 1"])
    assert not any("p w'rd" in argument for argument in command.argv)
    assert command.env == {"PGPASSWORD": "p w'rd"}
    conninfo = command.argv[1]
    for piece in ("host=db.example", "port=5433", "user=app", "dbname=shop", "sslmode=require"):
        assert piece in conninfo
    assert command.argv[-2:] == ["-c", "SELECT 1"]


def test_mysql_password_goes_into_an_option_file_removed_after_the_run(tmp_path, monkeypatch):
    url = backends.parse_url("mysql://app:se%23cret@db.example:3307/shop?charset=utf8mb4")
    command = shell_command(url)
    try:
        assert not any("se#cret" in argument for argument in command.argv)
        assert (
            command.option_file
            and command.argv[1] == f"--defaults-extra-file={command.option_file}"
        )
        text = Path(command.option_file).read_text(encoding="utf-8")
        assert 'password="se#cret"' in text
        assert os.stat(command.option_file).st_mode & 0o077 == 0  # readable by its owner only
        assert "--default-character-set=utf8mb4" in command.argv
        assert command.argv[-1] == "shop"
    finally:
        Path(command.option_file).unlink(missing_ok=True)
    # A client that fails at once still has its option file removed.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    client = fake_bin / "mariadb"
    client.write_text("#!/bin/sh\nexit 3\n")
    client.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("manouche-*.cnf"))
    assert run_shell(url) == 3
    after = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("manouche-*.cnf"))
    assert after <= before


def test_mysql_password_reaches_the_real_client(vendor, db_url, tmp_path):
    if vendor != "mysql":
        pytest.skip("the option file is MySQL's")
    parsed = backends.parse_url(db_url)
    assert parsed.password, "the test server's URL should carry a password for this test"
    result = run_manouche(
        tmp_path, "--database-url", db_url, "dbshell", "--", "-N", "-e", "SELECT 1"
    )
    assert result.returncode == 0, result.stderr
