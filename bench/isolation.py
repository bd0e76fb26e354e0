"""Each ORM in a process of its own, beside the raw driver: the default of ``python -m bench``.

A program uses one ORM. Measured in one process with every ORM imported, an
ORM's figures depend on the others: their modules, classes and caches put
tens of thousands of objects under Python's cyclic garbage collector, and a
workload that keeps many new objects alive pays for walking all of them on
each full collection. So the parent process creates the data once, then runs
``python -m bench`` again per ORM (``--orms NAME``) on the same database; each
child interleaves the raw driver and its ORM exactly as a shared run does and
writes its figures to a JSON file. Every ratio is an ORM's time over the raw
driver's time *in its own process*. ``--processes shared`` keeps the old way:
everything in one process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from types import SimpleNamespace

from bench.harness import Figure
from bench.workloads import WORKLOADS

__all__ = ["installed_orms", "run_in_children", "write_child_output"]

#: The module whose presence makes each peer available.
_PEER_MODULES = {"django": "django", "sqlalchemy": "sqlalchemy", "peewee": "peewee"}


def installed_orms(peers) -> list[str]:
    """manouche plus every peer whose package is importable (without importing it)."""
    return ["manouche"] + [name for name in peers if importlib.util.find_spec(_PEER_MODULES[name])]


def write_child_output(path: str, implementations, figures) -> None:
    """Write what a child measured (implementations with versions, every figure) as JSON."""
    data = {
        "implementations": [
            {"name": impl.name, "version": getattr(impl, "version", None)}
            for impl in implementations
        ],
        "figures": [
            {"workload": f.workload.name, "implementation": f.implementation, "cpu": f.cpu,
             "wall": f.wall, "check": f.check, "peak_mb": f.peak_mb, "error": f.error}
            for f in figures
        ],
    }
    with open(path, "w") as out:
        json.dump(data, out)


def _child_argv(args, name: str, output: str, sqlite_dir: str | None) -> list[str]:
    argv = [sys.executable, "-m", "bench", "--scale", args.scale, "--backend", args.backend,
            "--repeat", str(args.repeat), "--orms", name, "--processes", "shared",
            "--data-ready", "--child-output", output]
    if args.backend == "postgresql":
        argv += ["--postgresql-url", args.postgresql_url]
    elif args.backend == "mysql":
        argv += ["--mysql-url", args.mysql_url]
    else:
        argv += ["--sqlite-dir", sqlite_dir]
    for entry in args.only:
        argv += ["--only", entry]
    if args.no_memory:
        argv.append("--no-memory")
    return argv


def run_in_children(args, names: list[str], sqlite_dir: str | None) -> tuple[list, list[Figure]]:
    """Run each ORM of ``names`` in a child process; return (implementations, figures).

    The raw driver's column is the one measured beside the first ORM; each
    ORM's figures carry the raw figures of their own process as ``baseline``.
    """
    by_name = {workload.name: workload for workload in WORKLOADS}
    implementations: list = []
    figures: list[Figure] = []
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="manouche-bench-children-") as directory:
        for name in names:
            output = os.path.join(directory, f"{name}.json")
            print(f"-- {name} with the raw driver, in a process of their own", flush=True)
            code = subprocess.call(_child_argv(args, name, output, sqlite_dir), cwd=root)
            if not os.path.exists(output):
                print(f"skipping {name}: its process ended with code {code} and no figures",
                      flush=True)
                continue
            with open(output) as source:
                data = json.load(source)
            if len(data["implementations"]) < 2:
                continue  # the ORM could not be set up (the child said why)
            child = [
                Figure(by_name[item["workload"]], item["implementation"], item["cpu"],
                       item["wall"], item["check"], item["peak_mb"], item["error"])
                for item in data["figures"]
            ]
            raw_name = data["implementations"][0]["name"]
            raw = {f.workload.name: f for f in child if f.implementation == raw_name}
            for figure in child:
                if figure.implementation != raw_name:
                    figure.baseline = raw.get(figure.workload.name)
            if not implementations:
                implementations.append(SimpleNamespace(**data["implementations"][0]))
                figures.extend(raw.values())
            implementations.extend(SimpleNamespace(**item) for item in data["implementations"][1:])
            figures.extend(f for f in child if f.implementation != raw_name)
    return implementations, figures
