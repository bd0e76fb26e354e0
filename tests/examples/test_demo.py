"""The blog demo (examples/blog/run.sh) end to end, on SQLite, with the installed CLI.

The demo runs in a temporary copy of examples/blog, twice in a row (the second
run must not trip over the first one's database), and with bad input: a
directory it cannot write to, a broken DATABASE_URL. The committed initial
migration is checked to be exactly what `manouche makemigrations` writes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "blog"


def demo_copy(tmp_path: Path) -> Path:
    """A copy of examples/blog without its database or caches."""
    target = tmp_path / "blog-demo"
    shutil.copytree(
        EXAMPLE, target, ignore=shutil.ignore_patterns("*.sqlite3*", "__pycache__", "*.pyc")
    )
    return target


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a demo run: `manouche` and `python` of the interpreter under test."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        installed = Path(sys.executable).parent / "manouche"
        if installed.exists():
            (bin_dir / "manouche").symlink_to(installed)
        else:  # manouche importable but not installed as a script (e.g. PYTHONPATH=.)
            (bin_dir / "manouche").write_text(
                f'#!/bin/sh\nexec "{sys.executable}" -c "import sys, cli; sys.exit(cli.main())" "$@"\n'
            )
            (bin_dir / "manouche").chmod(0o755)
        (bin_dir / "python").symlink_to(sys.executable)
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL" and not key.startswith("MANOUCHE_")
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=env, text=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL
    )


def check_demo_output(done: subprocess.CompletedProcess) -> None:
    """What a person reading the demo's output should see."""
    output = done.stdout
    assert done.returncode == 0, f"run.sh failed ({done.returncode}):\n{output}\n{done.stderr}"
    assert "Traceback" not in output + done.stderr
    assert "No changes detected" in output
    migrate = output.split("== manouche migrate", 1)[1].split("== manouche showmigrations")[0]
    for migration in ("contenttypes", "0001_initial", "0002_seed_tags"):
        assert migration in migrate, f"migrate's progress does not mention {migration}:\n{migrate}"
    graph = output.split("== manouche showmigrations --graph mermaid", 1)[1].split("== python")[0]
    assert re.search(r"^\s*(graph|flowchart)\b", graph, re.MULTILINE), graph
    assert "0002_seed_tags" in graph
    queries = output.split("== python queries.py", 1)[1]
    # The data migration's tags are there, the counts are right, the query counts are the point.
    assert "Small. Fast. Reliable." in queries
    assert re.search(r"Ada Lovelace\s+3 posts, 2 published, 1 comments", queries), queries
    assert re.search(r"Edgar Codd\s+3 posts, 2 published, 1 comments", queries), queries
    assert re.search(r"Databases\s+4", queries), queries
    assert re.search(r"select_related\('author'\):\s+1 query", queries), queries
    assert re.search(r"prefetch_related\('tags'\):\s+2 queries", queries), queries
    assert "rolled back: IntegrityError" in queries
    assert "authors before: 3, after: 3" in queries
    assert re.search(r"page 3: \[.+\]", queries) and "page 4" not in queries, queries


def test_demo_runs_twice_in_the_same_directory(tmp_path: Path) -> None:
    """run.sh works on a fresh copy, and again right after on the same copy."""
    directory = demo_copy(tmp_path)
    env = environment(tmp_path)
    first = run(["bash", "run.sh"], directory, env)
    check_demo_output(first)
    second = run(["bash", "run.sh"], directory, env)
    check_demo_output(second)
    # The committed migrations are kept, and nothing new was written.
    written = sorted(path.name for path in (directory / "blog" / "migrations").glob("0*.py"))
    assert written == ["0001_initial.py", "0002_seed_tags.py"]


def test_committed_initial_migration_is_what_makemigrations_writes(tmp_path: Path) -> None:
    """blog/migrations/0001_initial.py is the autodetector's output, byte for byte (but the date)."""
    directory = demo_copy(tmp_path)
    migrations = directory / "blog" / "migrations"
    for path in migrations.glob("0*.py"):
        path.unlink()
    done = run(["manouche", "makemigrations", "--noinput"], directory, environment(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr

    def without_header(path: Path) -> str:
        return "".join(
            line
            for line in path.read_text().splitlines(keepends=True)
            if not line.startswith("# Generated by manouche")
        )

    committed = EXAMPLE / "blog" / "migrations" / "0001_initial.py"
    assert without_header(migrations / "0001_initial.py") == without_header(committed)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The single line the failed demo printed on stderr (and no traceback anywhere)."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{done.stderr}"
    return lines[0]


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("postgres//nobody@:what", "postgres//nobody@:what"),  # not a URL
        ("oracle://scott:tiger@127.0.0.1/orcl", "oracle"),  # a scheme manouche has no backend for
        ("postgresql://demo@127.0.0.1:1/blog", "127.0.0.1:1"),  # no server there
    ],
)
def test_demo_with_a_broken_database_url_says_so_in_one_line(tmp_path: Path, url: str, named: str) -> None:
    directory = demo_copy(tmp_path)
    line = one_error_line(run(["bash", "run.sh"], directory, environment(tmp_path, DATABASE_URL=url)))
    assert named in line, line
    assert "tiger" not in line  # passwords are never printed


def read_only(command: list[str], directory: Path) -> list[str]:
    """``command`` run where ``directory`` cannot be written (root ignores modes: a read-only mount)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return command
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: cannot make a directory read-only")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare --mount is not permitted here: {probe.stderr.decode().strip()}")
    script = (
        f'mount --bind "{directory}" "{directory}" && '
        f'mount -o remount,ro,bind "{directory}" "{directory}" && exec "$@"'
    )
    return ["unshare", "--mount", "bash", "-c", script, "read-only", *command]


def test_demo_in_a_read_only_directory_says_so_in_one_line(tmp_path: Path) -> None:
    directory = demo_copy(tmp_path)
    done = run(read_only(["bash", "run.sh"], directory), directory, environment(tmp_path))
    line = one_error_line(done)
    assert "write" in line and str(directory) in line, line


def test_migrate_in_a_read_only_directory_says_so_in_one_line(tmp_path: Path) -> None:
    """Without run.sh's own check, the CLI itself reports the database it cannot create."""
    directory = demo_copy(tmp_path)
    done = run(read_only(["manouche", "migrate"], directory), directory, environment(tmp_path))
    line = one_error_line(done)
    assert "blog.sqlite3" in line or "database" in line.lower(), line
