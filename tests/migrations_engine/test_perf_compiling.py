"""Migration files compiled ahead in forked processes: same modules, same errors, same bytecode.

``migrations_engine.compiling`` compiles the files the importer would
compile from source in several processes when there is enough source; these
tests force that path on small projects (threshold 0, three processes) and
check it against the ordinary import.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrations_engine import compiling
from migrations_engine.errors import InvalidMigrationError
from migrations_engine.loader import MigrationLoader
from tests.migrations_engine.runtime_project import Project, migration_source


def _create(name: str) -> str:
    return f'''
    migrations.CreateModel(
        name="{name}",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("title", orm.CharField(max_length=40, db_index=True)),
            ("size", orm.IntegerField(default=3)),
        ],
    ),
'''


def _history(count: int) -> dict[str, str]:
    """``count`` migrations, each creating one model and depending on the one before."""
    files = {}
    previous = None
    for number in range(1, count + 1):
        name = f"{number:04d}_item{number}"
        files[name] = migration_source(
            _create(f"Item{number}"),
            dependencies=[("shop", previous)] if previous else (),
            initial=number == 1,
        )
        previous = name
    return files


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    yield project
    project.close()


@pytest.fixture
def forced(monkeypatch):
    """Compile ahead whatever the size, in three processes; record what was compiled ahead."""
    monkeypatch.setattr(compiling, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(compiling, "_workers", lambda: 3)
    seen: list[int] = []
    original = compiling.compile_ahead

    def recording(paths, workers=None):
        result = original(paths, workers)
        seen.append(len(result) if result is not None else 0)
        return result

    monkeypatch.setattr(compiling, "compile_ahead", recording)
    return seen


def test_migrate_with_files_compiled_in_child_processes(project, forced):
    project.app("shop", _history(7))
    project.configure()
    project.migrate()
    assert project.tables() >= {f"shop_item{number}" for number in range(1, 8)}
    assert len(project.applied()) == 7
    # Every file was compiled ahead, by the parent or one of its two children.
    assert forced[-1] == 7


def test_modules_compiled_ahead_match_ordinary_imports(project, forced, monkeypatch):
    folder = project.app("shop", _history(5))
    project.configure()
    ahead = MigrationLoader(connection=None)
    assert forced[-1] == 5
    monkeypatch.setattr(compiling, "_workers", lambda: 1)
    ordinary = MigrationLoader(connection=None)
    assert forced[-1] == 0
    for key, migration in ordinary.disk_migrations.items():
        other = ahead.disk_migrations[key]
        assert other.path == migration.path
        assert other.dependencies == migration.dependencies
        assert [op.describe() for op in other.operations] == [op.describe() for op in migration.operations]
        module = sys.modules[type(migration).__module__]
        assert module.__file__ == str(folder / "migrations" / f"{key[1]}.py")
        assert module.__spec__.origin == module.__file__
    assert ahead.project_state().models.keys() == ordinary.project_state().models.keys()


def test_syntax_error_in_a_file_compiled_ahead_names_file_and_line(project, forced):
    files = _history(4)
    files["0003_item3"] = "import orm\n\n\nclass Migration(:\n"
    folder = project.app("shop", files)
    project.configure()
    with pytest.raises(InvalidMigrationError) as caught:
        project.migrate()
    message = str(caught.value)
    assert str(folder / "migrations" / "0003_item3.py") in message
    assert ":4: syntax error in migration shop.0003_item3" in message
    assert project.tables() == set()


def test_bytecode_is_written_and_then_used_instead_of_compiling(project, forced, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    folder = project.app("shop", _history(3))
    project.configure()
    MigrationLoader(connection=None)
    assert forced[-1] == 3
    for path in (folder / "migrations").glob("0*.py"):
        assert Path(importlib.util.cache_from_source(str(path))).exists()
    MigrationLoader(connection=None)
    assert forced[-1] == 0


def test_a_file_changed_after_compiling_is_compiled_again_when_bytecode_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(compiling, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = tmp_path / "module_a.py"
    path.write_text("VALUE = 1\n")
    compiled = compiling.compile_ahead([str(path)], workers=2).wait()
    path.write_text("VALUE = 2\n")
    loader = compiling._CompiledLoader("module_a", str(path), compiled[str(path)])
    namespace: dict = {}
    exec(loader.get_code("module_a"), namespace)
    assert namespace["VALUE"] == 2
    assert Path(importlib.util.cache_from_source(str(path))).exists()


def test_without_bytecode_writing_the_code_compiled_ahead_is_used_as_is(tmp_path, monkeypatch):
    monkeypatch.setattr(compiling, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "module_b.py"
    path.write_text("VALUE = 1\n")
    compiled = compiling.compile_ahead([str(path)], workers=2).wait()
    loader = compiling._CompiledLoader("module_b", str(path), compiled[str(path)])
    code = loader.get_code("module_b")
    assert code is compiled[str(path)][1]
    # Taken once: asked again, the loader reads and compiles the file itself.
    path.write_text("VALUE = 3\n")
    namespace: dict = {}
    exec(loader.get_code("module_b"), namespace)
    assert namespace["VALUE"] == 3
    assert not Path(importlib.util.cache_from_source(str(path))).exists()


def test_threads_or_no_fork_compile_in_this_process_only(monkeypatch):
    import threading

    event = threading.Event()
    thread = threading.Thread(target=event.wait)
    thread.start()
    try:
        assert compiling._workers() == 1
    finally:
        event.set()
        thread.join()
    monkeypatch.setenv("MANOUCHE_FORK_WORKERS", "0")
    assert compiling._workers() == 1
    monkeypatch.delenv("MANOUCHE_FORK_WORKERS")
    monkeypatch.delattr(compiling.os, "fork")
    assert compiling._workers() == 1


def test_little_source_is_not_compiled_ahead(tmp_path):
    path = tmp_path / "small.py"
    path.write_text("VALUE = 1\n")
    assert compiling.compile_ahead([str(path)], workers=2) is None


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=40), st.integers(1, 6),
       st.floats(min_value=0.1, max_value=2.0))
def test_shares_keep_every_file_in_order(sizes, count, first_weight):
    files = [(f"f{index}", size) for index, size in enumerate(sizes)]
    shares = compiling._shares(files, count, first_weight)
    assert [path for share in shares for path in share] == [path for path, _ in files]
    assert len(shares) <= count
    assert all(shares)


def test_children_compile_the_later_files_and_are_all_waited_for(tmp_path, monkeypatch):
    monkeypatch.setattr(compiling, "PARALLEL_MIN_BYTES", 0)
    paths = []
    for index in range(6):
        path = tmp_path / f"module_{index}.py"
        path.write_text(f"VALUE = {index}\n" + "X = [1, 2, 3]\n" * 50)
        paths.append(str(path))
    compiled = compiling.compile_ahead(paths, workers=3)
    assert compiled is not None and len(compiled) == 6
    # The last file is a child's: taking it reads that child's share.
    source, code = compiled.take(paths[-1])
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["VALUE"] == 5 and source == Path(paths[-1]).read_bytes()
    everything = compiled.wait()
    assert set(everything) == set(paths[:-1])
    assert all(share.worker.done and share.worker.pid == 0 for share in compiled._all)


def test_files_of_a_slow_worker_are_compiled_here_instead_of_waiting(tmp_path, monkeypatch):
    monkeypatch.setattr(compiling, "PARALLEL_MIN_BYTES", 0)
    original = compiling._compile_and_send

    def slow(paths, send):
        time.sleep(30)
        original(paths, send)

    monkeypatch.setattr(compiling, "_compile_and_send", slow)
    paths = []
    for index in range(6):
        path = tmp_path / f"late_{index}.py"
        path.write_text(f"VALUE = {index}\n" + "X = [1, 2, 3]\n" * 50)
        paths.append(str(path))
    compiled = compiling.compile_ahead(paths, workers=2)
    for index, path in enumerate(paths):
        source, code = compiled.take(path)
        namespace: dict = {}
        exec(code, namespace)
        assert namespace["VALUE"] == index
    # Everything came from this process: the worker is still asleep, and is stopped.
    share = compiled._all[0]
    assert not share.worker.done
    share.worker.stop()
    assert share.worker.pid == 0


def test_a_worker_reaped_by_someone_else_is_stopped_quietly():
    from migrations_engine.forked import Worker

    worker = Worker.start(lambda send: send({"done": True}))
    assert worker is not None
    assert worker.receive() == {"done": True}
    assert worker.receive() is None and worker.done
    os.waitpid(worker.pid, 0)  # a program's own wait() for any child
    worker.stop()
    assert worker.pid == 0
