"""Cut the autodetector's ordered steps into numbered migrations, one app at a time.

Each app's steps stay in order. A migration of one app ends where a step needs
something another app has not made yet (a model of a migration still to be
written); that app gets its migration first, and the next one depends on it.
This is how circular foreign keys across apps become ``CreateModel`` in one
migration and ``AddField`` in a second.
"""

from __future__ import annotations

import re
from typing import Any

from migrations_engine.autodetector import Step
from migrations_engine.migration import Migration
from migrations_engine.optimizer import optimize
from migrations_engine.writer import migration_timestamp

__all__ = ["arrange_migrations", "suggest_name", "next_number", "MAX_NAME_LENGTH"]

MAX_NAME_LENGTH = 52


def next_number(leaf: str | None) -> int:
    """The number after ``leaf`` (``"0003_x"`` -> 4, ``"0001_squashed_0004_y"`` -> 5), else 1."""
    if not leaf:
        return 1
    squashed = re.match(r"^\d+_.*squashed_(\d+)", leaf)
    if squashed:
        return int(squashed.group(1)) + 1
    match = re.match(r"^(\d+)", leaf)
    return int(match.group(1)) + 1 if match else 1


def auto_name() -> str:
    """``auto_YYYYMMDD_HHMM`` from the migration timestamp."""
    digits = re.sub(r"[^0-9]", "", migration_timestamp())
    return f"auto_{digits[:8]}_{digits[8:12]}"


def suggest_name(operations: list[Any], initial: bool = False) -> str:
    """``initial``, the operations' fragments joined (``post_subtitle``), or ``auto_<time>``."""
    if initial:
        return "initial"
    fragments = [operation.migration_name_fragment for operation in operations]
    if not fragments or not all(fragments):
        return auto_name()
    name = "_".join(fragments)
    if len(name) > MAX_NAME_LENGTH:
        return auto_name()
    return name


def _touched_models(operation: Any) -> set[str] | None:
    """The models an autodetector operation is about (None: unknown, assume anything)."""
    if hasattr(operation, "old_name") and hasattr(operation, "new_name") and not hasattr(
        operation, "model_name"
    ):
        return {str(operation.old_name).lower(), str(operation.new_name).lower()}
    name = getattr(operation, "model_name", None) or getattr(operation, "name", None)
    return {str(name).lower()} if name else None


def _may_fold(operations: list[Any]) -> bool:
    """Whether two operations touch one model: the optimizer (quadratic) can only fold those."""
    seen: set[str] = set()
    for operation in operations:
        touched = _touched_models(operation)
        if touched is None or touched & seen:
            return True
        seen |= touched
    return False


def _chop(steps: list[Step]) -> dict[str, list[list[int]]]:
    """Per app, the step indices of each migration, in order."""
    providers: dict[Any, int] = {}
    for index, step in enumerate(steps):
        for key in step.provides:
            providers.setdefault(key, index)
    queues: dict[str, list[int]] = {}
    for index, step in enumerate(steps):
        queues.setdefault(step.app_label, []).append(index)
    placed: set[int] = set()
    chunks: dict[str, list[list[int]]] = {app: [] for app in queues}
    positions = {app: 0 for app in queues}
    while any(positions[app] < len(queue) for app, queue in queues.items()):
        progress = False
        for app in sorted(queues):
            queue, start = queues[app], positions[app]
            end = start
            while end < len(queue):
                step = steps[queue[end]]
                blocked = False
                for key in step.requires:
                    provider = providers.get(key)
                    if provider is None or provider in placed:
                        continue
                    if steps[provider].app_label == app and provider in queue[start:end]:
                        continue
                    if provider == queue[end]:
                        continue
                    blocked = True
                    break
                if blocked:
                    break
                end += 1
            if end > start:
                chunk = queue[start:end]
                chunks[app].append(chunk)
                placed.update(chunk)
                positions[app] = end
                progress = True
        if not progress:
            stuck = [steps[queues[app][positions[app]]].operation.describe()
                     for app in sorted(queues) if positions[app] < len(queues[app])]
            raise RuntimeError(f"cannot order the changes into migrations: {stuck}")
    return chunks


def arrange_migrations(
    steps: list[Step],
    leaves: dict[str, str | None],
    *,
    name: str | None = None,
    app_labels: Any = None,
    optimize_operations: bool = True,
) -> dict[str, list[Migration]]:
    """Migrations per app for ``steps``; ``leaves`` maps an app to its latest migration."""
    chunks = _chop(steps)
    step_migration: dict[int, tuple[str, str]] = {}
    names: dict[str, list[str]] = {}
    operations_of: dict[tuple[str, int], list[Any]] = {}
    for app in sorted(chunks):
        leaf = leaves.get(app)
        number = next_number(leaf)
        names[app] = []
        for position, chunk in enumerate(chunks[app]):
            operations = [steps[index].operation for index in chunk]
            if optimize_operations and _may_fold(operations):
                operations = optimize(operations, app)
            operations_of[(app, position)] = operations
            if name:
                label = name
            else:
                label = suggest_name(operations, initial=leaf is None)
            migration_name = f"{number + position:04d}_{label}"
            names[app].append(migration_name)
            for index in chunk:
                step_migration[index] = (app, migration_name)
    providers: dict[Any, int] = {}
    for index, step in enumerate(steps):
        for key in step.provides:
            providers.setdefault(key, index)
    result: dict[str, list[Migration]] = {}
    for app in sorted(chunks):
        result[app] = []
        for position, chunk in enumerate(chunks[app]):
            migration = Migration(names[app][position], app)
            migration.operations = operations_of[(app, position)]
            migration.initial = leaves.get(app) is None
            dependencies: set[tuple[str, str]] = set()
            if position:
                dependencies.add((app, names[app][position - 1]))
            elif leaves.get(app):
                dependencies.add((app, leaves[app]))  # type: ignore[arg-type]
            for index in chunk:
                for key in steps[index].requires:
                    provider = providers.get(key)
                    if provider is not None:
                        other = step_migration[provider]
                        if other[0] != app:
                            dependencies.add(other)
                    elif key[0] in ("model", "app_leaf") and key[1] != app and leaves.get(key[1]):
                        dependencies.add((key[1], leaves[key[1]]))  # type: ignore[arg-type]
            migration.dependencies = sorted(dependencies)
            result[app].append(migration)
    if app_labels:
        result = _trim_to_apps(result, set(app_labels))
    return result


def _trim_to_apps(
    changes: dict[str, list[Migration]], app_labels: set[str]
) -> dict[str, list[Migration]]:
    """Only the migrations of ``app_labels`` and the new migrations they depend on."""
    by_key = {(app, m.name): m for app, migrations in changes.items() for m in migrations}
    keep: set[tuple[str, str]] = set()
    pending = [key for key in by_key if key[0] in app_labels]
    while pending:
        key = pending.pop()
        if key in keep:
            continue
        keep.add(key)
        pending.extend(dep for dep in by_key[key].dependencies if dep in by_key)
    trimmed = {}
    for app, migrations in changes.items():
        kept = [migration for migration in migrations if (app, migration.name) in keep]
        if kept:
            trimmed[app] = kept
    return trimmed
