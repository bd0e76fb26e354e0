"""Configuration: ``orm.configure()``, ``[tool.manouche]`` in pyproject.toml, ``DATABASE_URL``.

Precedence (SPEC §2): arguments of ``configure()`` win; without it the first
use of the ORM loads the nearest ``pyproject.toml`` from the working directory
upwards; ``DATABASE_URL`` overrides the ``default`` database; with nothing set
the database is ``sqlite:///db.sqlite3``.
"""

from __future__ import annotations

import os
import sys
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from orm.exceptions import ImproperlyConfigured

__all__ = ["Settings", "configure", "settings", "find_pyproject", "load_pyproject"]

DEFAULT_DATABASE_URL = "sqlite:///db.sqlite3"
DEFAULT_AUTO_FIELD = "orm.BigAutoField"


@dataclass
class Settings:
    """The ORM's configuration, as loaded or as given to ``configure()``."""

    apps: list[str] = field(default_factory=list)
    databases: dict[str, str] = field(default_factory=lambda: {"default": DEFAULT_DATABASE_URL})
    routers: list[Any] = field(default_factory=list)
    default_auto_field: str = DEFAULT_AUTO_FIELD
    source: str = "defaults"
    base_dir: Path | None = None


class _SettingsHolder:
    """Loads settings on first use; ``configure()`` replaces them."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._lock = threading.RLock()

    def get(self) -> Settings:
        current = self._settings
        if current is None:
            with self._lock:
                if self._settings is None:
                    self._settings = load_settings()
                current = self._settings
        return current

    def set(self, value: Settings) -> None:
        with self._lock:
            self._settings = value

    def reset(self) -> None:
        with self._lock:
            self._settings = None

    @property
    def is_loaded(self) -> bool:
        return self._settings is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


settings = _SettingsHolder()


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.manouche]`` table, from ``start`` upwards."""
    directory = (start or Path.cwd()).resolve()
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "manouche" in data.get("tool", {}):
                return candidate
    return None


def load_pyproject(path: Path) -> dict[str, Any]:
    """The ``[tool.manouche]`` table of ``path`` (an error names the file when it is broken)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImproperlyConfigured(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ImproperlyConfigured(f"{path}: not valid TOML ({error})") from None
    return data.get("tool", {}).get("manouche", {})


def _settings_from_table(table: dict[str, Any], source: str, base_dir: Path | None) -> Settings:
    apps = table.get("apps", [])
    if not isinstance(apps, list) or not all(isinstance(app, str) for app in apps):
        raise ImproperlyConfigured(f"{source}: [tool.manouche] apps must be a list of module names")
    databases: dict[str, str] = {}
    routers = []
    table_databases = table.get("databases")
    if isinstance(table_databases, dict):
        for alias, url in table_databases.items():
            if alias == "routers":
                routers = list(url)
            elif isinstance(url, str):
                databases[alias] = url
            else:
                raise ImproperlyConfigured(
                    f"{source}: [tool.manouche.databases] {alias} must be a URL string"
                )
    if "database" in table:
        databases.setdefault("default", table["database"])
    if base_dir is not None:
        databases = {alias: _anchor_sqlite(url, base_dir) for alias, url in databases.items()}
    routers = list(table.get("routers", routers))
    databases.setdefault("default", DEFAULT_DATABASE_URL)
    return Settings(
        apps=list(apps),
        databases=databases,
        routers=routers,
        default_auto_field=table.get("default_auto_field", DEFAULT_AUTO_FIELD),
        source=source,
        base_dir=base_dir,
    )


def _anchor_sqlite(url: str, base_dir: Path) -> str:
    """A relative SQLite path in a pyproject is relative to that pyproject's directory.

    Otherwise running from a subdirectory would quietly create a new, empty database there.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/"):
        return url
    path, separator, query = url[len(prefix) :].partition("?")
    if not path or path == ":memory:" or path.startswith("file:"):
        return url
    absolute = (base_dir / unquote(path)).as_posix()
    return prefix + quote(absolute, safe="/") + separator + query


def load_settings(config: str | Path | None = None, database_url: str | None = None) -> Settings:
    """Settings from ``config`` (or the nearest pyproject.toml), ``DATABASE_URL`` and defaults."""
    path = Path(config) if config else find_pyproject()
    # SPEC §2: a file named with --config wins over DATABASE_URL when it names a database.
    config_names_default = False
    if path is not None:
        table = load_pyproject(path)
        loaded = _settings_from_table(table, str(path), path.resolve().parent)
        databases = table.get("databases")
        config_names_default = bool(config) and (
            "database" in table or (isinstance(databases, dict) and "default" in databases)
        )
        base = str(path.resolve().parent)
        if base not in sys.path:
            sys.path.insert(0, base)
    else:
        loaded = Settings()
    environment_url = os.environ.get("DATABASE_URL")
    if environment_url and not config_names_default:
        loaded.databases["default"] = environment_url
    if database_url:
        loaded.databases["default"] = database_url
    return loaded


def configure(
    apps: list[str] | None = None,
    databases: dict[str, str] | None = None,
    routers: list[Any] | None = None,
    *,
    database: str | None = None,
    default_auto_field: str | None = None,
) -> Settings:
    """Configure the ORM in code; these arguments win over every other source.

    Closes open connections and re-populates the app registry when ``apps`` is given.
    """
    from orm.connections import connections
    from orm.registry import registry

    if databases is None:
        databases = {"default": database} if database else None
    if databases is None:
        environment_url = os.environ.get("DATABASE_URL")
        databases = {"default": environment_url or DEFAULT_DATABASE_URL}
    elif "default" not in databases:
        raise ImproperlyConfigured(
            f"configure(databases=...) needs a 'default' alias, got {sorted(databases)}"
        )
    new = Settings(
        apps=list(apps or []),
        databases=dict(databases),
        routers=list(routers or []),
        default_auto_field=default_auto_field or DEFAULT_AUTO_FIELD,
        source="configure()",
    )
    connections.close_all()
    settings.set(new)
    connections.reset()
    from orm.routers import router

    router.reset()
    if apps is not None:
        registry.populate(new.apps)
    return new
