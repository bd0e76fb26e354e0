"""``python -m bench.profile WORKLOAD [--scale small]``: cProfile manouche on one workload.

Prints the top functions by own time and by cumulative time, on SQLite (or ``--url``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from bench import dataset
from bench.dataset import SCALES
from bench.harness import Env, make_sqlite_url
from bench.implementations.manouche import Manouche
from bench.workloads import WORKLOADS


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("workload", choices=[w.name for w in WORKLOADS])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--url", default=None,
                        help="a PostgreSQL or MySQL database URL (default: a SQLite file)")
    args = parser.parse_args()
    sizes = SCALES[args.scale]
    url = args.url or make_sqlite_url()
    vendor = url.split(":", 1)[0].replace("postgres", "postgresql").replace("postgresqlql", "postgresql")
    env = Env(vendor, url, sizes, args.scale)
    dataset.create_tables(env.admin, vendor)
    dataset.load_data(env.admin, vendor, sizes)
    workload = next(w for w in WORKLOADS if w.name == args.workload)
    impl = Manouche()
    impl.setup(env)
    env.reset(workload.reset)
    getattr(impl, workload.name)(sizes)  # warm up caches
    env.reset(workload.reset)
    profiler = cProfile.Profile()
    profiler.runcall(getattr(impl, workload.name), sizes)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    impl.teardown()
    env.close()


if __name__ == "__main__":
    main()
