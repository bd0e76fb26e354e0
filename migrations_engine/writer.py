"""Render a ``Migration`` as the Python file of SPEC §8, deterministically.

The same migration always renders to the same bytes except for the header's
timestamp, which ``MANOUCHE_MIGRATION_TIMESTAMP`` (``"YYYY-MM-DD HH:MM"``) fixes.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import os
import textwrap
from pathlib import Path
from typing import Any

import jinja2

from migrations_engine.errors import CommandError
from migrations_engine.serializer import (
    SerializationError,
    import_path_of,
    inline_functions,
    serialize,
)

__all__ = ["MigrationWriter", "render_migration", "migration_timestamp", "VERSION"]

VERSION = "0.1.0"
TIMESTAMP_VARIABLE = "MANOUCHE_MIGRATION_TIMESTAMP"
_INDENT = "    "
_ALWAYS_IMPORTED = ("import orm", "from migrations_engine import migrations")

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("migrations_engine", "templates"),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
    undefined=jinja2.StrictUndefined,
)


def migration_timestamp() -> str:
    """The header's ``YYYY-MM-DD HH:MM``: the environment variable if set, else now (local)."""
    fixed = os.environ.get(TIMESTAMP_VARIABLE)
    if fixed:
        return fixed
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M")


def render_migration(migration: Any, *, functions: Any = ()) -> str:
    """The source of ``migration``'s file; ``SerializationError`` naming model, field and value.

    ``functions`` are copied into the file (their source) and referenced by name:
    ``squashmigrations`` uses this for ``RunPython`` code defined in migration files.
    """
    copied = {id(function): function.__name__ for function in functions}
    token = inline_functions.set(copied)
    try:
        return _render(migration, [_function_source(function) for function in functions])
    finally:
        inline_functions.reset(token)


def _function_source(function: Any) -> str:
    try:
        return textwrap.dedent(inspect.getsource(function)).rstrip()
    except (OSError, TypeError) as error:
        raise SerializationError(function, f"its source cannot be read to copy it ({error})")


def _render(migration: Any, code: list[str]) -> str:
    app_label = migration.app_label
    imports: set[str] = set()
    operations = []
    for operation in migration.operations:
        lines, operation_imports = _render_operation(operation, app_label, depth=2)
        operations.append("\n".join(lines) + ",")
        imports |= operation_imports
    dependencies = sorted(_as_node(dependency) for dependency in migration.dependencies)
    replaces = sorted(_as_node(node) for node in getattr(migration, "replaces", None) or [])
    run_before = sorted(_as_node(node) for node in getattr(migration, "run_before", None) or [])
    imports |= set(_ALWAYS_IMPORTED)
    plain = sorted(line for line in imports if line.startswith("import "))
    froms = sorted(line for line in imports if line.startswith("from "))
    return _environment.get_template("migration.py.jinja").render(
        version=VERSION,
        timestamp=migration_timestamp(),
        imports=[*plain, *froms],
        initial=bool(getattr(migration, "initial", False)),
        atomic=getattr(migration, "atomic", True),
        replaces=serialize(replaces)[0] if replaces else None,
        dependencies=serialize(dependencies)[0],
        run_before=serialize(run_before)[0] if run_before else None,
        operations=operations,
        code=code,
    )


def _as_node(node) -> tuple[str, str]:
    app_label, name = node
    return (str(app_label), str(name))


def _render_operation(operation, app_label: str, depth: int) -> tuple[list[str], set[str]]:
    """An operation call spread over lines: one keyword argument per line."""
    name, args, kwargs = operation.deconstruct()
    indent = _INDENT * depth
    inner = _INDENT * (depth + 1)
    callee, imports = _operation_callee(operation, name)
    lines = [f"{indent}{callee}("]
    context = _operation_context(operation, app_label)
    for value in args:
        source_lines, value_imports = _render_argument(None, value, app_label, depth + 1, context)
        source_lines[0] = inner + source_lines[0]
        lines.extend(source_lines)
        lines[-1] += ","
        imports |= value_imports
    field_name = getattr(operation, "name", None) if hasattr(operation, "model_name") else None
    field_context = f"{context}.{field_name}" if field_name else None
    for key, value in kwargs.items():
        source_lines, value_imports = _render_argument(
            key, value, app_label, depth + 1, context, field_context
        )
        source_lines[0] = f"{inner}{key}={source_lines[0]}"
        lines.extend(source_lines)
        lines[-1] += ","
        imports |= value_imports
    lines.append(f"{indent})")
    return lines, imports


def _operation_callee(operation, name: str) -> tuple[str, set[str]]:
    from migrations_engine import migrations as migrations_module

    if getattr(migrations_module, name, None) is type(operation):
        return f"migrations.{name}", set()
    cls = type(operation)
    return import_path_of(f"{cls.__module__}.{cls.__qualname__}")


def _operation_context(operation, app_label: str) -> str:
    model = getattr(operation, "model_name", None) or getattr(operation, "name", None)
    return f"{app_label}.{model}" if model else app_label


def _render_argument(
    key: str | None,
    value: Any,
    app_label: str,
    depth: int,
    context: str,
    field_context: str | None = None,
) -> tuple[list[str], set[str]]:
    """Lines of one argument (the first without indentation, the rest indented)."""
    inner = _INDENT * (depth + 1)
    closing = _INDENT * depth
    if isinstance(value, (list, tuple)) and value and all(_is_operation(item) for item in value):
        lines, imports = ["["], set()
        for item in value:
            item_lines, item_imports = _render_operation(item, app_label, depth + 1)
            lines.extend(item_lines)
            lines[-1] += ","
            imports |= item_imports
        lines.append(f"{closing}]")
        return lines, imports
    if key in ("fields", "managers") and isinstance(value, (list, tuple)) and value:
        lines, imports = ["["], set()
        for item_name, item in value:
            source, item_imports = _serialize_in(item, f"{context}.{item_name}")
            lines.append(f"{inner}({serialize(item_name)[0]}, {source}),")
            imports |= item_imports
        lines.append(f"{closing}]")
        return lines, imports
    if key == "field":
        return _as_lines(_serialize_in(value, field_context or context))
    return _as_lines(_serialize_in(value, context))


def _serialize_in(value: Any, context: str) -> tuple[str, set[str]]:
    try:
        return serialize(value)
    except SerializationError as error:
        raise error.with_context(context) from None


def _as_lines(serialized: tuple[str, set[str]]) -> tuple[list[str], set[str]]:
    source, imports = serialized
    return [source], imports


def _is_operation(value: Any) -> bool:
    return hasattr(value, "state_forwards") and hasattr(value, "deconstruct")


class MigrationWriter:
    """Django's name: knows a migration's file name, directory and text."""

    def __init__(self, migration: Any):
        self.migration = migration

    @property
    def filename(self) -> str:
        return f"{self.migration.name}.py"

    @property
    def basedir(self) -> Path:
        return migrations_directory(self.migration.app_label)

    @property
    def path(self) -> Path:
        return self.basedir / self.filename

    def as_string(self) -> str:
        return render_migration(self.migration)

    def write(self) -> Path:
        """Write the file (creating the ``migrations`` package when missing); return its path."""
        directory = self.basedir
        ensure_migrations_package(directory)
        path = directory / self.filename
        path.write_text(self.as_string(), encoding="utf-8")
        importlib.invalidate_caches()
        return path


def migrations_directory(app_label: str) -> Path:
    """The folder of ``<app>.migrations`` (which may not exist yet)."""
    import orm

    config = orm.registry.get_app_config(app_label)
    module_file = getattr(config.module, "__file__", None)
    if module_file is None:
        raise CommandError(
            f"app {app_label!r} ({config.name}) has no __file__; it must be a regular package "
            "with an __init__.py to hold a migrations package"
        )
    module_path = Path(module_file)
    if module_path.name != "__init__.py":
        raise CommandError(
            f"app {app_label!r} is the single module {module_path}; turn it into a package "
            f"({module_path.with_suffix('')}/__init__.py) so it can hold {config.name}.migrations"
        )
    return module_path.parent / "migrations"


def ensure_migrations_package(directory: Path) -> None:
    """Create ``directory`` and its ``__init__.py`` when missing."""
    directory.mkdir(parents=True, exist_ok=True)
    init = directory / "__init__.py"
    if not init.exists():
        init.write_text("", encoding="utf-8")
