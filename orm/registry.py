"""The registry of apps and models: ``orm.registry.get_model("blog.Post")``."""

from __future__ import annotations

import importlib
import threading
from collections import defaultdict
from typing import Any, Callable, Iterator

from orm.exceptions import ImproperlyConfigured

__all__ = ["Registry", "registry", "AppConfig"]


class AppConfig:
    """One installed app: its label, module and models."""

    def __init__(self, name: str, module: Any, label: str | None = None):
        self.name = name
        self.module = module
        self.label = label or name.rpartition(".")[2]
        self.models_module: Any = None

    def __repr__(self) -> str:
        return f"<AppConfig: {self.label}>"

    @property
    def migrations_module(self) -> str:
        return f"{self.name}.migrations"

    def get_models(self, registry: Registry | None = None) -> list:
        return list((registry or globals()["registry"]).all_models.get(self.label, {}).values())


class Registry:
    """Apps and their models; resolves string references (``"blog.Post"``) lazily."""

    def __init__(self) -> None:
        self.all_models: dict[str, dict[str, Any]] = defaultdict(dict)
        self.app_configs: dict[str, AppConfig] = {}
        self._pending: dict[tuple[str, str], list[Callable]] = defaultdict(list)
        self._lock = threading.RLock()
        self.ready = False
        self._populating = False
        self._ever_installed: set[str] = set()

    # -- apps ---------------------------------------------------------------------

    def populate(self, app_names: list[str]) -> None:
        """Import each app and its ``models`` module (idempotent per app)."""
        with self._lock:
            self._populating = True
            # The installed apps are exactly ``app_names``: apps of an earlier
            # configuration are forgotten (their models stay importable).
            previous = self.app_configs
            self.app_configs = {}
            try:
                for name in app_names:
                    label = name.rpartition(".")[2]
                    if label in previous and previous[label].name == name:
                        self.app_configs[label] = previous[label]
                        continue
                    try:
                        module = importlib.import_module(name)
                    except ImportError as error:
                        if error.name and name.startswith(error.name):
                            raise ImproperlyConfigured(
                                f"app {name!r} cannot be imported ({error}); check [tool.manouche] "
                                "apps and that the project directory is on sys.path"
                            ) from error
                        raise
                    config = AppConfig(name, module, getattr(module, "app_label", None))
                    self.app_configs[config.label] = config
                    self._ever_installed.add(config.label)
                    try:
                        config.models_module = importlib.import_module(f"{name}.models")
                    except ModuleNotFoundError as error:
                        if error.name != f"{name}.models":
                            raise
                from orm import hooks

                if hooks.check_installed_models is not None:
                    hooks.check_installed_models(set(self.app_configs))
                self.ready = True
            finally:
                self._populating = False

    def ensure_ready(self) -> None:
        """Populate from the settings on first use."""
        if not self.ready and not self._populating:
            from orm.config import settings

            self.populate(settings.get().apps)

    def get_app_config(self, label: str) -> AppConfig:
        self.ensure_ready()
        try:
            return self.app_configs[label]
        except KeyError:
            raise LookupError(
                f"no installed app with label {label!r}; installed: {sorted(self.app_configs)}"
            ) from None

    def get_app_configs(self) -> list[AppConfig]:
        self.ensure_ready()
        return list(self.app_configs.values())

    def is_in_project(self, label: str) -> bool:
        """Whether models of ``label`` belong to the current project.

        An installed app does; so does a label no configuration ever installed
        (models declared ad hoc, e.g. in a script or a test, with ``Meta.app_label``).
        An app that an earlier configuration installed and the current one
        leaves out does not: deleting rows must not cascade into its tables.
        """
        return label in self.app_configs or label not in self._ever_installed

    def is_installed(self, label: str) -> bool:
        return label in self.app_configs

    def app_label_for_module(self, module_name: str) -> str:
        """The label of the installed app holding ``module_name`` (else a guess from the name)."""
        best = None
        for config in self.app_configs.values():
            if module_name == config.name or module_name.startswith(config.name + "."):
                if best is None or len(config.name) > len(best.name):
                    best = config
        if best is not None:
            return best.label
        parts = module_name.split(".")
        if len(parts) > 1 and parts[-1] == "models":
            return parts[-2]
        if len(parts) > 2 and parts[-2] == "models":
            return parts[-3]
        return parts[-1]

    # -- models -------------------------------------------------------------------

    def register_model(self, app_label: str, model: Any) -> None:
        """Add ``model``; a later class of the same name replaces the earlier one."""
        with self._lock:
            name = model._meta.model_name
            previous = self.all_models[app_label].get(name)
            if previous is not None and previous is not model:
                self.forget_relations(previous)
            self.all_models[app_label][name] = model
            for callback in self._pending.pop((app_label, name), []):
                callback(model)

    def unregister_model(self, app_label: str, model_name: str) -> None:
        """Forget a model and the reverse relations its fields put on other models."""
        with self._lock:
            model = self.all_models.get(app_label, {}).pop(model_name.lower(), None)
            if model is not None:
                self.forget_relations(model)

    def forget_relations(self, model: Any) -> None:
        """Remove the reverse relations that ``model``'s fields registered on other models.

        A replaced or rejected model class must not leave relations behind:
        deleting a target would otherwise cascade into a table that is gone.
        """
        for models in self.all_models.values():
            for other in models.values():
                opts = other._meta
                kept = [rel for rel in opts.related_objects if getattr(rel.field, "model", None) is not model]
                if len(kept) != len(opts.related_objects):
                    opts.related_objects = kept
                    opts._expire_cache()

    def get_model(self, app_label: str, model_name: str | None = None, require_ready: bool = True):
        """The model ``"app.Model"`` (or ``app_label, model_name``); ``LookupError`` if unknown."""
        if model_name is None:
            if "." not in app_label:
                raise ValueError(f"model references look like 'app_label.ModelName', got {app_label!r}")
            app_label, model_name = app_label.split(".", 1)
        if require_ready:
            self.ensure_ready()
        models = self.all_models.get(app_label)
        if models is None:
            raise LookupError(
                f"no app with label {app_label!r} has models; known apps: {sorted(self.all_models)}"
            )
        try:
            return models[model_name.lower()]
        except KeyError:
            raise LookupError(
                f"app {app_label!r} has no model {model_name!r}; its models: "
                f"{sorted(m.__name__ for m in models.values())}"
            ) from None

    def get_models(self, include_auto_created: bool = False) -> list:
        """Every registered concrete and proxy model (M2M junction models on request)."""
        self.ensure_ready()
        result = []
        for models in self.all_models.values():
            for model in models.values():
                if model._meta.auto_created and not include_auto_created:
                    continue
                result.append(model)
        return result

    def __iter__(self) -> Iterator:
        return iter(self.get_models())

    def lazy_model_operation(self, callback: Callable, app_label: str, model_name: str) -> None:
        """Call ``callback(model)`` now if the model exists, else when it is registered."""
        with self._lock:
            model = self.all_models.get(app_label, {}).get(model_name.lower())
            if model is not None:
                callback(model)
            else:
                self._pending[(app_label, model_name.lower())].append(callback)

    def pending_references(self) -> list[tuple[str, str]]:
        """Model references still waiting for their target."""
        return [key for key, callbacks in self._pending.items() if callbacks]

    def clear(self) -> None:
        """Forget every model and app (for tests)."""
        with self._lock:
            self.all_models.clear()
            self.app_configs.clear()
            self._pending.clear()
            self._ever_installed.clear()
            self.ready = False


registry = Registry()
