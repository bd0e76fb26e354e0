"""Loading migration files from the installed apps and building the graph and states.

Every problem with a file (syntax error, no ``Migration`` class, a
dependency on a missing migration, a cycle, an operation on a model that
is not in the state) is raised here, naming the file, before any SQL runs.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import pkgutil
import sys
from typing import Any

from .compiling import compiled_imports
from .errors import InvalidMigrationError
from .graph import MigrationGraph, Node
from .migration import Migration
from .state import ProjectState

__all__ = ["MigrationLoader"]


def _module_file(module_name: str) -> str:
    spec = importlib.util.find_spec(module_name)
    if spec is not None and spec.origin:
        return spec.origin
    return module_name.replace(".", os.sep) + ".py"


def _promote_to_oldest_generation() -> None:
    """Move every object the collector tracks into its oldest generation, without scanning.

    Objects made while the collector was off all sit in the youngest
    generation: the next two collections would scan every one of them (tens of
    milliseconds after importing 1,000 models' migrations) only to promote them.
    ``freeze()`` then ``unfreeze()`` moves them to the oldest generation in
    constant time; a full collection still looks at them. Skipped when the
    program froze objects itself (``unfreeze()`` would release them).
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


class MigrationLoader:
    """Reads every app's ``migrations`` package; gives the graph, applied set and states.

    ``connection`` (optional) is used only to read the applied migrations.
    ``replace_migrations`` honours squashed migrations (``replaces``).
    """

    def __init__(
        self,
        connection: Any = None,
        load: bool = True,
        replace_migrations: bool = True,
        app_configs: Any = None,
        check: bool = True,
    ) -> None:
        self.connection = connection
        self.replace_migrations = replace_migrations
        self._app_configs = app_configs
        self.disk_migrations: dict[Node, Migration] = {}
        self.unmigrated_apps: set[str] = set()
        self.migrated_apps: set[str] = set()
        self.applied_migrations: dict[Node, Any] = {}
        #: The recorder's rows as read (``applied_migrations`` adds squashed migrations).
        self.recorded: dict[Node, Any] = {}
        self._validated = False
        self.replacements: dict[Node, Migration] = {}
        self.graph = MigrationGraph()
        if load:
            self.build_graph(check=check)

    # -- reading files -------------------------------------------------------------

    def app_configs(self) -> list:
        if self._app_configs is not None:
            return list(self._app_configs)
        from orm.config import settings
        from orm.registry import registry

        configs = registry.get_app_configs()
        # The registry keeps apps of earlier configure() calls; only the configured ones count.
        installed = set(settings.get().apps)
        return [config for config in configs if config.name in installed] if installed else configs

    def load_disk(self) -> None:
        """Import every migration module of every installed app."""
        # Migration files build many long-lived objects and no garbage cycles: the cyclic
        # collector would only rescan the growing heap (half the import time at 1,000 models).
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._import_migrations()
        finally:
            _promote_to_oldest_generation()
            if enabled:
                gc.enable()

    def _import_migrations(self) -> None:
        self.disk_migrations = {}
        self.unmigrated_apps = set()
        self.migrated_apps = set()
        importlib.invalidate_caches()
        files: list[tuple[str, str, str]] = []
        sources: dict[str, str] = {}
        for config in self.app_configs():
            package_name = config.migrations_module
            for name in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
                del sys.modules[name]
            try:
                package = importlib.import_module(package_name)
            except ModuleNotFoundError as error:
                if error.name in (package_name, package_name.rpartition(".")[0]):
                    self.unmigrated_apps.add(config.label)
                    continue
                raise InvalidMigrationError(
                    f"{_module_file(package_name)}: cannot import {package_name} ({error})"
                ) from error
            except SyntaxError as error:
                raise InvalidMigrationError(
                    f"{error.filename}:{error.lineno}: syntax error in {package_name}: {error.msg}"
                ) from error
            if not hasattr(package, "__path__"):
                raise InvalidMigrationError(
                    f"{getattr(package, '__file__', package_name)}: {package_name} must be a "
                    "package (a directory with __init__.py), not a module"
                )
            self.migrated_apps.add(config.label)
            infos = sorted(
                (info for info in pkgutil.iter_modules(package.__path__)
                 if not info.ispkg and not info.name.startswith(("_", "~"))),
                key=lambda info: info.name,
            )
            for info in infos:
                files.append((config.label, package_name, info.name))
                directory = getattr(info.module_finder, "path", None)
                if directory is not None:
                    sources[f"{package_name}.{info.name}"] = os.path.join(directory, info.name + ".py")
        # Every app's files are compiled together (in parallel where that pays), then imported.
        with compiled_imports(sources):
            for app_label, package_name, name in files:
                self._load_file(app_label, package_name, name)

    def _load_file(self, app_label: str, package_name: str, name: str) -> None:
        module_name = f"{package_name}.{name}"
        try:
            module = importlib.import_module(module_name)
        except SyntaxError as error:
            raise InvalidMigrationError(
                f"{error.filename or _module_file(module_name)}:{error.lineno}: syntax error in "
                f"migration {app_label}.{name}: {error.msg}; fix the file or delete it"
            ) from error
        except Exception as error:
            raise InvalidMigrationError(
                f"{_module_file(module_name)}: migration {app_label}.{name} cannot be imported: "
                f"{type(error).__name__}: {error}"
            ) from error
        # The file's own path; looking it up before the import cost a finder search per file.
        path = getattr(module, "__file__", None) or _module_file(module_name)
        migration_class = getattr(module, "Migration", None)
        if not isinstance(migration_class, type) or not issubclass(migration_class, Migration):
            raise InvalidMigrationError(
                f"{path}: migration {app_label}.{name} has no Migration class "
                "(class Migration(migrations.Migration): ...)"
            )
        try:
            migration = migration_class(name, app_label)
        except Exception as error:
            raise InvalidMigrationError(f"{path}: {type(error).__name__}: {error}") from error
        migration.path = path
        for dependency in [*migration.dependencies, *migration.run_before, *migration.replaces]:
            if not (isinstance(dependency, tuple) and len(dependency) == 2):
                raise InvalidMigrationError(
                    f"{migration.path}: dependencies, run_before and replaces entries must be "
                    f"(app_label, migration_name) pairs, got {dependency!r}"
                )
        self.disk_migrations[(app_label, name)] = migration

    # -- the graph ----------------------------------------------------------------------

    def _resolve_special(self, key: Node, current: Node) -> Node:
        app, name = key
        if name in ("__first__", "__latest__"):
            names = sorted(n for a, n in self.disk_migrations if a == app)
            if not names:
                if app in self.unmigrated_apps or app not in self.migrated_apps:
                    return key
            elif name == "__first__":
                roots = [
                    n for n in names
                    if not any(dep[0] == app for dep in self.disk_migrations[(app, n)].dependencies)
                ]
                return (app, (roots or names)[0])
            else:
                return self.graph.leaf_nodes(app)[-1] if self.graph.leaf_nodes(app) else key
        return key

    def build_graph(self, check: bool = True) -> None:
        """Load the files, build the graph, apply replacements and validate."""
        self.load_disk()
        self._read_applied()
        self._build_from_disk()

    def _read_applied(self) -> None:
        if self.connection is not None:
            from .recorder import MigrationRecorder

            self.recorded = MigrationRecorder(self.connection).applied_migrations()
        else:
            self.recorded = {}

    def refresh_applied(self) -> None:
        """Read the applied migrations again; rebuild the graph (not the files) if they changed.

        ``migrate`` calls this once it holds the lock: another process may
        have applied migrations since the files were loaded.
        """
        before = self.recorded
        self._read_applied()
        if self.recorded != before:
            self._build_from_disk()

    def _build_from_disk(self) -> None:
        self.applied_migrations = dict(self.recorded)
        self._validated = False
        self.graph = MigrationGraph()
        self.replacements = {}
        for key, migration in self.disk_migrations.items():
            self.graph.add_node(key, migration)
            if migration.replaces:
                self.replacements[key] = migration
        for key, migration in self.disk_migrations.items():
            for parent in migration.dependencies:
                parent = self._resolve_special(parent, key)
                if parent[0] != key[0] and parent[1] == "__first__" and parent[0] in self.unmigrated_apps:
                    continue
                self.graph.add_dependency(key, parent, skip_validation=True)
            for child in migration.run_before:
                self.graph.add_dependency(child, key, skip_validation=True)
        if self.replace_migrations:
            self._apply_replacements()
        self.graph.validate_consistency()
        self.graph.ensure_not_cyclic()

    def _apply_replacements(self) -> None:
        for key, migration in self.replacements.items():
            statuses = [target in self.applied_migrations for target in migration.replaces]
            if all(statuses):
                self.applied_migrations.setdefault(key, True)
            else:
                self.applied_migrations.pop(key, None)
            if all(statuses) or not any(statuses):
                # Dependencies on the replaced migrations now point at the squashed one.
                self.graph._missing = [
                    (child, key if parent in migration.replaces else parent)
                    for child, parent in self.graph._missing
                ]
                self.graph.remove_replaced_nodes(key, list(migration.replaces))
            else:
                self._check_replaced_files(migration, statuses)
                self.graph.remove_replacement_node(key, list(migration.replaces))
        still_missing = []
        for child, parent in self.graph._missing:
            if child in self.graph.nodes and parent in self.graph.nodes:
                self.graph.graph.add_edge(parent, child)
            else:
                still_missing.append((child, parent))
        self.graph._missing = still_missing

    def _check_replaced_files(self, migration: Migration, statuses: list[bool]) -> None:
        """A partly applied squash needs the files it replaces; name the missing ones."""
        missing = [target for target in migration.replaces if target not in self.disk_migrations]
        if not missing:
            return
        from .errors import InconsistentHistoryError

        applied = [t[1] for t, done in zip(migration.replaces, statuses, strict=True) if done]
        pending = [t[1] for t, done in zip(migration.replaces, statuses, strict=True) if not done]
        raise InconsistentHistoryError(
            f"{migration.path}: squashed migration {migration.app_label}.{migration.name} "
            f"cannot be used, this database applied only part of what it replaces "
            f"(applied: {', '.join(applied)}; not applied: {', '.join(pending)}), and the "
            f"replaced files {', '.join(f'{a}.{n}' for a, n in missing)} are gone; restore "
            "them (from version control), run migrate, then delete them again"
        )

    def check_consistent_history(self) -> None:
        """Raise when an applied migration depends on one that is not applied."""
        from .errors import InconsistentHistoryError

        for key in self.applied_migrations:
            if key not in self.graph.nodes:
                continue
            for parent in self.graph.parents(key):
                if parent not in self.applied_migrations:
                    migration = self.graph.nodes[key]
                    raise InconsistentHistoryError(
                        f"migration {key[0]}.{key[1]} ({migration.path}) is applied before its "
                        f"dependency {parent[0]}.{parent[1]}; apply or fake the dependency"
                    )

    def get_migration(self, app_label: str, name: str) -> Migration:
        return self.graph.nodes[(app_label, name)]

    def get_migration_by_prefix(self, app_label: str, prefix: str) -> Migration:
        """The migration of ``app_label`` whose name starts with ``prefix`` (CommandError else)."""
        from .errors import CommandError

        if app_label not in self.migrated_apps:
            raise CommandError(f"app {app_label!r} has no migrations")
        candidates = sorted(
            name for app, name in self.disk_migrations if app == app_label and name.startswith(prefix)
        )
        if prefix in candidates:
            candidates = [prefix]
        if len(candidates) > 1:
            raise CommandError(
                f"more than one migration of {app_label!r} matches {prefix!r}: "
                f"{', '.join(candidates)}; give more of the name"
            )
        if not candidates:
            names = sorted(name for app, name in self.disk_migrations if app == app_label)
            raise CommandError(
                f"no migration of {app_label!r} matches {prefix!r}; its migrations: "
                f"{', '.join(names) or 'none'}"
            )
        return self.disk_migrations[(app_label, candidates[0])]

    # -- states ---------------------------------------------------------------------------

    def project_state(self, nodes: Any = None, at_end: bool = True) -> ProjectState:
        """The state after (``at_end``) or before the given node(s); all leaves when None."""
        if nodes is None:
            nodes = self.graph.leaf_nodes()
        elif isinstance(nodes, tuple) and len(nodes) == 2 and isinstance(nodes[0], str):
            nodes = [nodes]
        plan: list[Node] = []
        seen: set[Node] = set()
        for node in nodes:
            for step in self.graph.forwards_plan(node):
                if step not in seen:
                    if not at_end and step in nodes:
                        continue
                    seen.add(step)
                    plan.append(step)
        state = ProjectState(real_apps=set(self.unmigrated_apps))
        for key in plan:
            replay(self.graph.nodes[key], state)
        return state

    def validate_states(self) -> None:
        """Replay every migration once per graph, raising InvalidMigrationError naming a bad file."""
        if self._validated:
            return
        state = ProjectState(real_apps=set(self.unmigrated_apps))
        for key in self.graph.full_plan():
            replay(self.graph.nodes[key], state)
        self._validated = True


def replay(migration: Migration, state: ProjectState) -> None:
    """Apply a migration's operations to ``state`` in place, naming the file on failure."""
    for index, operation in enumerate(migration.operations):
        try:
            operation.state_forwards(migration.app_label, state)
        except (KeyError, ValueError, LookupError, AttributeError, TypeError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            raise InvalidMigrationError(
                f"{migration.path or migration}: operation {index + 1} "
                f"({_describe(operation)}) of migration {migration.app_label}.{migration.name} "
                f"cannot apply: {message}"
            ) from error


def _describe(operation: Any) -> str:
    try:
        return operation.describe()
    except Exception:  # a broken operation must not hide the real error
        return type(operation).__name__
