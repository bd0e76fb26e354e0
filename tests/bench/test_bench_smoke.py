"""A tiny run of the benchmarks (SQLite) so they keep working; no timing is asserted."""

from __future__ import annotations

import pytest

from bench.cli import main
from bench.workloads import WORKLOADS


@pytest.fixture(autouse=True)
def _close_connections():
    yield
    import orm

    orm.connections.close_all()


def test_every_workload_runs_and_matches_the_raw_driver(tmp_path, capsys):
    table = tmp_path / "table.md"
    code = main(["--scale", "tiny", "--repeat", "1", "--orms", "manouche",
                 "--sqlite-dir", str(tmp_path), "--markdown", str(table)])
    output = capsys.readouterr().out
    assert code == 0, output
    assert "FAILED" not in output and "MISMATCH" not in output
    text = table.read_text()
    for workload in WORKLOADS:
        assert workload.title in text
    assert "manouche (×raw)" in text


def test_unknown_workload_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit, match="unknown workload"):
        main(["--scale", "tiny", "--only", "nope", "--sqlite-dir", str(tmp_path)])


def test_server_backend_without_url_says_which_option(monkeypatch):
    monkeypatch.delenv("BENCH_POSTGRESQL_URL", raising=False)
    with pytest.raises(SystemExit, match="--postgresql-url"):
        main(["--scale", "tiny", "--backend", "postgresql", "--postgresql-url", ""])


def test_synthetic_project_is_deterministic_and_relates_backwards():
    from bench.synthetic import changed_field_source, models_source

    text = models_source(25)
    assert text == models_source(25)
    assert text.count("class Model") == 25
    assert 'orm.ForeignKey("Model0000"' in text
    assert "orm.ManyToManyField(" in text
    assert changed_field_source(25) != text


def test_migrations_benchmark_runs_every_step(tmp_path):
    from bench.migrations import STEPS, measure

    results = measure(12, str(tmp_path))
    for step in STEPS:
        assert results[step]["code"] is not None
    assert results["makemigrations_empty"]["code"] == 0
    assert results["check_history"]["changes_found"] is False
    assert results["check_changed"]["changes_found"] is True
    assert results["state_rebuild"]["models"] >= 12
    assert results["migrate"]["statements"] > 0


def test_an_orm_in_its_own_process_is_compared_with_the_raw_driver_there(tmp_path, capsys):
    from bench.cli import build_parser
    from bench.isolation import run_in_children

    assert main(["--scale", "tiny", "--repeat", "1", "--orms", "manouche", "--only", "load",
                 "--sqlite-dir", str(tmp_path)]) == 0  # creates the data the child reuses
    args = build_parser().parse_args(["--scale", "tiny", "--repeat", "1", "--only", "load,fk_join"])
    implementations, figures = run_in_children(args, ["manouche"], str(tmp_path))
    assert [impl.name for impl in implementations] == ["sqlite3", "manouche"]
    ours = [f for f in figures if f.implementation == "manouche"]
    assert [f.workload.name for f in ours] == ["load", "fk_join"]
    for figure in ours:
        assert figure.check == "ok" and len(figure.cpu) == 1
        assert figure.baseline is not None and figure.baseline.implementation == "sqlite3"
    assert "in a process of their own" in capsys.readouterr().out
