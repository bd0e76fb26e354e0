"""Project and model states: what the models look like at one point of the history, as data.

A `ProjectState` maps ``(app_label, model_name_lower)`` to a `ModelState`.
States are plain data built either from the live model classes
(`ProjectState.from_registry`) or by replaying operations
(`Operation.state_forwards`). No model class is built here; only
``ProjectState.apps`` (for ``RunPython``) renders historical classes, lazily.

Operations treat model states as copy-on-write: they replace the
`ModelState` they change (`ProjectState.update_model`) instead of mutating
it, so `ProjectState.clone` is a cheap shallow copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ModelState",
    "ProjectState",
    "resolve_relation",
    "relation_target",
    "retarget_field",
    "DEFAULT_OPTIONS",
]

#: Meta options a state keeps when they differ from these defaults.
DEFAULT_OPTIONS: dict[str, Any] = {
    "db_table": None,
    "ordering": [],
    "indexes": [],
    "constraints": [],
    "unique_together": [],
    "managed": True,
    "proxy": False,
    "get_latest_by": None,
    "default_related_name": None,
    "verbose_name": None,
    "verbose_name_plural": None,
    "base_manager_name": None,
    "default_manager_name": None,
    "db_table_comment": "",
    "required_db_vendor": None,
    "select_on_save": False,
}


def resolve_relation(app_label: str, model_name: str, to: Any) -> tuple[str, str]:
    """Return ``(app_label, name_lower)`` of a relation target given as a class or a string.

    ``"self"`` is the model itself, ``"Model"`` a model of the same app,
    ``"app.Model"`` a model of another app.
    """
    if not isinstance(to, str):
        opts = to._meta
        return opts.app_label, opts.model_name
    if to == "self":
        return app_label, model_name.lower()
    if "." in to:
        target_app, target_name = to.split(".", 1)
        return target_app, target_name.lower()
    return app_label, to.lower()


def relation_target(field: Any) -> Any:
    """The ``to`` of a relation field (class or string), or None for plain fields."""
    if not getattr(field, "is_relation", False):
        return None
    remote = getattr(field, "remote_field", None)
    target = getattr(remote, "model", None) if remote is not None else None
    if target is None:
        target = field.deconstruct()[3].get("to")
    return target


def through_target(field: Any) -> Any:
    """The ``through`` of a many-to-many field when the user gave one, else None."""
    remote = getattr(field, "remote_field", None)
    through = getattr(remote, "through", None) if remote is not None else None
    if through is None:
        return field.deconstruct()[3].get("through")
    if not isinstance(through, str) and getattr(through._meta, "auto_created", False):
        return None
    return through


def retarget_field(field: Any, **changes: Any) -> Any:
    """A fresh unbound copy of ``field`` with some constructor keyword arguments changed."""
    _name, _path, args, kwargs = field.deconstruct()
    kwargs.update(changes)
    return type(field)(*args, **kwargs)


def _copy_option(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


@dataclass
class ModelState:
    """One model as data: app, name, unbound fields, non-default Meta options, bases."""

    app_label: str
    name: str
    fields: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    bases: tuple = ("orm.Model",)
    managers: list[tuple[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.fields, (list, tuple)):
            self.fields = dict(self.fields)
        self.bases = tuple(self.bases)

    @property
    def name_lower(self) -> str:
        """The model name lowercased, as in keys and references."""
        return self.name.lower()

    @property
    def label(self) -> str:
        """``"app.Model"``."""
        return f"{self.app_label}.{self.name}"

    @property
    def db_table(self) -> str:
        """The table name: ``options["db_table"]`` or ``<app_label>_<name_lower>``."""
        return self.options.get("db_table") or f"{self.app_label}_{self.name_lower}"

    @property
    def is_proxy(self) -> bool:
        return bool(self.options.get("proxy"))

    @property
    def has_table(self) -> bool:
        """Whether migrations manage a table for this model (not proxy, not unmanaged)."""
        return not self.options.get("proxy") and self.options.get("managed", True)

    @classmethod
    def from_model(cls, model: Any) -> ModelState:
        """The state of a live model class (fields rebuilt from ``deconstruct()``)."""
        opts = model._meta
        fields: dict[str, Any] = {}
        if not opts.proxy:
            for model_field in [*opts.local_fields, *opts.local_many_to_many]:
                fields[model_field.name] = model_field.clone()
        options: dict[str, Any] = {}
        for key, value in opts.original_attrs.items():
            if key in ("app_label", "abstract", "auto_created") or key not in DEFAULT_OPTIONS:
                continue
            options[key] = value
        for key in ("ordering", "unique_together"):
            value = getattr(opts, key)
            if value:
                options[key] = [tuple(item) for item in value] if key == "unique_together" else list(value)
        if opts.proxy:
            options["proxy"] = True
        if not opts.managed:
            options["managed"] = False
        indexes = []
        for index in opts.indexes:
            clone = index.clone()
            if not clone.name:
                clone.set_name_with_model(model)
            indexes.append(clone)
        if indexes:
            options["indexes"] = indexes
        if opts.constraints:
            options["constraints"] = [constraint.clone() for constraint in opts.constraints]
        for key in ("verbose_name", "verbose_name_plural"):
            if key in options and key not in opts.original_attrs:
                del options[key]
        bases: tuple = ("orm.Model",)
        if opts.proxy:
            bases = (opts.proxy_for_model._meta.label,)
        managers = [
            (manager.name, manager)
            for manager in opts.managers
            if getattr(manager, "use_in_migrations", False)
        ]
        return cls(opts.app_label, opts.object_name, fields, options, bases, managers)

    def clone(self) -> ModelState:
        """A copy sharing the (immutable by convention) field instances."""
        return ModelState(
            self.app_label,
            self.name,
            dict(self.fields),
            {key: _copy_option(value) for key, value in self.options.items()},
            self.bases,
            list(self.managers),
        )

    def get_field(self, name: str) -> Any:
        """The field called ``name`` (``"pk"`` is the primary key); KeyError naming the model."""
        if name == "pk":
            name = self.pk_name()
        try:
            return self.fields[name]
        except KeyError:
            raise KeyError(
                f"model {self.label} has no field {name!r} in the migration state; "
                f"fields: {', '.join(self.fields) or '(none)'}"
            ) from None

    def pk_name(self) -> str:
        """The name of the primary key field (``id`` when none is marked)."""
        for name, state_field in self.fields.items():
            if getattr(state_field, "primary_key", False):
                return name
        return "id"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelState):
            return NotImplemented
        return comparable(self) == comparable(other)

    __hash__ = None  # type: ignore[assignment]


def comparable(value: Any) -> Any:
    """A structure of plain values for comparing states and operations."""
    if isinstance(value, ModelState):
        return (
            value.app_label,
            value.name,
            # Field order is not compared (as Django): a field that closes a foreign-key
            # cycle is added after its model is created, so the history orders it last.
            sorted((name, comparable(item)) for name, item in value.fields.items()),
            sorted((key, comparable(item)) for key, item in value.options.items()),
            tuple(value.bases),
        )
    if isinstance(value, (list, tuple)):
        return [comparable(item) for item in value]
    if isinstance(value, dict):
        return sorted((str(key), comparable(item)) for key, item in value.items())
    if isinstance(value, (set, frozenset)):
        return sorted(repr(comparable(item)) for item in value)
    deconstruct = getattr(value, "deconstruct", None)
    if deconstruct is not None and not isinstance(value, type):
        parts = deconstruct()
        if len(parts) == 4:  # a field: (name, path, args, kwargs)
            parts = parts[1:]
        return [type(value).__name__, comparable(list(parts))]
    return value


@dataclass
class ProjectState:
    """Every model of the project at one point of the migration history."""

    models: dict[tuple[str, str], ModelState] = field(default_factory=dict)
    real_apps: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._apps: Any = None

    @classmethod
    def from_models(cls, models: Any) -> ProjectState:
        """The state of the given live model classes (auto-created junction models skipped)."""
        state = cls()
        for model in models:
            opts = model._meta
            if opts.abstract or getattr(opts, "auto_created", False):
                continue
            state.add_model(ModelState.from_model(model))
        return state

    @classmethod
    def from_registry(cls, registry: Any = None, app_labels: Any = None) -> ProjectState:
        """The state of the installed models (optionally only of ``app_labels``)."""
        if registry is None:
            from orm.registry import registry as default_registry

            registry = default_registry
        registry.ensure_ready()
        if app_labels is None:
            # Models of apps that are not installed (left over from another
            # configuration) are not part of the project.
            app_labels = {config.label for config in registry.get_app_configs()}
        models = [
            model
            for model in registry.get_models()
            if app_labels is None or model._meta.app_label in app_labels
        ]
        return cls.from_models(models)

    # -- models ------------------------------------------------------------------

    def add_model(self, model_state: ModelState) -> None:
        """Add (or replace) a model state."""
        self.models[(model_state.app_label, model_state.name_lower)] = model_state
        self._apps = None

    def remove_model(self, app_label: str, model_name: str) -> None:
        """Remove a model state (KeyError naming it if absent)."""
        self.get_model(app_label, model_name)
        del self.models[(app_label, model_name.lower())]
        self._apps = None

    def get_model(self, app_label: str, model_name: str) -> ModelState:
        """The state of ``app_label.model_name``; KeyError naming the model if absent."""
        try:
            return self.models[(app_label, model_name.lower())]
        except KeyError:
            known = sorted(f"{app}.{state.name}" for (app, _), state in self.models.items()
                           if app == app_label)
            raise KeyError(
                f"model {app_label}.{model_name} is not in the migration state "
                f"(models of {app_label!r}: {', '.join(known) or 'none'})"
            ) from None

    def has_model(self, app_label: str, model_name: str) -> bool:
        return (app_label, model_name.lower()) in self.models

    def update_model(self, app_label: str, model_name: str) -> ModelState:
        """Replace the state of a model by a clone and return it, ready to be changed."""
        model_state = self.get_model(app_label, model_name).clone()
        self.models[(app_label, model_state.name_lower)] = model_state
        self._apps = None
        return model_state

    def rename_model(self, app_label: str, old_name: str, new_name: str) -> None:
        """Rename a model and repoint every relation field that targets it."""
        old_state = self.get_model(app_label, old_name)
        renamed = old_state.clone()
        renamed.name = new_name
        del self.models[(app_label, old_name.lower())]
        self.models[(app_label, new_name.lower())] = renamed
        old_key = (app_label, old_name.lower())
        new_label = f"{app_label}.{new_name}"
        for key, model_state in list(self.models.items()):
            changed: dict[str, Any] = {}
            for field_name, state_field in model_state.fields.items():
                changes = {}
                to = relation_target(state_field)
                if to is not None and resolve_relation(
                    model_state.app_label, old_name if key == (app_label, new_name.lower())
                    else model_state.name, to
                ) == old_key:
                    changes["to"] = new_label
                through = through_target(state_field) if to is not None else None
                if through is not None and resolve_relation(
                    model_state.app_label, model_state.name, through
                ) == old_key:
                    changes["through"] = new_label
                if changes:
                    changed[field_name] = retarget_field(state_field, **changes)
            base_change = old_state.label in model_state.bases
            if changed or base_change:
                updated = self.update_model(*key)
                updated.fields.update(changed)
                if base_change:
                    updated.bases = tuple(
                        new_label if base == old_state.label else base for base in updated.bases
                    )
        self._apps = None

    def related_models(self, app_label: str, model_name: str) -> list[ModelState]:
        """Model states with a relation field pointing at ``app_label.model_name``."""
        key = (app_label, model_name.lower())
        result = []
        for model_state in self.models.values():
            for state_field in model_state.fields.values():
                to = relation_target(state_field)
                if to is not None and resolve_relation(
                    model_state.app_label, model_state.name, to
                ) == key:
                    result.append(model_state)
                    break
        return result

    def clone(self) -> ProjectState:
        """A shallow copy: model states are shared until an operation replaces them."""
        state = ProjectState(dict(self.models), set(self.real_apps))
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectState):
            return NotImplemented
        return self.models.keys() == other.models.keys() and all(
            self.models[key] == other.models[key] for key in self.models
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def apps(self) -> Any:
        """A registry of historical model classes for ``RunPython``, built on first use."""
        if self._apps is None:
            from .historical import StateApps

            self._apps = StateApps(self)
        return self._apps

    def __deepcopy__(self, memo: dict) -> ProjectState:
        state = ProjectState(
            {key: value.clone() for key, value in self.models.items()}, set(self.real_apps)
        )
        memo[id(self)] = state
        return state

