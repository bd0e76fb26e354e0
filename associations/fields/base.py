"""``RelatedField``: what every relation field shares (target resolution, reverse registration).

A target is a class, ``"Model"`` (same app), ``"app_label.Model"`` or ``"self"``.
String targets resolve through ``orm.registry.lazy_model_operation`` once the
model is defined; references still open are listed by
``unresolved_references()`` and reported by ``check_pending_references()``.
"""

from __future__ import annotations

import copy
from typing import Any

from orm.exceptions import ImproperlyConfigured
from orm.fields import Field
from orm.registry import registry

__all__ = [
    "RelatedField",
    "RECURSIVE_RELATIONSHIP_CONSTANT",
    "check_pending_references",
    "unresolved_references",
]

RECURSIVE_RELATIONSHIP_CONSTANT = "self"

# Fields whose target is still a string, in definition order.
_unresolved: list = []


def unresolved_references() -> list[str]:
    """``"app.Model.field -> 'target'"`` for every relation whose target never appeared."""
    return [f"{field} -> {field.remote_field.model!r}" for field in _unresolved if isinstance(field.remote_field.model, str)]


def check_pending_references(app_labels=None) -> None:
    """Raise ``ImproperlyConfigured`` naming every relation whose target model is unknown.

    With ``app_labels``, only relations declared on models of those apps (the
    installed ones) count: a test module's stray model does not break a project.
    Without, relations of every registered model of the project count.
    """
    problems = [
        field.unresolved_message()
        for field in _unresolved
        if isinstance(field.remote_field.model, str)
        and _declared_in(field, app_labels)
    ]
    if problems:
        raise ImproperlyConfigured("; ".join(problems))


def _declared_in(field, app_labels) -> bool:
    """True when ``field`` belongs to a model that is still registered in one of ``app_labels``."""
    model = getattr(field, "model", None)
    if model is None or model._meta.abstract:
        return False
    label = model._meta.app_label
    registered = registry.all_models.get(label, {}).get(model._meta.model_name)
    if registered is not model:
        return False
    if app_labels is None:
        # Models of apps an earlier configuration installed are out of the project.
        return registry.is_in_project(label)
    return label in app_labels


def split_reference(reference: str, default_app_label: str) -> tuple[str, str]:
    """``("app_label", "Model")`` for ``"app.Model"`` or ``"Model"``."""
    if "." in reference:
        app_label, _, model_name = reference.rpartition(".")
        return app_label, model_name
    return default_app_label, reference


class RelatedField(Field):
    """Base of ``ForeignKey``, ``OneToOneField`` and ``ManyToManyField``."""

    is_relation = True
    rel_class: Any = None
    descriptor_attribute: Any = None
    remote_field: Any

    # -- the per-instance cache of the related object(s) ------------------------------

    def get_cache_name(self) -> str:
        return str(self.name)

    def get_cached_value(self, instance, default: Any = ...):
        try:
            return instance._state.fields_cache[self.name]
        except KeyError:
            if default is ...:
                raise
            return default

    def set_cached_value(self, instance, value) -> None:
        instance._state.fields_cache[self.name] = value

    def fields_cache_key(self) -> str | None:
        """The key `set_cached_value` stores under in ``instance._state.fields_cache``.

        Generated row loaders store a ``select_related`` object there directly.
        ``None`` when a subclass overrides `set_cached_value` (then it is called).
        """
        if type(self).set_cached_value is RelatedField.set_cached_value:
            return self.name
        return None

    def is_cached(self, instance) -> bool:
        return self.name in instance._state.fields_cache

    def delete_cached_value(self, instance) -> None:
        instance._state.fields_cache.pop(self.name, None)

    def __init__(self, to, *, related_name=None, related_query_name=None, limit_choices_to=None, **kwargs):
        if not isinstance(to, str) and not (isinstance(to, type) and hasattr(to, "_meta")):
            raise TypeError(
                f"{type(self).__name__}: the first argument must be a model class, 'Model', "
                f"'app_label.Model' or 'self', got {to!r}"
            )
        self._related_name = related_name
        self._related_query_name = related_query_name
        self._limit_choices_to = limit_choices_to
        self._to_reference = to
        super().__init__(**kwargs)

    # -- identity ---------------------------------------------------------------------

    def __deepcopy__(self, memo):
        # Abstract models hand each child a copy: the copy needs its own reverse relation.
        obj = super().__deepcopy__(memo)
        obj.remote_field = copy.copy(self.remote_field)
        obj.remote_field.field = obj
        if isinstance(self._to_reference, str):
            obj.remote_field.model = self._to_reference
        return obj

    @property
    def related_model(self):
        """The target model class (``None`` until a string reference resolves)."""
        model = self.remote_field.model
        return None if isinstance(model, str) else model

    def _require_target(self):
        model = self.remote_field.model
        if isinstance(model, str):
            raise ImproperlyConfigured(self.unresolved_message())
        return model

    def unresolved_message(self) -> str:
        reference = self.remote_field.model
        app_label, model_name = split_reference(reference, self.model._meta.app_label)
        known = sorted(m.__name__ for m in registry.all_models.get(app_label, {}).values())
        hint = f"app {app_label!r} has models {', '.join(known)}" if known else f"no app {app_label!r} has models"
        return (
            f"{self.model._meta.object_name}.{self.name}: the related model {reference!r} was never "
            f"defined ({hint}); define it or point {type(self).__name__} at an existing model "
            "('app_label.ModelName')"
        )

    def related_label(self) -> str:
        """The target as ``"app_label.ModelName"`` (resolved or not)."""
        model = self.remote_field.model
        if isinstance(model, str):
            if model == RECURSIVE_RELATIONSHIP_CONSTANT:
                return self.model._meta.label
            app_label, model_name = split_reference(model, self.model._meta.app_label)
            return f"{app_label}.{model_name}"
        return model._meta.label

    def get_limit_choices_to(self):
        """``limit_choices_to`` (a dict or ``Q``), calling it first when it is a callable.

        As in Django it narrows only ``ForeignKey.validate()`` (and forms),
        never the queries made through the relation.
        """
        limit = self.remote_field.limit_choices_to
        return limit() if callable(limit) else limit

    # -- class set-up -----------------------------------------------------------------

    def contribute_to_class(self, cls, name: str) -> None:
        super().contribute_to_class(cls, name)
        if self.descriptor_attribute is not None:
            setattr(cls, self.name or name, self.descriptor_attribute(self))
        if cls._meta.abstract:
            return
        self.resolve_related(cls, self.remote_field.model, self._on_target_resolved, track=True)

    def resolve_related(self, cls, reference, callback, track: bool = False) -> None:
        """Call ``callback(model)`` with the model ``reference`` names, now or once it exists."""
        if isinstance(reference, str):
            if reference == RECURSIVE_RELATIONSHIP_CONSTANT:
                callback(cls)
                return
            app_label, model_name = split_reference(reference, cls._meta.app_label)
            if track:
                self.remote_field.model = f"{app_label}.{model_name}"
                _unresolved.append(self)
            registry.lazy_model_operation(callback, app_label, model_name)
        else:
            callback(reference)

    def _on_target_resolved(self, model) -> None:
        self.remote_field.model = model
        if self in _unresolved:
            _unresolved.remove(self)
        self.contribute_to_related_class(model, self.remote_field)

    def contribute_to_related_class(self, cls, related) -> None:
        """Register the reverse relation on ``cls`` and add its accessor (unless hidden)."""
        _check_clashes(self, cls, related)
        cls._meta.add_related_object(related)
        accessor = related.get_accessor_name()
        if accessor and self.reverse_descriptor_class is not None:
            setattr(cls, accessor, self.reverse_descriptor_class(related))

    reverse_descriptor_class: Any = None

    # -- checks -----------------------------------------------------------------------

    def check(self) -> list[str]:
        problems = super().check()
        related_name = self._related_name
        if related_name and not related_name.endswith("+"):
            interpolated = related_name % {"class": "x", "model_name": "x", "app_label": "x"} if "%(" in related_name else related_name
            if not interpolated.isidentifier():
                problems.append(f"{self}: related_name {related_name!r} is not a valid Python identifier")
        return problems

    # -- deconstruction ---------------------------------------------------------------

    def _relation_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"to": self.related_label() if self.model is not None else self._reference_label()}
        if self._related_name is not None:
            kwargs["related_name"] = self._related_name
        if self._related_query_name is not None:
            kwargs["related_query_name"] = self._related_query_name
        if self._limit_choices_to is not None:
            kwargs["limit_choices_to"] = self._limit_choices_to
        return kwargs

    def _reference_label(self) -> str:
        reference = self._to_reference
        if isinstance(reference, str):
            return reference
        return reference._meta.label


def _is_replaced(model) -> bool:
    current = registry.all_models.get(model._meta.app_label, {}).get(model._meta.model_name)
    return current is not None and current is not model


def _of_another_uninstalled_app(existing_model, new_model) -> bool:
    """True when ``existing_model`` is of another app that is not installed.

    Such models (a test module's, an earlier configuration's) never share a
    database with the new one, so their reverse names cannot clash with it.
    """
    label = existing_model._meta.app_label
    return label != new_model._meta.app_label and not registry.is_installed(label)


def _same_field(one, other) -> bool:
    return one.model._meta.label == other.model._meta.label and one.name == other.name


def _check_clashes(field, target, related) -> None:
    """Two relations may not give a model the same reverse accessor or query name."""
    if related.hidden:
        return
    opts = target._meta
    accessor = related.get_accessor_name()
    query_name = related.query_name
    for existing in opts.reverse_relations_named(accessor, query_name):
        if existing.hidden or _same_field(existing.field, field) or _is_replaced(existing.field.model):
            continue
        if _of_another_uninstalled_app(existing.field.model, field.model):
            continue
        if existing.get_accessor_name() == accessor or existing.query_name == query_name:
            clash = accessor if existing.get_accessor_name() == accessor else query_name
            other_model = existing.field.model._meta
            other = (
                other_model.object_name
                if other_model.app_label == field.model._meta.app_label
                else other_model.label
            )
            raise ImproperlyConfigured(
                f"{field.model._meta.object_name}.{field.name}: reverse accessor/query name "
                f"{opts.object_name}.{clash} clashes with the one of "
                f"{other}.{existing.field.name}; add or change "
                f"related_name on one of them (e.g. related_name='{field.model._meta.model_name}_{field.name}s')"
            )
    for other in [*opts.local_fields, *opts.local_many_to_many, *opts.private_fields]:
        if other.name in (accessor, query_name):
            raise ImproperlyConfigured(
                f"{field.model._meta.object_name}.{field.name}: reverse accessor "
                f"{opts.object_name}.{other.name} clashes with the field {opts.object_name}.{other.name}; "
                f"add or change related_name on {field.model._meta.object_name}.{field.name}"
            )
