"""``python -m bench migrations``: the migrations engine on synthetic projects of K models.

For each K (default 50, 200, 1000) it times, each step in a fresh process
(so no state leaks between steps and imports are not counted):

* ``makemigrations`` from empty (one initial migration of K models);
* ``makemigrations --check`` over a history of K/10 migrations (nothing to do);
* ``makemigrations --check`` after one changed field (the change is found);
* state rebuild: replaying the whole history into a ``ProjectState``;
* ``migrate`` from zero on SQLite, with the share of wall time spent inside the
  database driver (statements) versus outside it;
* ``migrate <app> zero`` (unapplying everything), and its ratio to applying.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["run_migrations_benchmark", "prepare_history"]

STEPS = ("makemigrations_empty", "check_history", "check_changed", "state_rebuild", "migrate",
         "migrate_zero")


def _configure(root: Path, app: str) -> None:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import orm

    orm.configure(apps=[app], databases={"default": f"sqlite:///{root / 'db.sqlite3'}"})


def _timed(call):
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = call()
    return result, time.process_time() - cpu0, time.perf_counter() - wall0


class _DatabaseClock:
    """Wall time spent inside the SQLite driver's execute calls."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0

    def install(self) -> None:
        from backends.sqlite import connection as sqlite_connection

        clock = self
        original_execute = sqlite_connection.Connection.execute
        original_many = sqlite_connection.Connection.executemany

        def execute(self, sql, params=()):
            start = time.perf_counter()
            try:
                return original_execute(self, sql, params)
            finally:
                clock.seconds += time.perf_counter() - start
                clock.statements += 1

        def executemany(self, sql, seq_of_params):
            start = time.perf_counter()
            try:
                return original_many(self, sql, seq_of_params)
            finally:
                clock.seconds += time.perf_counter() - start
                clock.statements += 1

        sqlite_connection.Connection.execute = execute
        sqlite_connection.Connection.executemany = executemany


def _step(root: Path, app: str, k: int, step: str) -> dict:
    """Run one step in this process (called in a child process); its figures."""
    import io

    from bench.synthetic import write_app

    out = io.StringIO()
    if step == "check_changed":
        write_app(root, app, k, changed=True)
    _configure(root, app)
    import importlib

    importlib.import_module(f"{app}.models")
    from migrations_engine.authoring import makemigrations

    figures: dict = {}
    if step == "makemigrations_empty":
        code, cpu, wall = _timed(lambda: makemigrations([app], interactive=False, stdout=out))
    elif step in ("check_history", "check_changed"):
        code, cpu, wall = _timed(
            lambda: makemigrations([app], check=True, interactive=False, stdout=out)
        )
        figures["changes_found"] = code == 1
    elif step == "state_rebuild":
        from migrations_engine.loader import MigrationLoader

        def rebuild():
            loader = MigrationLoader(connection=None)
            return len(loader.project_state().models)

        code, cpu, wall = _timed(rebuild)
        figures["models"] = code
    else:
        from migrations_engine.commands import migrate

        clock = _DatabaseClock()
        clock.install()
        if step == "migrate":
            code, cpu, wall = _timed(lambda: migrate(stdout=out, verbosity=0))
        else:
            code, cpu, wall = _timed(lambda: migrate(app, "zero", stdout=out, verbosity=0))
        figures["database_seconds"] = clock.seconds
        figures["statements"] = clock.statements
        figures["outside_database"] = (wall - clock.seconds) / wall if wall else 0.0
    figures.update(step=step, k=k, cpu=cpu, wall=wall, code=code)
    if step == "check_changed":
        write_app(root, app, k)
    return figures


def prepare_history(root: Path, app: str, k: int) -> int:
    """Write the app in K/10 steps of 10 models, one migration per step; the migration count."""
    from bench.synthetic import write_app

    steps = max(1, k // 10)
    for step in range(1, steps + 1):
        count = k if step == steps else step * 10
        write_app(root, app, k, models=count)
        _run_child(root, app, k, "makemigrations_empty")
    return steps


def _run_child(root: Path, app: str, k: int, step: str) -> dict:
    command = [sys.executable, "-m", "bench.migrations", str(root), app, str(k), step]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent.parent),
                                                      env.get("PYTHONPATH")]))
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"bench.migrations {step} (K={k}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(k: int, directory: str | None = None) -> dict:
    """Every step at one K; a dict step -> figures."""
    from bench.synthetic import write_app

    root = Path(tempfile.mkdtemp(prefix=f"manouche-synth-{k}-", dir=directory))
    app = f"synth{k}"
    results: dict = {}
    try:
        write_app(root, app, k)
        results["makemigrations_empty"] = _run_child(root, app, k, "makemigrations_empty")
        shutil.rmtree(root / app / "migrations")
        results["history_migrations"] = prepare_history(root, app, k)
        for step in ("check_history", "check_changed", "state_rebuild", "migrate",
                     "migrate_zero"):
            results[step] = _run_child(root, app, k, step)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def format_table(all_results: dict) -> str:
    lines = [
        "| K | makemigrations from empty | --check, K/10 migrations | --check, one changed field "
        "| state rebuild | migrate from zero (outside DB) | migrate zero (× migrate) |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, results in all_results.items():
        def seconds(step, results=results):
            return f"{results[step]['wall']:.2f} s"

        migrate = results["migrate"]
        zero = results["migrate_zero"]
        lines.append(
            f"| {k} | {seconds('makemigrations_empty')} | {seconds('check_history')} "
            f"({results['history_migrations']} migrations) | {seconds('check_changed')} "
            f"(found: {results['check_changed']['changes_found']}) | {seconds('state_rebuild')} | "
            f"{migrate['wall']:.2f} s ({migrate['outside_database'] * 100:.0f}%) | "
            f"{zero['wall']:.2f} s ({zero['wall'] / migrate['wall']:.2f}×) |"
        )
    return "\n".join(lines)


def run_migrations_benchmark(args) -> int:
    """The ``migrations`` suite of ``python -m bench``."""
    ks = [int(value) for value in args.k.split(",") if value]
    all_results = {}
    for k in ks:
        print(f"K={k}...", flush=True)
        all_results[k] = measure(k, args.sqlite_dir)
        for step in STEPS:
            figures = all_results[k][step]
            extra = ""
            if "outside_database" in figures:
                extra = (f" outside the database {figures['outside_database'] * 100:.0f}% "
                         f"({figures['statements']} statements)")
            print(f"  {step:<22} wall {figures['wall']:8.3f} s  cpu {figures['cpu']:8.3f} s{extra}",
                  flush=True)
    table = format_table(all_results)
    print()
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(table + "\n")
    return 0


if __name__ == "__main__":
    root_arg, app_arg, k_arg, step_arg = sys.argv[1:5]
    print(json.dumps(_step(Path(root_arg), app_arg, int(k_arg), step_arg)))
