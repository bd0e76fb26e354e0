"""The authoring commands: ``makemigrations`` and ``squashmigrations`` (SPEC §8, §9).

``migrations_engine.commands`` re-exports both; the CLI calls them from there.
They read migration files only (``MigrationLoader(connection=None)``) and
never touch a database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from migrations_engine.arrangement import arrange_migrations, auto_name, next_number
from migrations_engine.autodetector import detect_changes
from migrations_engine.errors import CommandError, ConflictError
from migrations_engine.loader import MigrationLoader
from migrations_engine.merge import merge_migration
from migrations_engine.migration import Migration
from migrations_engine.questioner import Questioner
from migrations_engine.squash import (
    check_copied_functions,
    functions_to_copy,
    squash_migrations,
)
from migrations_engine.state import ProjectState
from migrations_engine.writer import (
    ensure_migrations_package,
    migrations_directory,
    render_migration,
)

__all__ = ["makemigrations", "squashmigrations", "changes_for"]


def _registry():
    import orm

    return orm.registry


def _check_app_labels(app_labels) -> list[str]:
    installed = {config.label for config in _registry().get_app_configs()}
    unknown = [label for label in app_labels if label not in installed]
    if unknown:
        raise CommandError(
            f"no installed app with label {', '.join(map(repr, unknown))}; installed apps: "
            f"{', '.join(sorted(installed)) or 'none'} (see [tool.manouche] apps)"
        )
    return list(app_labels)


def _leaves(loader: MigrationLoader) -> dict[str, str | None]:
    leaves: dict[str, str | None] = {}
    for app, name in loader.graph.leaf_nodes():
        leaves[app] = max(name, leaves.get(app) or "")
    return leaves


def changes_for(
    loader: MigrationLoader,
    app_labels=(),
    questioner: Questioner | None = None,
    name: str | None = None,
) -> dict[str, list[Migration]]:
    """New migrations per app: the models' state diffed against the history on disk."""
    from_state = loader.project_state()
    to_state = ProjectState.from_registry(_registry())
    steps = detect_changes(from_state, to_state, questioner or Questioner(interactive=False))
    _wait_for_past_references(steps, loader)
    return arrange_migrations(steps, _leaves(loader), name=name, app_labels=app_labels or None)


def _wait_for_past_references(steps: list, loader: MigrationLoader) -> None:
    """Deleting or renaming a model waits for every other app that ever pointed at its app.

    A foreign key removed by an earlier migration of another app still exists
    in that app's history: replayed (or applied to a fresh database) before the
    delete or rename, it must find the model. So the migration depends on the
    latest migration of each such app (``("app_leaf", app)``).
    """
    from migrations_engine import operations as ops

    changing = [step for step in steps
                if isinstance(step.operation, (ops.DeleteModel, ops.RenameModel))]
    if not changing:
        return
    referencing = _apps_pointing_at(loader)
    for step in changing:
        others = referencing.get(step.app_label, set()) - {step.app_label}
        if others:
            step.requires = step.requires | {("app_leaf", app) for app in others}


def _apps_pointing_at(loader: MigrationLoader) -> dict[str, set[str]]:
    """``{app: apps whose migration files declare a relation to a model of app}``."""
    from migrations_engine.state import relation_target, resolve_relation, through_target

    referencing: dict[str, set[str]] = {}
    pending = [(app, operation) for (app, _name), migration in loader.disk_migrations.items()
               for operation in migration.operations]
    while pending:
        app, operation = pending.pop()
        pending.extend((app, nested) for nested in (
            *(getattr(operation, "state_operations", None) or ()),
            *(getattr(operation, "database_operations", None) or ()),
        ))
        model_name = getattr(operation, "model_name", None) or getattr(operation, "name", "")
        fields = list(dict(getattr(operation, "fields", None) or {}).values())
        if getattr(operation, "field", None) is not None:
            fields.append(operation.field)
        for field in fields:
            for target in (relation_target(field), through_target(field)
                           if getattr(field, "is_relation", False) else None):
                if target is not None:
                    target_app = resolve_relation(app, str(model_name), target)[0]
                    referencing.setdefault(target_app, set()).add(app)
    return referencing


def makemigrations(
    app_labels=(),
    *,
    dry_run: bool = False,
    check: bool = False,
    name: str | None = None,
    empty: bool = False,
    merge: bool = False,
    interactive: bool = True,
    renames=(),
    stdout: TextIO | None = None,
    stdin: TextIO | None = None,
    verbosity: int = 1,
) -> int:
    """Write new migrations for the model changes; the exit code (1: ``--check`` found changes)."""
    out = stdout or sys.stdout
    app_labels = _check_app_labels(app_labels or ())
    if name is not None and not name.isidentifier():
        raise CommandError(f"--name {name!r}: a migration name must be a Python identifier")
    questioner = Questioner(interactive=interactive, renames=renames, stdin=stdin, stdout=out)
    loader = MigrationLoader(connection=None)
    conflicts = loader.graph.conflicts()
    if app_labels:
        conflicts = {app: names for app, names in conflicts.items() if app in app_labels}
    if merge:
        return _merge(loader, conflicts, questioner, name, dry_run, out, verbosity)
    if conflicts:
        described = "; ".join(f"{', '.join(names)} in {app}" for app, names in conflicts.items())
        raise ConflictError(
            f"conflicting migrations detected; several leaf migrations ({described}). "
            "To fix them run 'manouche makemigrations --merge'"
        )
    if empty:
        if not app_labels:
            raise CommandError("makemigrations --empty needs the app(s) to write a migration for")
        changes = _empty_migrations(loader, app_labels, name)
    else:
        changes = changes_for(loader, app_labels, questioner, name)
    if not changes:
        if verbosity < 1:
            return 0
        if app_labels:
            out.write(f"No changes detected in app{'s' if len(app_labels) > 1 else ''} "
                      f"{', '.join(repr(label) for label in app_labels)}\n")
        else:
            out.write("No changes detected\n")
        return 0
    rendered = _render_all(changes)
    _report(changes, rendered, out, verbosity, dry_run or check)
    if check:
        return 1
    if not dry_run:
        for path, text in rendered.values():
            ensure_migrations_package(path.parent)
            path.write_text(text, encoding="utf-8")
    return 0


def _empty_migrations(loader, app_labels, name) -> dict[str, list[Migration]]:
    leaves = _leaves(loader)
    changes = {}
    for app in app_labels:
        leaf = leaves.get(app)
        label = name or ("initial" if leaf is None else auto_name())
        migration = Migration(f"{next_number(leaf):04d}_{label}", app)
        migration.dependencies = [(app, leaf)] if leaf else []
        migration.operations = []
        migration.initial = leaf is None or None
        changes[app] = [migration]
    return changes


def _render_all(changes: dict[str, list[Migration]]) -> dict[tuple[str, str], tuple[Path, str]]:
    """Every file's path and text, rendered before anything is written."""
    rendered = {}
    for app, migrations in sorted(changes.items()):
        directory = migrations_directory(app)
        for migration in migrations:
            rendered[(app, migration.name)] = (
                directory / f"{migration.name}.py",
                render_migration(migration),
            )
    return rendered


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _report(changes, rendered, out: TextIO, verbosity: int, show_text: bool) -> None:
    if verbosity < 1:
        return
    for app, migrations in sorted(changes.items()):
        out.write(f"Migrations for '{app}':\n")
        for migration in migrations:
            path, text = rendered[(app, migration.name)]
            out.write(f"  {_display_path(path)}\n")
            for operation in migration.operations:
                out.write(f"    - {operation.describe()}\n")
            if show_text and verbosity >= 3:
                out.write(text)


def _merge(loader, conflicts, questioner, name, dry_run, out, verbosity) -> int:
    if not conflicts:
        out.write("No conflicts detected to merge.\n")
        return 0
    for app, leaves in sorted(conflicts.items()):
        if not questioner.ask_merge(app, leaves):
            continue
        migration = merge_migration(app, leaves, name)
        path = migrations_directory(app) / f"{migration.name}.py"
        text = render_migration(migration)
        if verbosity >= 1:
            out.write(f"Merging {app}\n")
            for leaf in leaves:
                out.write(f"  Branch {leaf}\n")
                for operation in loader.graph.nodes[(app, leaf)].operations:
                    out.write(f"    - {operation.describe()}\n")
        if not dry_run:
            path.write_text(text, encoding="utf-8")
            if verbosity >= 1:
                out.write(f"Created new merge migration {_display_path(path)}\n")
        elif verbosity >= 3:
            out.write(text)
    return 0


def squashmigrations(
    app_label: str,
    start: str | None,
    end: str,
    *,
    squashed_name: str | None = None,
    interactive: bool = True,
    stdout: TextIO | None = None,
    stdin: TextIO | None = None,
    verbosity: int = 1,
) -> int:
    """Write a migration replacing ``start``..``end`` of ``app_label`` (optimized operations)."""
    out = stdout or sys.stdout
    _check_app_labels([app_label])
    loader = MigrationLoader(connection=None, replace_migrations=False)
    squashed, replaced = squash_migrations(loader, app_label, start, end, squashed_name)
    if interactive:
        questioner = Questioner(interactive=True, stdin=stdin, stdout=out)
        names = ", ".join(migration.name for migration in replaced)
        if not questioner._ask_yes_no(
            f"Squash {len(replaced)} migrations of {app_label} ({names}) into "
            f"{squashed.name}?", default=True
        ):
            out.write("Squash cancelled.\n")
            return 1
    path = migrations_directory(app_label) / f"{squashed.name}.py"
    if path.exists():
        raise CommandError(f"{path} already exists; pass --squashed-name to choose another name")
    functions = functions_to_copy(squashed)
    text = render_migration(squashed, functions=functions)
    check_copied_functions(functions, text)
    path.write_text(text, encoding="utf-8")
    if verbosity >= 1:
        before = sum(len(migration.operations) for migration in replaced)
        out.write(
            f"Squashed {len(replaced)} migrations of {app_label} ({before} operations) into "
            f"{_display_path(path)} ({len(squashed.operations)} operations).\n"
            "Once every database has applied it, delete the replaced migrations and remove "
            "'replaces' from the squashed one.\n"
        )
    return 0
