"""``python -m bench migrations``: the migrations engine on synthetic projects of K models.

For each K (default 50, 200, 1000) it times, each step in a fresh process
(so no state leaks between steps):

* ``makemigrations`` from empty (one initial migration of K models);
* ``makemigrations --check`` over a history of K/10 migrations (nothing to do);
* ``makemigrations --check`` after one changed field (the change is found);
* state rebuild: replaying the whole history into a ``ProjectState``;
* ``migrate`` from zero on SQLite, with the share of wall time spent inside the
  database driver (statements) versus outside it;
* ``migrate <app> zero`` (unapplying everything), and its ratio to applying.

The three ``migrate`` steps run ``--repeat`` times (from an empty database each
time); their figures are medians, since the time SQLite spends committing
varies with the machine's disk load far more than the Python side does.

What a step's time covers: the call of the command's function (``migrate()``,
``makemigrations()``...) in a process where Python has started, the engine's
modules are imported and the project is configured with its models imported.
Inside it is everything the command does: reading the applied set, importing
and compiling the migration files, the lock, planning, states, SQL, the
recorder, signals. Every module of the engine and of the SQLite backend is
imported before the clock starts (some are imported by a command only on
first use, and would otherwise be compiled inside the timed call). Every
step runs with ``PYTHONDONTWRITEBYTECODE=1`` and no
``__pycache__`` for the migration files, so they are compiled from source each
time, as on a fresh checkout or deploy: the conservative case, and the same
whatever the caller's environment. Two more figures show what that choice
excludes or includes:

* ``migrate_cached``: ``migrate`` from zero again with the migration files'
  bytecode cached (Python's default once they were imported once);
* ``process_wall`` of the ``migrate`` step: the whole child process as the
  parent saw it (interpreter start-up, imports, configuring the project and
  importing its K models, then ``migrate``), the closest figure to a
  ``manouche migrate`` run from the shell.
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
         "migrate_zero", "migrate_cached")


def _configure(root: Path, app: str) -> None:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import orm

    orm.configure(apps=[app], databases={"default": f"sqlite:///{root / 'db.sqlite3'}"})


def _children_cpu() -> float:
    """CPU seconds of this process's child processes that have ended and been waited for."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(call):
    """``(result, cpu, wall)`` of ``call()``; ``cpu`` is this process's only.

    The loader compiles migration files, and the executor writes statements
    ahead, in forked processes where it can (reaped before the call returns);
    `_step` reports their CPU apart (``children_cpu``).
    """
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = call()
    return result, time.process_time() - cpu0, time.perf_counter() - wall0


class _DatabaseClock:
    """Wall time spent inside the sqlite3 driver, timed at the driver itself.

    ``sqlite3.connect`` is patched so every connection the step opens (the
    database's and the migration lock's) is a subclass whose cursors time
    their ``execute``/``executemany``/``executescript`` calls: that is
    ``seconds``, what "outside DB" leaves out. Everything else the step does
    in Python, including the backend's own ``Connection.execute`` wrapper,
    counts as outside. Fetching rows and opening connections also happen in
    the driver, but are kept *outside* (conservative); they are measured
    apart in ``fetch_seconds`` and ``connect_seconds`` so the split can be
    seen.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0
        self.fetch_seconds = 0.0
        self.connect_seconds = 0.0

    def install(self) -> None:
        import sqlite3

        clock = self
        perf_counter = time.perf_counter

        def timed(method, total: str, counts: bool):
            def wrapper(cursor, *args, **kwargs):
                start = perf_counter()
                try:
                    return method(cursor, *args, **kwargs)
                finally:
                    setattr(clock, total, getattr(clock, total) + perf_counter() - start)
                    if counts:
                        clock.statements += 1

            return wrapper

        def timed_class(base):
            return type(f"Timed{base.__name__}", (base,), {
                **{name: timed(getattr(base, name), "seconds", True)
                   for name in ("execute", "executemany", "executescript")},
                **{name: timed(getattr(base, name), "fetch_seconds", False)
                   for name in ("fetchone", "fetchmany", "fetchall")},
            })

        TimedCursor = timed_class(sqlite3.Cursor)
        # A backend may ask for a cursor subclass of its own (the SQLite backend's
        # execute() does): it is timed the same way, through a subclass of it.
        timed_factories: dict = {}

        class TimedConnection(sqlite3.Connection):
            def cursor(self, factory=TimedCursor):
                if factory is not TimedCursor:
                    timed_factory = timed_factories.get(factory)
                    if timed_factory is None:
                        timed_factory = timed_factories[factory] = timed_class(factory)
                    factory = timed_factory
                return super().cursor(factory)

            def execute(self, *args):
                return self.cursor().execute(*args)

        original_connect = sqlite3.connect

        def connect(*args, **kwargs):
            kwargs.setdefault("factory", TimedConnection)
            start = perf_counter()
            try:
                return original_connect(*args, **kwargs)
            finally:
                clock.connect_seconds += perf_counter() - start

        sqlite3.connect = connect


def _import_engine() -> None:
    """Import every module of the migrations engine and of the SQLite backend.

    A step's figure starts with the engine imported (see the module's
    docstring); without this, the modules a command imports on first use
    (the executor, recorder, lock, the SQLite backend) would be imported
    inside the timed call, and compiled there, since the steps run with
    ``PYTHONDONTWRITEBYTECODE=1`` and a fresh checkout has no bytecode.
    """
    import importlib
    import pkgutil

    import backends.sqlite
    import migrations_engine

    for package in (migrations_engine, backends.sqlite):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)


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
    _import_engine()
    from migrations_engine.authoring import makemigrations

    figures: dict = {}
    children0 = _children_cpu()
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
        if step in ("migrate", "migrate_cached"):
            code, cpu, wall = _timed(lambda: migrate(stdout=out, verbosity=0))
        else:
            code, cpu, wall = _timed(lambda: migrate(app, "zero", stdout=out, verbosity=0))
        figures["database_seconds"] = clock.seconds
        figures["fetch_seconds"] = clock.fetch_seconds
        figures["connect_seconds"] = clock.connect_seconds
        figures["statements"] = clock.statements
        figures["outside_database"] = (wall - clock.seconds) / wall if wall else 0.0
        figures["outside_seconds"] = wall - clock.seconds
    figures.update(step=step, k=k, cpu=cpu, wall=wall, code=code,
                   children_cpu=_children_cpu() - children0)
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


def _run_child(root: Path, app: str, k: int, step: str, bytecode: bool = False) -> dict:
    """Run one step in a fresh process; its figures plus ``process_wall`` (the whole process).

    ``bytecode``: let Python write and read ``__pycache__`` (off by default, so
    migration files are compiled from source in every step).
    """
    command = [sys.executable, "-m", "bench.migrations", str(root), app, str(k), step]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent.parent),
                                                      env.get("PYTHONPATH")]))
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for cache in (root / app).rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    process_wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"bench.migrations {step} (K={k}) failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_wall"] = process_wall
    return figures


def _median_figures(runs: list[dict]) -> dict:
    """One step's figures over several runs: the median of each number."""
    import statistics

    merged = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[key] = statistics.median(run[key] for run in runs)
    merged["runs"] = len(runs)
    return merged


def measure(k: int, directory: str | None = None, repeat: int = 1) -> dict:
    """Every step at one K; a dict step -> figures (the migrate steps: medians of ``repeat``)."""
    from bench.synthetic import write_app

    root = Path(tempfile.mkdtemp(prefix=f"manouche-synth-{k}-", dir=directory))
    app = f"synth{k}"
    results: dict = {}
    try:
        write_app(root, app, k)
        results["makemigrations_empty"] = _run_child(root, app, k, "makemigrations_empty")
        shutil.rmtree(root / app / "migrations")
        results["history_migrations"] = prepare_history(root, app, k)
        for step in ("check_history", "check_changed", "state_rebuild"):
            results[step] = _run_child(root, app, k, step)
        runs: dict[str, list[dict]] = {"migrate": [], "migrate_zero": [], "migrate_cached": []}
        for _ in range(repeat):
            (root / "db.sqlite3").unlink(missing_ok=True)
            runs["migrate"].append(_run_child(root, app, k, "migrate"))
            runs["migrate_zero"].append(_run_child(root, app, k, "migrate_zero"))
        # Again from an empty database, with the files' bytecode written by a first import.
        _run_child(root, app, k, "state_rebuild", bytecode=True)
        for _ in range(repeat):
            (root / "db.sqlite3").unlink(missing_ok=True)
            runs["migrate_cached"].append(_run_child(root, app, k, "migrate_cached", bytecode=True))
        for step, step_runs in runs.items():
            results[step] = _median_figures(step_runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def _outside(figures: dict, wall_key: str = "wall") -> str:
    """``"32%, 0.26 s"``: share and seconds of the wall time spent outside the driver."""
    wall = figures[wall_key]
    if wall_key == "wall":
        return f"{figures['outside_database'] * 100:.0f}%, {figures['outside_seconds']:.2f} s"
    outside = wall - figures["database_seconds"]
    return f"{outside / wall * 100:.0f}%, {outside:.2f} s" if wall else "-"


def format_table(all_results: dict) -> str:
    lines = [
        "| K | makemigrations from empty | --check, K/10 migrations | --check, one changed field "
        "| state rebuild | migrate from zero (outside DB: share, seconds) | same, bytecode cached "
        "| same, whole process | migrate zero (× migrate) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for k, results in all_results.items():
        def seconds(step, results=results):
            return f"{results[step]['wall']:.2f} s"

        migrate = results["migrate"]
        zero = results["migrate_zero"]
        cached = results["migrate_cached"]
        lines.append(
            f"| {k} | {seconds('makemigrations_empty')} | {seconds('check_history')} "
            f"({results['history_migrations']} migrations) | {seconds('check_changed')} "
            f"(found: {results['check_changed']['changes_found']}) | {seconds('state_rebuild')} | "
            f"{migrate['wall']:.2f} s ({_outside(migrate)}) | "
            f"{cached['wall']:.2f} s ({_outside(cached)}) | "
            f"{migrate['process_wall']:.2f} s ({_outside(migrate, 'process_wall')}) | "
            f"{zero['wall']:.2f} s ({zero['wall'] / migrate['wall']:.2f}×) |"
        )
    return "\n".join(lines)


def run_migrations_benchmark(args) -> int:
    """The ``migrations`` suite of ``python -m bench``."""
    ks = [int(value) for value in args.k.split(",") if value]
    all_results = {}
    for k in ks:
        print(f"K={k}...", flush=True)
        all_results[k] = measure(k, args.sqlite_dir, args.repeat)
        for step in STEPS:
            figures = all_results[k][step]
            extra = ""
            if "outside_database" in figures:
                extra = (f" outside the database {figures['outside_database'] * 100:.0f}% "
                         f"({figures['statements']} statements; whole process "
                         f"{figures['process_wall']:.3f} s, "
                         f"outside {_outside(figures, 'process_wall')})")
            children = (f" (+{figures['children_cpu']:.3f} s in forked workers)"
                        if figures.get("children_cpu") else "")
            print(f"  {step:<22} wall {figures['wall']:8.3f} s  cpu {figures['cpu']:8.3f} s{children}{extra}",
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
