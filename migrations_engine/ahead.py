"""Work on a migrate's CreateModel operations done ahead of running them.

Describing a new table and writing its SQL is Python work per operation; a
migrate from zero has thousands, each between two statements of the
database. Done there, it runs with the CPU caches emptied by the database's
own work, and it adds to the time the database waits. So before the first
migration runs, the executor has it done ahead, one of two ways:

* in a forked worker (``forked``; for 100 operations or more, where the
  platform allows one): it replays the states and records each operation's
  statements with the schema editor's `capture` (nothing runs, no
  connection is touched), sending them in batches; meanwhile this process
  runs the migrations, and works out itself any operation it reaches before
  the worker's statements for it are in;
* otherwise in this process, in one pass: the tables only (their SQL is
  written as they run).

Either way the states are those the migrations run with (the same replay,
from the same state), so the statements are the ones the operations would
run; the pass stops at the first error, so the operation that fails raises
when it runs, after the migrations before it. Operations run inside others
(``SeparateDatabaseAndState``), and an operation object met twice, are
always worked out when they run.
"""

from __future__ import annotations

import gc
from typing import Any

from .forked import Worker, can_fork
from .migration import Migration
from .state import ProjectState

__all__ = ["Ahead", "prepare_creates", "MIN_CREATES"]

# Fewer CreateModel operations than this gain nothing from being worked out ahead;
# fewer than the second, nothing from a worker (its fork costs ~2 ms; 50 lose, 200 gain).
MIN_CREATES = 8
MIN_CREATES_IN_WORKER = 100

Steps = list[tuple[Migration, bool]]
Position = tuple[int, int]


class Ahead:
    """What was worked out ahead, given out once per operation.

    ``take(operation)`` is None (work it out now), ``("tables", tables)`` or
    ``("statements", captured)`` for `SchemaEditor.replay`.
    """

    def __init__(self, tables: dict[int, list[Any]] | None = None, worker: Worker | None = None,
                 ids: dict[Position, int] | None = None) -> None:
        self._prepared: dict[int, tuple[str, Any]] = {
            key: ("tables", value) for key, value in (tables or {}).items()
        }
        self._worker = worker
        self._ids = ids or {}

    def take(self, operation: Any) -> tuple[str, Any] | None:
        """What was worked out for ``operation`` (once), or None."""
        worker = self._worker
        while worker is not None and not worker.done and worker.ready():
            batch = worker.receive()
            for position, captured in (batch or {}).items():
                key = self._ids.get(position)
                if key is not None:
                    self._prepared[key] = ("statements", captured)
        return self._prepared.pop(id(operation), None)

    def close(self) -> None:
        """Forget the rest; reap the worker (stopped first if still at work)."""
        self._prepared = {}
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


def _eligible(steps: Steps) -> dict[Position, Any]:
    """The top-level CreateModel operations of the migrations that run, by (step, index)."""
    from .operations.models import CreateModel

    nested = {
        id(inner)
        for migration, runs in steps if runs for operation in migration.operations
        for inner in getattr(operation, "database_operations", ())
    }
    found: dict[Position, Any] = {}
    counts: dict[int, int] = {}
    for step, (migration, runs) in enumerate(steps):
        if not runs:
            continue
        for index, operation in enumerate(migration.operations):
            if type(operation) is CreateModel and id(operation) not in nested:
                found[(step, index)] = operation
                counts[id(operation)] = counts.get(id(operation), 0) + 1
    return {position: op for position, op in found.items() if counts[id(op)] == 1}


def _replay(steps: Steps, state: ProjectState, eligible: dict[Position, Any], work: Any) -> None:
    """Replay ``steps`` on ``state``, calling ``work(position, operation, app_label)`` after each
    eligible one; stops at the first error (the operation raises again when it runs)."""
    collecting = gc.isenabled()
    # Only many small values are made here, no cycles: the collector would rescan them.
    gc.disable()
    try:
        for step, (migration, _) in enumerate(steps):
            for index, operation in enumerate(migration.operations):
                operation.state_forwards(migration.app_label, state)
                if (step, index) in eligible:
                    work((step, index), operation, migration.app_label)
    except Exception:
        pass
    finally:
        if collecting:
            gc.enable()


def prepare_creates(steps: Steps, state: ProjectState, connection: Any) -> Ahead:
    """Start the work ahead for ``steps`` from ``state`` (which it changes); see the module.

    In a worker for enough operations, where one can run; else in this process.
    """
    eligible = _eligible(steps)
    if len(eligible) < MIN_CREATES:
        return Ahead()
    if len(eligible) >= MIN_CREATES_IN_WORKER and can_fork():
        worker = Worker.start(lambda send: _statements(steps, state, connection, eligible, send))
        if worker is not None:
            ids = {position: id(operation) for position, operation in eligible.items()}
            return Ahead(worker=worker, ids=ids)
    tables: dict[int, list[Any]] = {}

    def describe(position: Position, operation: Any, app_label: str) -> None:
        tables[id(operation)] = operation.tables(app_label, state, connection)

    _replay(steps, state, eligible, describe)
    return Ahead(tables)


# Operations in the worker's first batch; each batch after it is twice as big, up to the last size.
FIRST_BATCH, LAST_BATCH = 16, 256


def _statements(steps: Steps, state: ProjectState, connection: Any,
                eligible: dict[Position, Any], send: Any) -> None:
    """In the worker: send each eligible operation's statements as `SchemaEditor.capture` records them.

    Operations whose statements carry parameters are left out (they are
    not all marshallable, and DDL rarely has any).
    """
    editor = connection.schema_editor()
    batch: dict[Position, list] = {}
    size = FIRST_BATCH

    def record(position: Position, operation: Any, app_label: str) -> None:
        nonlocal batch, size
        tables = operation.tables(app_label, state, connection)
        with editor.capture() as captured:
            for table in tables:
                editor.create_table(table)
        if not any(params for _, _, params in captured):
            batch[position] = captured
        if len(batch) >= size:
            send(batch)
            batch, size = {}, min(size * 2, LAST_BATCH)

    _replay(steps, state, eligible, record)
    if batch:
        send(batch)
