"""Timing and checking: run each workload through each implementation, median of N runs.

For every run the harness restores the state the workload changes (empty
``bench_person``, deleted books back), collects garbage, then measures CPU
time (``time.process_time``) and wall time around the one call. Runs of the
implementations are interleaved so that drifts of the machine hit all of
them alike. The first run's result of each implementation is normalized to
plain data and compared with the raw driver's.
"""

from __future__ import annotations

import gc
import itertools
import os
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field

from bench import dataset
from bench.dataset import Sizes
from bench.workloads import Workload

__all__ = ["Env", "Figure", "run_benchmarks"]


class Env:
    """The benchmark database: vendor, URL, a raw connection for set-up and checks."""

    def __init__(self, vendor: str, url: str, sizes: Sizes, scale: str) -> None:
        self.vendor = vendor
        self.url = url
        self.sizes = sizes
        self.scale = scale
        self.parsed = None
        if vendor != "sqlite":
            import backends

            self.parsed = backends.parse_url(url)
        self.admin = self.raw_connect()
        self._isbn = itertools.count(1)

    @property
    def sqlite_path(self) -> str:
        return self.url[len("sqlite:///"):]

    def raw_connect(self):
        """A new autocommit connection of the vendor's own driver."""
        if self.vendor == "sqlite":
            import sqlite3

            connection = sqlite3.connect(self.sqlite_path, isolation_level=None)
            connection.execute("PRAGMA foreign_keys = ON")
            return connection
        url = self.parsed
        if self.vendor == "postgresql":
            import psycopg

            return psycopg.connect(
                host=url.host, port=url.port, user=url.user, password=url.password or None,
                dbname=url.name, autocommit=True,
            )
        import pymysql

        return pymysql.connect(
            host=url.host or "127.0.0.1", port=url.port or 3306, user=url.user,
            password=url.password or "", database=url.name, autocommit=True, charset="utf8mb4",
        )

    def scalar_row(self, sql: str) -> tuple:
        cursor = self.admin.cursor()
        cursor.execute(sql)
        row = cursor.fetchone()
        cursor.close()
        return tuple(row)

    def person_summary(self) -> tuple:
        count, ages, low, high, score = self.scalar_row(
            "SELECT COUNT(*), SUM(age), MIN(name), MAX(name), SUM(score) FROM bench_person"
        )
        return (count, int(ages or 0), low, high, round(float(score or 0), 3))

    def update_summary(self) -> tuple:
        return self.scalar_row(
            f"SELECT COUNT(DISTINCT isbn) FROM bench_book WHERE id <= {self.sizes.update_rows}"
        )

    def book_counts(self) -> tuple:
        return (self.scalar_row("SELECT COUNT(*) FROM bench_book")[0],
                self.scalar_row("SELECT COUNT(*) FROM bench_book_tags")[0])

    def next_isbn(self) -> str:
        """A new value for the update workload (so every run really changes the rows)."""
        return f"u{next(self._isbn):09d}"

    def reset(self, what: str | None) -> None:
        if what == "person":
            dataset.reset_person(self.admin, self.vendor)
        elif what == "books":
            dataset.restore_deleted_books(self.admin, self.vendor, self.sizes)

    def close(self) -> None:
        self.admin.close()


@dataclass
class Figure:
    """The measurements of one workload through one implementation."""

    workload: Workload
    implementation: str
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    check: str = ""
    peak_mb: float | None = None
    error: str | None = None
    #: The raw driver's figure for the same workload, measured in the same process.
    baseline: Figure | None = None

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall) if self.wall else float("nan")


def make_sqlite_url(directory: str | None = None) -> str:
    """A fresh SQLite file for the benchmark data."""
    directory = directory or tempfile.mkdtemp(prefix="manouche-bench-")
    return "sqlite:///" + os.path.join(os.path.abspath(directory), "bench.sqlite3")


def _time_one(call, sizes) -> tuple[float, float, object]:
    gc.collect()
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    result = call(sizes)
    wall1 = time.perf_counter()
    cpu1 = time.process_time()
    return cpu1 - cpu0, wall1 - wall0, result


def _peak_memory(call, sizes) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        call(sizes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - start) / 1e6


def run_benchmarks(env: Env, implementations: list, workloads: list[Workload], repeat: int,
                   progress=print, measure_memory: bool = True) -> list[Figure]:
    """Time every workload through every implementation (the first one is the baseline)."""
    sizes = env.sizes
    figures: list[Figure] = []
    for workload in workloads:
        active = [impl for impl in implementations if impl.supports(workload)]
        row = {impl.name: Figure(workload, impl.name) for impl in active}
        baseline = None
        for round_number in range(repeat):
            # Rotate the order so no implementation always runs first on a cold cache.
            shift = round_number % len(active)
            for impl in active[shift:] + active[:shift]:
                figure = row[impl.name]
                if figure.error:
                    continue
                env.reset(workload.reset)
                try:
                    cpu, wall, result = _time_one(getattr(impl, workload.name), sizes)
                except Exception as error:  # noqa: BLE001 - report and go on with the others
                    figure.error = f"{type(error).__name__}: {error}"[:200]
                    progress(f"  {workload.name:<20} {impl.name:<10} FAILED {figure.error}")
                    continue
                figure.cpu.append(cpu)
                figure.wall.append(wall)
                if round_number == 0 or not figure.check:
                    normalized = getattr(impl, "normalize_" + workload.name)(result, env)
                    if impl is active[0]:
                        baseline = normalized
                        figure.check = "baseline"
                    else:
                        figure.check = "pending" if baseline is None else (
                            "ok" if _same(normalized, baseline) else "MISMATCH"
                        )
                        if figure.check == "pending":
                            figure._pending = normalized  # type: ignore[attr-defined]
                del result
        for figure in row.values():
            if figure.check == "pending":
                figure.check = "ok" if _same(figure._pending, baseline) else "MISMATCH"  # type: ignore[attr-defined]
        if workload.name == "iterator" and measure_memory:
            for impl in active:
                if not row[impl.name].error:
                    row[impl.name].peak_mb = _peak_memory(getattr(impl, workload.name), sizes)
        env.reset(workload.reset)
        base_cpu = row[active[0].name].cpu_median if active else float("nan")
        for impl in active:
            figure = row[impl.name]
            if impl is not active[0]:
                figure.baseline = row[active[0].name]
            ratio = figure.cpu_median / base_cpu if base_cpu else float("nan")
            memory = f" peak {figure.peak_mb:.1f} MB" if figure.peak_mb is not None else ""
            progress(
                f"  {workload.name:<20} {impl.name:<10} cpu {figure.cpu_median * 1000:9.1f} ms "
                f"wall {figure.wall_median * 1000:9.1f} ms  {ratio:5.2f}x  {figure.check}{memory}"
            )
            figures.append(figure)
    return figures


def _same(left, right) -> bool:
    return _canonical(left) == _canonical(right)


def _canonical(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return round(float(value), 4)
    return value
