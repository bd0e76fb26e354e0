"""The functions behind the migration commands of the CLI (``cli`` wraps them in click).

Each writes its report to ``stdout`` (anything with ``write``) and raises
`CommandError` for a user error; ``checkdb`` returns the exit code.
"""

from __future__ import annotations

import sys
from typing import Any

from .errors import CommandError, MigrationError

__all__ = ["migrate", "showmigrations", "sqlmigrate", "checkdb"]


def _connection(database: str) -> Any:
    from orm.connections import connections

    try:
        return connections[database]
    except Exception as error:
        if isinstance(error, MigrationError):
            raise
        raise CommandError(str(error)) from error


def _write(stdout: Any, line: str = "") -> None:
    (stdout or sys.stdout).write(line + "\n")


def _check_app(loader: Any, app_label: str) -> None:
    from orm.registry import registry

    if not registry.is_installed(app_label) and app_label not in {
        config.label for config in loader.app_configs()
    }:
        labels = sorted(config.label for config in loader.app_configs())
        raise CommandError(
            f"no installed app with label {app_label!r}; installed apps: {', '.join(labels)}"
        )
    if app_label not in loader.migrated_apps:
        raise CommandError(
            f"app {app_label!r} has no migrations; run 'manouche makemigrations {app_label}'"
        )


def _targets(executor: Any, app_label: str | None, target: str | None) -> list:
    loader = executor.loader
    if app_label is None:
        if target is not None:
            raise CommandError("a TARGET needs an APP: manouche migrate APP TARGET")
        return executor.all_targets()
    _check_app(loader, app_label)
    if target is None:
        return executor.all_targets(app_label)
    if target == "zero":
        return [(app_label, None)]
    migration = loader.get_migration_by_prefix(app_label, target)
    key = migration.key
    if key not in loader.graph.nodes:
        # A replaced migration (squashed): its replacement stands for it.
        for replacement_key, replacement in loader.replacements.items():
            if key in replacement.replaces and replacement_key in loader.graph.nodes:
                return [replacement_key]
        raise CommandError(f"migration {app_label}.{migration.name} is replaced and not in use")
    return [key]


def _describe_operation(operation: Any) -> tuple[str, bool]:
    try:
        text = operation.describe()
    except Exception:
        text = type(operation).__name__
    return text, bool(getattr(operation, "is_destructive", False))


def migrate(
    app_label: str | None = None,
    target: str | None = None,
    *,
    database: str = "default",
    plan: bool = False,
    fake: bool = False,
    fake_initial: bool = False,
    stdout: Any = None,
    verbosity: int = 1,
) -> int:
    """Apply (or unapply down to ``target``) migrations; print a line per migration with timing."""
    from orm import signals
    from orm.registry import registry

    from .executor import MigrationExecutor

    connection = _connection(database)

    def progress(event: str, migration: Any, backwards: bool, elapsed: float) -> None:
        verb = "Unapplying" if backwards else "Applying"
        if event == "start":
            stdout_write(f"  {verb} {migration.app_label}.{migration.name}...", end="")
        elif event == "done":
            stdout_write(f" OK ({elapsed:.3f}s)")
        elif event == "faked":
            stdout_write(f" FAKED ({elapsed:.3f}s)")
        elif event == "failed":
            stdout_write(" FAILED")

    def stdout_write(text: str, end: str = "\n") -> None:
        (stdout or sys.stdout).write(text + end)

    # Verbosity 0 is quiet (as Django): errors still go to stderr.
    executor = MigrationExecutor(connection, progress=progress if verbosity >= 1 else None)
    executor.loader.graph.ensure_no_conflicts()
    targets = _targets(executor, app_label, target)
    executor.loader.validate_states()
    migration_plan = executor.migration_plan(targets)
    if plan:
        _write(stdout, "Planned operations:")
        if not migration_plan:
            _write(stdout, "  No planned migration operations.")
        for migration, backwards in migration_plan:
            _write(stdout, f"{migration.app_label}.{migration.name}" + (" (backwards)" if backwards else ""))
            operations = list(reversed(migration.operations)) if backwards else migration.operations
            for operation in operations:
                text, destructive = _describe_operation(operation)
                if backwards and not operation.reversible:
                    text += " [IRREVERSIBLE]"
                if destructive and not backwards:
                    text = f"{text} [DESTRUCTIVE]"
                elif backwards and type(operation).__name__ in ("CreateModel", "AddField"):
                    text = f"Undo {text} [DESTRUCTIVE]"
                elif backwards:
                    text = f"Undo {text}"
                _write(stdout, f"    {text}")
        return 0
    app_configs = [
        config for config in registry.get_app_configs()
        if app_label is None or config.label == app_label
    ]
    for config in app_configs:
        signals.pre_migrate.send(
            sender=config, app_config=config, plan=migration_plan, using=database,
            verbosity=verbosity,
        )
    if verbosity >= 1:
        _write(stdout, "Operations to perform:")
        _write(stdout, f"  {'Apply all migrations' if app_label is None else 'Target ' + app_label}"
                       + (f" {target}" if target else ""))
        _write(stdout, "Running migrations:")
        if not migration_plan:
            _write(stdout, "  No migrations to apply.")
    executor.migrate(targets, plan=migration_plan, fake=fake, fake_initial=fake_initial)
    for config in app_configs:
        signals.post_migrate.send(
            sender=config, app_config=config, plan=migration_plan, using=database,
            verbosity=verbosity,
        )
    return 0


def showmigrations(
    app_labels: Any = None,
    *,
    database: str = "default",
    plan: bool = False,
    graph_format: str | None = None,
    stdout: Any = None,
) -> int:
    """List migrations with ``[X]``/``[ ]``, the plan, or the graph (mermaid / dot)."""
    from .loader import MigrationLoader

    connection = _connection(database)
    loader = MigrationLoader(connection)
    app_labels = list(app_labels or [])
    for label in app_labels:
        if label not in loader.migrated_apps and label not in loader.unmigrated_apps:
            _check_app(loader, label)
    graph = loader.graph
    applied = loader.applied_migrations
    if graph_format:
        _write(stdout, render_graph(loader, app_labels, graph_format))
        return 0
    if plan:
        nodes = graph.full_plan()
        for key in nodes:
            if app_labels and key[0] not in app_labels:
                continue
            mark = "[X]" if key in applied else "[ ]"
            _write(stdout, f"{mark}  {key[0]}.{key[1]}")
        return 0
    labels = app_labels or sorted(loader.migrated_apps | loader.unmigrated_apps)
    for label in labels:
        _write(stdout, label)
        if label in loader.unmigrated_apps:
            _write(stdout, " (no migrations)")
            continue
        shown = 0
        for key in graph.full_plan():
            if key[0] != label:
                continue
            migration = graph.nodes[key]
            mark = "[X]" if key in applied else "[ ]"
            extra = ""
            if migration.replaces:
                done = sum(1 for r in migration.replaces if r in applied)
                extra = f" ({len(migration.replaces)} squashed migrations)"
                if 0 < done < len(migration.replaces):
                    mark = "[-]"
            _write(stdout, f" {mark} {key[1]}{extra}")
            shown += 1
        if not shown:
            _write(stdout, " (no migrations)")
    return 0


def render_graph(loader: Any, app_labels: list[str], graph_format: str) -> str:
    """The dependency graph in Mermaid (``flowchart``) or Graphviz ``dot`` syntax."""
    graph = loader.graph
    applied = loader.applied_migrations
    nodes = [key for key in graph.full_plan() if not app_labels or key[0] in app_labels]
    wanted = set(nodes)
    ids = {key: f"n{index}" for index, key in enumerate(nodes)}
    edges = [
        (parent, child)
        for child in nodes
        for parent in graph.parents(child)
        if parent in wanted
    ]
    if graph_format == "mermaid":
        lines = ["flowchart TD"]
        for key in nodes:
            mark = " ✓" if key in applied else ""
            lines.append(f'    {ids[key]}["{key[0]}.{key[1]}{mark}"]')
        for parent, child in edges:
            lines.append(f"    {ids[parent]} --> {ids[child]}")
        return "\n".join(lines)
    if graph_format == "dot":
        lines = ["digraph migrations {", "    rankdir=TB;", "    node [shape=box];"]
        for key in nodes:
            style = ", style=filled, fillcolor=palegreen" if key in applied else ""
            lines.append(f'    {ids[key]} [label="{key[0]}.{key[1]}"{style}];')
        for parent, child in edges:
            lines.append(f"    {ids[parent]} -> {ids[child]};")
        lines.append("}")
        return "\n".join(lines)
    raise CommandError(f"unknown graph format {graph_format!r}; use mermaid or dot")


def sqlmigrate(
    app_label: str,
    name: str,
    *,
    database: str = "default",
    backwards: bool = False,
    stdout: Any = None,
) -> int:
    """Print the SQL migration ``name`` (a prefix is enough) runs, without running it."""
    from .loader import MigrationLoader, replay
    from .state import ProjectState

    connection = _connection(database)
    loader = MigrationLoader(connection)
    _check_app(loader, app_label)
    migration = loader.get_migration_by_prefix(app_label, name)
    loader.validate_states()
    key = migration.key
    state = ProjectState(real_apps=set(loader.unmigrated_apps))
    graph = loader.graph
    if key not in graph.nodes:
        raise CommandError(f"migration {app_label}.{migration.name} is replaced by a squashed one")
    for node in graph.forwards_plan(key):
        if node == key:
            break
        replay(graph.nodes[node], state)
    if backwards:
        for index, operation in enumerate(migration.operations):
            if not operation.reversible:
                raise CommandError(
                    f"migration {migration} ({migration.path}): operation {index + 1} "
                    f"({operation.describe()}) is not reversible"
                )
    editor = connection.schema_editor(collect_sql=True)
    with editor:
        if backwards:
            migration.unapply(state, editor)
        else:
            migration.apply(state.clone(), editor)
    atomic = migration.atomic and connection.dialect.supports_transactional_ddl
    lines = []
    if atomic:
        lines.append("BEGIN;")
    lines.extend(editor.collected_sql)
    if atomic:
        lines.append("COMMIT;")
    _write(stdout, "\n".join(lines))
    return 0


def checkdb(*, database: str = "default", stdout: Any = None) -> int:
    """Compare the live schema with the migration state; 0 when they agree, 1 on drift."""
    from .checkdb import compare_schema
    from .loader import MigrationLoader

    connection = _connection(database)
    loader = MigrationLoader(connection)
    applied = loader.applied_migrations
    state_nodes = [key for key in loader.graph.full_plan() if key in applied]
    from .loader import replay
    from .state import ProjectState

    state = ProjectState(real_apps=set(loader.unmigrated_apps))
    for key in state_nodes:
        replay(loader.graph.nodes[key], state)
    problems = compare_schema(connection, state, _tables_routed_elsewhere(state, connection, database))
    unapplied = [key for key in loader.graph.full_plan() if key not in applied]
    if not problems:
        _write(stdout, "No drift: the database matches the applied migrations.")
        if unapplied:
            _write(stdout, f"({len(unapplied)} migration(s) not applied yet; run 'manouche migrate')")
        return 0
    _write(stdout, f"Drift between the database and the applied migrations ({len(problems)}):")
    for problem in problems:
        _write(stdout, f"  - {problem}")
    return 1


def _tables_routed_elsewhere(state: Any, connection: Any, database: str) -> set[str]:
    """The tables (with their junctions) of the models ``allow_migrate`` keeps off ``database``."""
    from orm.routers import router

    from .schema import junction_tables_for, table_for_model_state

    if not router.routers:
        return set()
    names = set()
    for model_state in state.models.values():
        if model_state.has_table and not router.allow_migrate(
            database, model_state.app_label, model_name=model_state.name_lower
        ):
            names.add(table_for_model_state(model_state, state, connection).name)
            names.update(table.name for table in junction_tables_for(model_state, state, connection))
    return names


# The authoring commands live in authoring.py (owned by the authoring half); re-exported here
# because the CLI calls every migration command from this module.
from .authoring import makemigrations, squashmigrations  # noqa: E402

__all__ += ["makemigrations", "squashmigrations"]
