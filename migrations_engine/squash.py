"""``squashmigrations app [start] end``: one migration replacing a run of an app's migrations."""

from __future__ import annotations

import ast
import builtins
import dis
import re
import types
from typing import Any

from migrations_engine.errors import CommandError
from migrations_engine.migration import Migration
from migrations_engine.optimizer import optimize

__all__ = [
    "squash_migrations", "squashed_name_for", "functions_to_copy", "check_copied_functions",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def squashed_name_for(start: Migration | None, end: Migration, squashed_name: str | None) -> str:
    """``0001_initial_squashed_0004_x`` (Django's naming) or ``<start number>_<squashed_name>``.

    ``start`` is the first squashed migration (START, else the app's first), as in Django.
    """
    first_number = start.name.split("_", 1)[0] if start is not None else "0001"
    if squashed_name:
        return f"{first_number}_{squashed_name}"
    if start is not None:
        return f"{start.name}_squashed_{end.name}"
    return f"0001_squashed_{end.name}"


def squash_migrations(
    loader: Any, app_label: str, start: str | None, end: str, squashed_name: str | None = None
) -> tuple[Migration, list[Migration]]:
    """The squashed migration and the migrations it replaces (in order)."""
    end_migration = loader.get_migration_by_prefix(app_label, end)
    start_migration = loader.get_migration_by_prefix(app_label, start) if start else None
    # Replaying the history up to END names a bad file before anything is written.
    loader.project_state(end_migration.key)
    plan = [key for key in loader.graph.forwards_plan(end_migration.key) if key[0] == app_label]
    if start_migration is not None:
        if start_migration.key not in plan:
            raise CommandError(
                f"squashmigrations {app_label}: {start_migration.name} does not come before "
                f"{end_migration.name}; give START earlier than END"
            )
        plan = plan[plan.index(start_migration.key):]
    migrations = [loader.graph.nodes[key] for key in plan]
    for migration in migrations:
        # Once the files it replaces are gone, a squashed migration is an ordinary one.
        if any(key in loader.disk_migrations for key in migration.replaces):
            raise CommandError(
                f"squashmigrations {app_label}: {migration.name} is itself squashed "
                f"(it replaces {len(migration.replaces)} migrations); squash a range without it, "
                "or delete the old migrations it replaces first"
            )
    replaced = {migration.key for migration in migrations}
    operations: list[Any] = []
    dependencies: set[tuple[str, str]] = set()
    for migration in migrations:
        operations.extend(op for op in migration.operations if not op.elidable)
        for dependency in migration.dependencies:
            dependency = tuple(dependency)
            if dependency in replaced:
                continue
            if dependency[0] == app_label and migration is not migrations[0]:
                continue
            dependencies.add(dependency)  # type: ignore[arg-type]
    squashed = Migration(squashed_name_for(migrations[0], end_migration, squashed_name),
                         app_label)
    squashed.operations = optimize(operations, app_label)
    squashed.dependencies = sorted(dependencies)
    squashed.replaces = sorted(replaced)
    squashed.initial = bool(getattr(migrations[0], "initial", False)) or None
    return squashed, migrations


def functions_to_copy(migration: Migration) -> list[Any]:
    """``RunPython`` functions defined in migration files: they must be copied, not imported."""
    found: dict[int, Any] = {}

    def visit(operations) -> None:
        for operation in operations:
            for attribute in ("code", "reverse_code"):
                function = getattr(operation, attribute, None)
                if isinstance(function, types.FunctionType) and not _importable(function):
                    found.setdefault(id(function), function)
            for nested in ("database_operations", "state_operations"):
                visit(getattr(operation, nested, None) or [])

    visit(migration.operations)
    names: dict[str, Any] = {}
    for function in found.values():
        other = names.get(function.__name__)
        if other is not None and other is not function:
            raise CommandError(
                f"squashmigrations: two RunPython functions are named {function.__name__} "
                f"({other.__module__} and {function.__module__}); rename one, or move both to a "
                "regular module so the squashed migration can import them"
            )
        names[function.__name__] = function
    return [names[name] for name in sorted(names)]


def _importable(function: Any) -> bool:
    module = getattr(function, "__module__", "") or ""
    return all(_IDENTIFIER.match(part) for part in module.split(".")) and (
        "<locals>" not in function.__qualname__
    )


def check_copied_functions(functions: list[Any], text: str) -> None:
    """Raise ``CommandError`` if a copied function reads a global the squashed file lacks.

    A constant or import of the original migration file is not copied with the
    function; written anyway, the squashed migration would fail with a NameError.
    """
    defined = set(dir(builtins))
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(name.id for target in targets for name in ast.walk(target)
                           if isinstance(name, ast.Name))
    for function in functions:
        missing = sorted(_globals_read(function.__code__) - defined)
        if missing:
            raise CommandError(
                f"squashmigrations: RunPython function {function.__name__} "
                f"({function.__module__}) uses {', '.join(missing)} from its migration file, "
                "which the squashed migration would not have; move the function (and what it "
                "uses) to a regular module, or use only names defined inside it"
            )


def _globals_read(code: types.CodeType) -> set[str]:
    names = {instruction.argval for instruction in dis.get_instructions(code)
             if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _globals_read(constant)
    return names
