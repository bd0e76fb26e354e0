"""makemigrations on large projects: 1000 models from empty, --check over 100 migrations.

These pin behaviour at scale, not speed: the timings are printed (run with ``-s``)
and the targets of issue 8 are measured in bench/ (``python -m bench migrations``),
never asserted in tests.
"""

from __future__ import annotations

import time

import pytest

from .authoring_project import AuthoringProject

pytestmark = pytest.mark.backends("sqlite")


def synthetic_models(count: int, extra_fields: int = 0) -> str:
    """``count`` models, each with a few columns and a foreign key to the previous one."""
    lines = []
    for number in range(count):
        lines.append(f"class Model{number}(orm.Model):")
        lines.append("    name = orm.CharField(max_length=50, db_index=True)")
        lines.append("    amount = orm.DecimalField(max_digits=8, decimal_places=2, default=0)")
        for extra in range(extra_fields):
            lines.append(f"    extra{extra} = orm.IntegerField(null=True)")
        if number:
            lines.append(f"    previous = orm.ForeignKey('perf.Model{number - 1}', "
                         "on_delete=orm.CASCADE, related_name='+')")
        lines.append("")
    return "\n".join(lines)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("MANOUCHE_MIGRATION_TIMESTAMP", "2026-11-21 12:00")
    monkeypatch.chdir(tmp_path)
    project = AuthoringProject(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    yield project
    project.close()


def test_makemigrations_for_1000_models_from_empty(project, vendor):
    project.models("perf", synthetic_models(1000))
    start = time.perf_counter()
    code, _output = project.makemigrations()
    elapsed = time.perf_counter() - start
    print(f"\nmakemigrations, 1000 models from empty: {elapsed:.2f} s")
    assert code == 0 and project.migration_names("perf") == ["0001_initial"]


def test_check_over_a_history_of_100_migrations(project, vendor):
    project.models("perf", synthetic_models(20))
    project.makemigrations()
    for number in range(1, 100):
        project.models("perf", synthetic_models(20, extra_fields=number))
        project.makemigrations()
    assert len(project.migration_names("perf")) == 100
    project.reload()
    start = time.perf_counter()
    code, output = project.makemigrations(check=True)
    elapsed = time.perf_counter() - start
    print(f"\nmakemigrations --check, 100 migrations: {elapsed:.2f} s")
    assert code == 0, output
