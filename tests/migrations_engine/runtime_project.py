"""Test support for the runtime tests: throwaway app packages with hand-written migrations."""

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

HEADER = "import orm\nfrom migrations_engine import migrations\n\n"
_counter = itertools.count()


def migration_source(body: str, dependencies: Any = (), initial: bool = False, extra: str = "") -> str:
    """The text of a migration file with ``body`` as its operations list items."""
    lines = [HEADER, extra, "\nclass Migration(migrations.Migration):\n"]
    if initial:
        lines.append("    initial = True\n")
    lines.append(f"    dependencies = {list(dependencies)!r}\n")
    lines.append("    operations = [\n")
    lines.append(textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8) + "\n")
    lines.append("    ]\n")
    return "".join(lines)


class Project:
    """App packages under ``tmp_path`` on ``sys.path``, configured against ``db_url``."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.root = tmp_path / f"proj{next(_counter)}"
        self.root.mkdir()
        self.db_url = db_url
        self.apps: list[str] = []
        sys.path.insert(0, str(self.root))

    def app(self, label: str, migrations: dict[str, str] | None = None, models: str = "") -> Path:
        """Write app ``label`` with ``migrations`` (name -> source) and return its folder."""
        folder = self.root / label
        (folder / "migrations").mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text("")
        (folder / "models.py").write_text("import orm\n" + textwrap.dedent(models))
        (folder / "migrations" / "__init__.py").write_text("")
        for name, source in (migrations or {}).items():
            self.write(label, name, source)
        if label not in self.apps:
            self.apps.append(label)
        return folder

    def write(self, label: str, name: str, source: str) -> Path:
        path = self.root / label / "migrations" / f"{name}.py"
        path.write_text(source)
        return path

    def remove(self, label: str, name: str) -> None:
        (self.root / label / "migrations" / f"{name}.py").unlink()

    def configure(self, databases: dict[str, str] | None = None, **options: Any) -> None:
        """Point the ORM at the apps (``databases`` adds aliases beside ``default``)."""
        for label in self.apps:
            for module in [m for m in sys.modules if m == label or m.startswith(label + ".")]:
                del sys.modules[module]
            registry.app_configs.pop(label, None)
            registry.all_models.pop(label, None)
        orm.configure(
            apps=list(self.apps), databases={"default": self.db_url, **(databases or {})},
            **options,
        )

    @property
    def connection(self) -> Any:
        return connections["default"]

    def tables_of(self, alias: str) -> set[str]:
        """The tables of database ``alias`` (the recorder's table left out)."""
        return {
            name for name in connections[alias].introspection.table_names()
            if name != "manouche_migrations"
        }

    def migrate(self, app: str | None = None, target: str | None = None, **options: Any) -> str:
        """Run ``commands.migrate`` and return what it printed."""
        out = io.StringIO()
        commands.migrate(app, target, stdout=out, **options)
        return out.getvalue()

    def tables(self) -> set[str]:
        return {
            name for name in self.connection.introspection.table_names()
            if name != "manouche_migrations"
        }

    def columns(self, table: str) -> dict[str, Any]:
        return {c.name: c for c in self.connection.introspection.get_columns(table)}

    def applied(self) -> set[tuple[str, str]]:
        from migrations_engine.recorder import MigrationRecorder

        return set(MigrationRecorder(self.connection).applied_migrations())

    def close(self) -> None:
        connections.close_all()
        for label in self.apps:
            for module in [m for m in sys.modules if m == label or m.startswith(label + ".")]:
                del sys.modules[module]
            registry.app_configs.pop(label, None)
            registry.all_models.pop(label, None)
        if str(self.root) in sys.path:
            sys.path.remove(str(self.root))


def snapshot(connection: Any) -> dict[str, Any]:
    """The live schema as comparable data (columns, indexes by columns, uniques, checks, FKs)."""
    introspection = connection.introspection
    result = {}
    for table in sorted(introspection.table_names()):
        if table == "manouche_migrations":
            continue
        constraints = introspection.get_constraints(table)
        indexes = introspection.get_indexes(table)
        result[table] = {
            "columns": sorted(
                (c.name, c.type, c.null) for c in introspection.get_columns(table)
            ),
            "indexes": sorted({i.columns for i in indexes if not i.unique}),
            "unique": sorted(
                {c.columns for c in constraints if c.kind == "unique"}
                | {i.columns for i in indexes if i.unique}
            ),
            "checks": sorted(c.name for c in constraints if c.kind == "check" and c.name),
            "fks": sorted(introspection.get_foreign_keys(table).items()),
        }
    return result
