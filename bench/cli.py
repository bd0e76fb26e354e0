"""The ``python -m bench`` command line."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from bench import dataset
from bench.dataset import SCALES
from bench.workloads import WORKLOADS

__all__ = ["main", "build_parser"]

PEERS = ("django", "sqlalchemy", "peewee")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time manouche (and Django, SQLAlchemy, peewee when installed) against "
        "the raw database driver on everyday workloads, or time the migrations engine.",
    )
    parser.add_argument("suite", nargs="?", choices=("orm", "migrations"), default="orm",
                        help="orm workloads (default) or the migrations benchmark")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full",
                        help="data and operation counts (default: full, as in issue 8)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "mysql"),
                        default="sqlite", help="database to run on (default: sqlite)")
    parser.add_argument("--postgresql-url",
                        default=os.environ.get("BENCH_POSTGRESQL_URL"),
                        help="an empty PostgreSQL database (or env BENCH_POSTGRESQL_URL)")
    parser.add_argument("--mysql-url", default=os.environ.get("BENCH_MYSQL_URL"),
                        help="an empty MySQL/MariaDB database (or env BENCH_MYSQL_URL)")
    parser.add_argument("--sqlite-dir", default=None,
                        help="directory for the SQLite file (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median; default 5)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only this workload (repeatable or comma-separated): "
                        + ", ".join(w.name for w in WORKLOADS))
    parser.add_argument("--orms", default=None,
                        help="comma-separated implementations besides the raw driver "
                        "(default: manouche plus every installed peer of "
                        + ", ".join(PEERS) + ")")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the tracemalloc run of the iterator workload")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--processes", choices=("separate", "shared"), default="separate",
                        help="separate (default): each ORM runs in a process of its own beside "
                        "the raw driver; shared: every implementation in this one process")
    # Internal: how the parent of --processes separate starts its children.
    parser.add_argument("--data-ready", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--k", default="50,200,1000",
                        help="migrations suite: model counts of the synthetic projects")
    return parser


def _server_url(args) -> str:
    if args.backend == "sqlite":
        from bench.harness import make_sqlite_url

        return make_sqlite_url(args.sqlite_dir)
    url = args.postgresql_url if args.backend == "postgresql" else args.mysql_url
    if not url:
        option = "--postgresql-url" if args.backend == "postgresql" else "--mysql-url"
        env = "BENCH_POSTGRESQL_URL" if args.backend == "postgresql" else "BENCH_MYSQL_URL"
        raise SystemExit(f"--backend {args.backend} needs {option} URL (or {env} in the "
                         "environment): an empty database the benchmark may fill")
    return url


def load_implementations(names: list[str] | None, vendor: str, progress=print) -> list:
    """Raw driver first, then the requested (or every available) ORM."""
    from bench.implementations.base import Unavailable
    from bench.implementations.manouche import Manouche
    from bench.implementations.raw import Raw

    wanted = names if names is not None else ["manouche", *PEERS]
    implementations = [Raw()]
    for name in wanted:
        if name == "manouche":
            implementations.append(Manouche())
            continue
        if name not in PEERS:
            raise SystemExit(f"--orms: unknown implementation {name!r}; choose from manouche, "
                             + ", ".join(PEERS))
        try:
            module = __import__(f"bench.implementations.{name}", fromlist=["Implementation"])
            implementations.append(module.Implementation(vendor))
        except Unavailable as reason:
            if names is not None:
                progress(f"skipping {name}: {reason}")
        except ImportError as error:
            if names is not None:
                progress(f"skipping {name}: {error}")
    return implementations


def versions(implementations) -> str:
    parts = [f"Python {platform.python_version()}"]
    import sqlite3

    parts.append(f"SQLite {sqlite3.sqlite_version}")
    for impl in implementations:
        version = getattr(impl, "version", None)
        if version:
            parts.append(f"{impl.name} {version}")
    return ", ".join(parts)


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs {model}".strip()


def format_table(figures, implementations, vendor: str, sizes) -> str:
    """A markdown table: one row per workload, CPU ms and ratio to raw per implementation."""
    names = [impl.name for impl in implementations]
    server = vendor != "sqlite"
    header = ["workload", "n"] + [
        f"{name} (cpu ms{', wall ms' if server else ''})" if index == 0 else f"{name} (×raw)"
        for index, name in enumerate(names)
    ] + ["target", "check"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    by_workload: dict[str, dict] = {}
    order = []
    for figure in figures:
        if figure.workload.name not in by_workload:
            order.append(figure.workload)
            by_workload[figure.workload.name] = {}
        by_workload[figure.workload.name][figure.implementation] = figure
    for workload in order:
        row = by_workload[workload.name]
        base = row.get(names[0])
        cells = [workload.title, f"{workload.size(sizes):,}"]
        checks = []
        for index, name in enumerate(names):
            figure = row.get(name)
            if figure is None:
                cells.append("—")
                continue
            if figure.error:
                cells.append("failed")
                checks.append(f"{name}: error")
                continue
            memory = f", +{figure.peak_mb:.1f} MB" if figure.peak_mb is not None else ""
            if index == 0:
                text = f"{figure.cpu_median * 1000:.1f}"
                if server:
                    text += f", {figure.wall_median * 1000:.1f}"
                cells.append(text + memory)
            else:
                own = figure.baseline or base
                ratio = figure.cpu_median / own.cpu_median if own and own.cpu_median else 0
                text = f"{figure.cpu_median * 1000:.1f} ms ({ratio:.2f}×)"
                if server:
                    wall_ratio = figure.wall_median / own.wall_median if own and own.wall_median else 0
                    text += f"; wall {wall_ratio:.2f}×"
                cells.append(text + memory)
                if figure.check != "ok":
                    checks.append(f"{name}: {figure.check}")
        cells.append(f"≤ {workload.target}×" if workload.target else "< 50 MB")
        cells.append(", ".join(checks) or "equal")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_orm(args) -> int:
    from bench.harness import Env

    sizes = SCALES[args.scale]
    url = _server_url(args)
    selected = [name for entry in args.only for name in entry.split(",") if name]
    unknown = [name for name in selected if name not in {w.name for w in WORKLOADS}]
    if unknown:
        raise SystemExit(f"--only: unknown workload(s) {', '.join(unknown)}; choose from "
                         + ", ".join(w.name for w in WORKLOADS))
    workloads = [w for w in WORKLOADS if not selected or w.name in selected]
    names = args.orms.split(",") if args.orms else None
    env = Env(args.backend, url, sizes, args.scale)
    if not args.data_ready:
        print(f"bench: {args.backend} ({env.parsed.masked if env.parsed else url}), "
              f"scale {args.scale}, {args.repeat} runs per figure", flush=True)
        started = time.perf_counter()
        dataset.create_tables(env.admin, args.backend)
        dataset.load_data(env.admin, args.backend, sizes)
        print(f"data loaded in {time.perf_counter() - started:.1f} s", flush=True)
    from bench import isolation

    wanted = names if names is not None else isolation.installed_orms(PEERS)
    if args.processes == "separate" and len(wanted) > 1:
        env.close()
        sqlite_dir = os.path.dirname(env.sqlite_path) if args.backend == "sqlite" else None
        implementations, figures = isolation.run_in_children(args, wanted, sqlite_dir)
    else:
        implementations, figures = _run_here(args, env, names, workloads)
        if args.child_output:
            isolation.write_child_output(args.child_output, implementations, figures)
            return 1 if any(f.check == "MISMATCH" for f in figures) else 0
    table = format_table(figures, implementations, args.backend, sizes)
    together = args.processes == "shared" or len(implementations) <= 2
    header = (f"{args.backend}, scale {args.scale}, median of {args.repeat} runs, CPU time "
              f"(process_time){' and wall time' if args.backend != 'sqlite' else ''}; "
              + ("every implementation in one process; " if together else
                 "each ORM in its own process, its ratio to the raw driver in that process; ")
              + f"{machine()}; {versions(implementations)}")
    print()
    print(header)
    print()
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(header + "\n\n" + table + "\n")
    bad = [f for f in figures if f.check == "MISMATCH"]
    return 1 if bad else 0


def _run_here(args, env, names, workloads) -> tuple[list, list]:
    """Set up the implementations in this process and time them, interleaved."""
    from bench.harness import run_benchmarks
    from bench.implementations.base import Unavailable

    ready = []
    for impl in load_implementations(names, args.backend):
        try:
            impl.setup(env)
        except Unavailable as reason:
            print(f"skipping {impl.name}: {reason}", flush=True)
            continue
        ready.append(impl)
    try:
        figures = run_benchmarks(env, ready, workloads, args.repeat,
                                 progress=lambda line: print(line, flush=True),
                                 measure_memory=not args.no_memory)
    finally:
        for impl in ready:
            impl.teardown()
        env.close()
    return ready, figures


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    if args.suite == "migrations":
        from bench.migrations import run_migrations_benchmark

        return run_migrations_benchmark(args)
    return run_orm(args)


if __name__ == "__main__":
    sys.exit(main())
