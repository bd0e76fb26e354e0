"""CLI test helpers: a throwaway project directory, and running ``manouche`` in it.

``run_manouche(project, *args)`` runs ``python -m cli`` in a subprocess (a
fresh interpreter, as a user's shell would); ``invoke(project, *args)`` runs
the click app in-process with ``CliRunner`` (faster, and sees exceptions).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import orm
from orm.config import settings

ROOT = Path(__file__).resolve().parents[2]

BLOG_MODELS = """\
import orm


class Author(orm.Model):
    name = orm.CharField(max_length=100)
    email = orm.EmailField(unique=True)


class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="posts")
    title = orm.CharField(max_length=200)
    body = orm.TextField(default="")
"""


@dataclass
class Project:
    """A project directory: pyproject.toml with [tool.manouche] and the app ``blog``."""

    path: Path

    def write(self, relative: str, text: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def migration_files(self, app: str = "blog") -> list[str]:
        folder = self.path / app / "migrations"
        return sorted(p.name for p in folder.glob("[0-9]*.py")) if folder.is_dir() else []


NOTE_MODELS = """\
import orm


class Note(orm.Model):
    text = orm.TextField()
"""


def make_project(
    path: Path, database: str = "sqlite:///project.sqlite3", models: str = BLOG_MODELS
) -> Project:
    """Write a project with the app ``blog`` (Author, Post) into ``path``."""
    project = Project(path)
    project.write(
        "pyproject.toml",
        f"""\
        [project]
        name = "testproject"

        [tool.manouche]
        apps = ["blog"]
        database = "{database}"
        """,
    )
    project.write("blog/__init__.py", "")
    project.write("blog/models.py", models)
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project directory (see ``make_project``)."""
    return make_project(tmp_path / "project")


def subprocess_env(**extra: str | None) -> dict[str, str]:
    """The environment for ``python -m cli``: manouche importable, no DATABASE_URL unless given."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    env["NO_COLOR"] = "1"
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_manouche(
    cwd: Path | Project, *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m cli *args`` in ``cwd``; returns the completed process (never raises)."""
    directory = cwd.path if isinstance(cwd, Project) else cwd
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=directory,
        env=env if env is not None else subprocess_env(),
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``invoke(cwd, *args, input=None)``: the click app run in-process in ``cwd``."""
    from cli.app import manouche

    monkeypatch.delenv("DATABASE_URL", raising=False)

    def run(cwd: Path | Project, *args: str, input: str | None = None) -> Result:
        directory = cwd.path if isinstance(cwd, Project) else cwd
        monkeypatch.chdir(directory)
        return CliRunner().invoke(manouche, list(args), input=input, catch_exceptions=True)

    return run


@pytest.fixture(autouse=True)
def forget_configuration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Leave the ORM unconfigured and the test projects' modules unimported after each test."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    temporary = tmp_path_factory.getbasetemp().resolve()
    from orm.registry import registry

    saved_labels = set(registry.all_models)
    saved_ready = registry.ready
    yield
    orm.connections.close_all()
    settings.reset()
    orm.connections.reset()
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        module = sys.modules[name]
        location = getattr(module, "__file__", None) or ""
        if location and str(Path(location).resolve()).startswith(str(temporary)):
            del sys.modules[name]
    for label in [
        label for label, config in registry.app_configs.items() if config.name not in sys.modules
    ]:
        del registry.app_configs[label]
        registry.all_models.pop(label, None)
    for label in set(registry.all_models) - saved_labels:
        del registry.all_models[label]
    registry.ready = saved_ready
