"""Test support for the authoring tests: app packages whose models.py is edited step by step."""

from __future__ import annotations

import io
import itertools
import sys
import textwrap
from pathlib import Path
from typing import Any

import orm
from migrations_engine import commands
from orm.connections import connections
from orm.registry import registry

_counter = itertools.count()


class AuthoringProject:
    """App packages under ``tmp_path`` (no migrations at first), configured against ``db_url``."""

    def __init__(self, tmp_path: Path, db_url: str = "sqlite:///:memory:") -> None:
        self.root = tmp_path / f"authoring{next(_counter)}"
        self.root.mkdir()
        self.db_url = db_url
        self.apps: list[str] = []
        sys.path.insert(0, str(self.root))

    def models(self, label: str, source: str, *, reload: bool = True) -> None:
        """Write ``label/models.py`` (``import orm`` added) and reload every app (unless not)."""
        folder = self.root / label
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").touch()
        (folder / "models.py").write_text("import orm\n\n" + textwrap.dedent(source))
        if label not in self.apps:
            self.apps.append(label)
        if reload:
            self.reload()

    def reload(self) -> None:
        self._forget()
        orm.configure(apps=list(self.apps), databases={"default": self.db_url})

    def _forget(self) -> None:
        for label in self.apps:
            for module in [m for m in sys.modules if m == label or m.startswith(label + ".")]:
                del sys.modules[module]
            registry.app_configs.pop(label, None)
            registry.all_models.pop(label, None)

    def migration_names(self, label: str) -> list[str]:
        folder = self.root / label / "migrations"
        return sorted(p.stem for p in folder.glob("[0-9]*.py")) if folder.exists() else []

    def migration_text(self, label: str, name: str) -> str:
        return (self.root / label / "migrations" / f"{name}.py").read_text()

    def makemigrations(self, *app_labels: str, stdin: str = "", **options: Any) -> tuple[int, str]:
        out = io.StringIO()
        options.setdefault("interactive", False)
        code = commands.makemigrations(
            list(app_labels), stdout=out, stdin=io.StringIO(stdin), **options
        )
        return code, out.getvalue()

    def migrate(self, app: str | None = None, target: str | None = None, **options: Any) -> str:
        out = io.StringIO()
        commands.migrate(app, target, stdout=out, **options)
        return out.getvalue()

    @property
    def connection(self) -> Any:
        return connections["default"]

    def tables(self) -> set[str]:
        return {name for name in self.connection.introspection.table_names()
                if name != "manouche_migrations"}

    def schema_problems(self) -> list[str]:
        """Differences between the live models and the introspected tables and columns."""
        problems = []
        introspection = self.connection.introspection
        tables = self.tables()
        expected_tables = set()
        for label in self.apps:
            for model in registry.all_models.get(label, {}).values():
                opts = model._meta
                if opts.proxy or not opts.managed or opts.abstract:
                    continue
                expected_tables.add(opts.db_table)
                if opts.db_table not in tables:
                    problems.append(f"missing table {opts.db_table}")
                    continue
                columns = {c.name: c for c in introspection.get_columns(opts.db_table)}
                for field in opts.concrete_fields:
                    column = columns.get(field.column)
                    if column is None:
                        problems.append(f"{opts.db_table}: missing column {field.column}")
                    elif bool(column.null) != bool(field.null) and not field.primary_key:
                        problems.append(f"{opts.db_table}.{field.column}: null={column.null}")
                extra = set(columns) - {field.column for field in opts.concrete_fields}
                if extra:
                    problems.append(f"{opts.db_table}: extra columns {sorted(extra)}")
        app_tables = {t for t in tables if any(t.startswith(f"{label}_") for label in self.apps)}
        leftover = {t for t in app_tables - expected_tables
                    if not _is_junction_of(t, expected_tables)}
        if leftover:
            problems.append(f"tables without a model: {sorted(leftover)}")
        return problems

    def close(self) -> None:
        connections.close_all()
        self._forget()
        if str(self.root) in sys.path:
            sys.path.remove(str(self.root))


def _is_junction_of(table: str, model_tables: set[str]) -> bool:
    return any(table.startswith(model_table + "_") for model_table in model_tables)
