"""Historical model classes rendered from a `ProjectState`, for ``RunPython`` only.

``apps.get_model("blog", "Post")`` builds the class of ``blog.Post`` as the
state describes it (and the models its relations point at, and those pointing
at it), once per state, on first use. The classes never enter the live registry: while one is
built, the registry's model tables are swapped for this registry's own, so
string references (``"blog.Author"``) resolve among historical classes.
"""

from __future__ import annotations

from typing import Any

from .state import ProjectState, relation_target, resolve_relation, through_target

__all__ = ["StateApps", "HistoricalModelMixin"]

_META_OPTIONS = (
    "ordering",
    "unique_together",
    "managed",
    "proxy",
    "get_latest_by",
    "default_related_name",
    "verbose_name",
    "verbose_name_plural",
)


class StateApps:
    """A registry of historical models for one `ProjectState`."""

    def __init__(self, state: ProjectState, using: str | None = None) -> None:
        self.state = state
        self.using = using
        self._all_models: dict[str, dict[str, Any]] = {}
        self._pending: dict[tuple[str, str], list] = {}
        self._rendering: set[tuple[str, str]] = set()
        self._referrers_by_target: dict[tuple[str, str], list[tuple[str, str]]] | None = None

    def bind(self, connection: Any) -> StateApps:
        """This registry, with managers reading from ``connection``'s alias."""
        alias = getattr(connection, "alias", None)
        if alias and alias != self.using:
            self.using = alias
            for models in self._all_models.values():
                for model in models.values():
                    self._point_managers(model)
        return self

    def get_model(self, app_label: str, model_name: str | None = None) -> Any:
        """The historical class of ``app_label.model_name`` (or ``"app.Model"``)."""
        if model_name is None:
            app_label, model_name = app_label.split(".", 1)
        key = (app_label, model_name.lower())
        if key not in self.state.models:
            raise LookupError(
                f"model {app_label}.{model_name} is not in the migration state at this point; "
                "add a dependency on the migration that creates it"
            )
        model = self._all_models.get(app_label, {}).get(key[1])
        if model is None:
            model = self._render(key)
        return model

    def get_models(self) -> list:
        """Every model of the state, rendered."""
        return [self.get_model(app, name) for app, name in list(self.state.models)]

    def _render(self, key: tuple[str, str]) -> Any:
        import orm
        from orm.registry import registry

        model_state = self.state.models[key]
        bases: tuple = (HistoricalModelMixin, orm.Model)
        if model_state.is_proxy:
            parent = resolve_relation(model_state.app_label, model_state.name, model_state.bases[0])
            bases = (self.get_model(*parent),)
        self._rendering.add(key)
        meta: dict[str, Any] = {"app_label": model_state.app_label}
        if not model_state.is_proxy:
            meta["db_table"] = model_state.db_table
        for option in _META_OPTIONS:
            if option in model_state.options:
                meta[option] = model_state.options[option]
        for option in ("indexes", "constraints"):
            if model_state.options.get(option):
                meta[option] = [item.clone() for item in model_state.options[option]]
        attrs: dict[str, Any] = {
            "__module__": f"__historical__.{model_state.app_label}",
            "Meta": type("Meta", (), meta),
        }
        for name, field in model_state.fields.items():
            attrs[name] = field.clone()
        for name, manager in model_state.managers:
            attrs[name] = manager
        with registry._lock:
            saved = (registry.all_models, registry._pending)
            registry.all_models = _DefaultDict(self._all_models)
            registry._pending = _PendingDict(self._pending)
            try:
                model = type(model_state.name, bases, attrs)
            finally:
                registry.all_models, registry._pending = saved
        self._point_managers(model)
        for target_key in self._targets(key):
            if target_key not in self._rendering and target_key in self.state.models:
                self.get_model(*target_key)
        # The models pointing here too: deleting a row must cascade to them (as in Django,
        # where every model of the state is rendered).
        for referrer in self._referrers().get(key, ()):
            if referrer not in self._rendering:
                self.get_model(*referrer)
        return model

    def _targets(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """The models ``key``'s relations (and many-to-many through models) point at."""
        model_state = self.state.models[key]
        targets = []
        for field in model_state.fields.values():
            for target in (relation_target(field), through_target(field)):
                if target is not None:
                    targets.append(
                        resolve_relation(model_state.app_label, model_state.name, target)
                    )
        return targets

    def _referrers(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """``{model: models with a relation to it}``, worked out once per registry."""
        if self._referrers_by_target is None:
            found: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for key in self.state.models:
                for target_key in self._targets(key):
                    if target_key != key:
                        found.setdefault(target_key, []).append(key)
            self._referrers_by_target = found
        return self._referrers_by_target

    def _point_managers(self, model: Any) -> None:
        if self.using is None:
            return
        model._migration_alias = self.using
        for manager in model._meta.managers:
            manager._db = self.using


class HistoricalModelMixin:
    """Writes of historical instances go to the migrating database, not where routers point.

    ``RunPython`` runs against one database; a ``Note(text="x").save()`` in it
    must land there even when the project's routers send ``Note`` writes
    elsewhere (Django's trap: it follows the routers).
    """

    _migration_alias: str | None = None

    def save(self, *args: Any, using: str | None = None, **kwargs: Any) -> None:
        super().save(*args, using=using or self._migration_alias, **kwargs)  # type: ignore[misc]

    def delete(self, using: str | None = None, **kwargs: Any) -> Any:
        return super().delete(using=using or self._migration_alias, **kwargs)  # type: ignore[misc]


class _DefaultDict(dict):
    """A view over a plain dict that creates missing app tables (as the registry's defaultdict)."""

    def __init__(self, backing: dict) -> None:
        super().__init__()
        self.backing = backing

    def __getitem__(self, key: str) -> dict:
        return self.backing.setdefault(key, {})

    def get(self, key: str, default: Any = None) -> Any:
        return self.backing.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.backing

    def items(self):  # type: ignore[override]
        return self.backing.items()

    def values(self):  # type: ignore[override]
        return self.backing.values()

    def keys(self):  # type: ignore[override]
        return self.backing.keys()

    def __iter__(self):
        return iter(self.backing)


class _PendingDict(_DefaultDict):
    """Pending lazy operations of the historical registry."""

    def __getitem__(self, key: Any) -> list:  # type: ignore[override]
        return self.backing.setdefault(key, [])

    def pop(self, key: Any, *default: Any) -> Any:
        return self.backing.pop(key, *default)
