"""Attribute access through relations: ``post.author``, ``post.author_id``, ``author.posts``.

Forward descriptors load the related object lazily (one query on first
access) and cache it in ``instance._state.fields_cache``; reverse descriptors
hand out related managers (``associations.managers``) or, for one-to-one, the
single related object.
"""

from __future__ import annotations

import keyword
from functools import cached_property
from typing import Any

from orm.fields import DeferredAttribute
from orm.query.row_factory import LOADED_RELATED_PREFIX, NOT_LOADED
from orm.routers import router

__all__ = [
    "ForeignKeyDeferredAttribute",
    "ForwardManyToOneDescriptor",
    "ForwardOneToOneDescriptor",
    "ReverseOneToOneDescriptor",
    "ReverseManyToOneDescriptor",
    "ManyToManyDescriptor",
]


class ForeignKeyDeferredAttribute(DeferredAttribute):
    """``post.author_id``: the key value; loads it once when deferred.

    Not a data descriptor, so loaded values stay inline in the instance (no
    ``__dict__`` per row). Changing the value therefore cannot drop the cached
    ``post.author`` here: readers of that cache check it against the current
    key instead (``ForeignKey.cache_is_current``).
    """

    field: Any


# Also what a model class holds under the name of an object a loader did not leave.
_MISSING = NOT_LOADED


def _read_database(instance, model) -> str:
    """Where ``instance``'s related ``model`` rows are read: the routers' answer with the
    instance as hint, else the instance's database (Django's instance hint)."""
    return router.db_for_read(model, instance=instance)


class ForwardManyToOneDescriptor(property):
    """``post.author``: the related object, loaded once and cached.

    A ``property`` whose getter is `_get` (then the generated getter, see
    `_use_generated_get`): reading ``post.author`` calls it from C, which
    costs about two thirds of what a ``__get__`` written in Python costs
    (CPython looks that method up and enters it through a generic call).
    Assigning and deleting go through ``__set__`` as before. A subclass may
    still define its own ``__get__``.
    """

    def __init__(self, field):
        super().__init__(self._get, self._assign, None, type(self).__doc__)
        self.field = field
        # Read on every access: plain attributes, not the field's properties.
        self.cache_name = field.name
        self.attname = field.attname
        self.loaded_name = f"{LOADED_RELATED_PREFIX}{field.name}"
        self.null = field.null
        self._target = (None, None)

    @cached_property
    def RelatedObjectDoesNotExist(self):  # noqa: N802 - Django's name for it
        model = self.field.related_model
        return type(
            "RelatedObjectDoesNotExist",
            (model.DoesNotExist, AttributeError),
            {"__module__": self.field.model.__module__, "__qualname__": f"{self.field.model.__qualname__}.{self.field.name}.RelatedObjectDoesNotExist"},
        )

    def is_cached(self, instance) -> bool:
        return self.field.is_cached(instance)

    def get_queryset(self, **hints):
        return self.field.related_model._base_manager.get_queryset()

    def get_prefetch_querysets(self, instances, querysets=None):
        """The prefetch protocol (see ``associations.prefetch``): one ``IN`` query for all targets."""
        field = self.field
        target = field.target_field
        queryset = querysets[0] if querysets else self.get_queryset()
        queryset = queryset.using(queryset._db or _read_database(instances[0], field.related_model))
        values = {getattr(instance, field.attname) for instance in instances} - {None}
        queryset = queryset.filter(**{f"{target.attname}__in": sorted(values, key=repr)})
        return (
            queryset,
            lambda obj: getattr(obj, target.attname),
            lambda instance: getattr(instance, field.attname),
            True,
            field.get_cache_name(),
            False,
        )

    def get_object(self, instance):
        field = self.field
        value = getattr(instance, field.attname)  # loads a deferred key column
        if value is None:
            return None
        queryset = self.get_queryset().using(_read_database(instance, field.related_model))
        return queryset.get(**{field.target_field.attname: value})

    def target_attname(self) -> str:
        """``field.target_field.attname``, remembered for the target model it was read from."""
        model, attname = self._target
        target_model = self.field.remote_field.model
        if model is not target_model:
            attname = self.field.target_field.attname
            self._target = (target_model, attname)
            _use_generated_get(self, attname)
        return attname

    def _get(self, instance):
        """``instance.<name>``: the property's getter until the generated one replaces it."""
        # An object a select_related loader left beside the values (orm/query/row_factory.py),
        # else the state's cache; either is used while it matches the key.
        related = getattr(instance, self.loaded_name, _MISSING)
        if related is _MISSING:
            related = instance._state.fields_cache.get(self.cache_name, _MISSING)
        if related is None:
            if self.null and getattr(instance, self.attname) is None:
                return None
        elif related is not _MISSING:
            model, target = self._target
            if model is self.field.remote_field.model and getattr(related, target) == getattr(
                instance, self.attname
            ):
                return related
        return self._get_checked(instance)

    def _get_checked(self, instance):
        """``__get__`` beyond a current cached object: ``None``, a changed key, a query."""
        field = self.field
        cache = instance._state.fields_cache
        related = cache.get(field.name, _MISSING)
        if related is _MISSING or (
            # Fast check first: the cached object's key equals the instance's key.
            (None if related is None else getattr(related, self.target_attname())) != getattr(instance, field.attname)
            and not field.cache_is_current(instance, related)
        ):
            field._require_target()
            related = self.get_object(instance)
            cache[field.name] = related
            remote = getattr(field, "set_remote_cached_value", None)
            if related is not None and remote is not None:
                remote(related, instance)
        if related is None and not field.null:
            raise self.RelatedObjectDoesNotExist(
                f"{type(instance).__name__} has no {field.name} ({field.attname} is None)"
            )
        return related

    def _assign(self, instance, value) -> None:
        """The property's setter (``fset``), for code that calls it: what ``__set__`` does."""
        self.__set__(instance, value)

    def __set__(self, instance, value) -> None:
        field = self.field
        if value is not None:
            field.check_related_instance(value)
            router.relate(value, instance)
        cache = instance._state.fields_cache
        previous = cache.get(field.name)
        if value is None:
            if previous is not None and field.one_to_one:
                field.remote_field.set_cached_value(previous, None)
            instance.__dict__[field.attname] = None
        else:
            instance.__dict__[field.attname] = key = getattr(value, field.target_field.attname)
            if field.one_to_one:
                field.remote_field.set_cached_value(value, instance)
            field.remember_unsaved(instance, value if key is None else None)
        cache[field.name] = value


class ForwardOneToOneDescriptor(ForwardManyToOneDescriptor):
    """``profile.user``: as a foreign key, and the target learns its reverse object."""


_GENERATED_GET = """
def get(instance):
    related = instance.{loaded}
    if related is MISSING:
        related = instance._state.fields_cache.get({cache!r}, MISSING)
    if related is None:
        if {null} and instance.{attname} is None:
            return None
    elif related is not MISSING and related.{target} == instance.{attname}:
        return related
    return descriptor._get_checked(instance)
"""


def _use_generated_get(descriptor, target_attname: str) -> None:
    """Give ``descriptor`` a getter written for its field's names, once its target is known.

    It does what `ForwardManyToOneDescriptor._get` does, with the names as
    constants: attribute reads that CPython specialises instead of
    ``getattr()`` calls, about a third of the instructions of a cached
    ``post.author``. Subclasses of the stock classes and names that are not
    plain identifiers keep the general getter. A resolved relation's target
    never changes (``_on_target_resolved`` runs once per field), so the
    target's attname is a constant too.
    """
    names = (descriptor.loaded_name, descriptor.cache_name, descriptor.attname, target_attname)
    if (
        type(descriptor) not in (ForwardManyToOneDescriptor, ForwardOneToOneDescriptor)
        or not all(name.isidentifier() and not keyword.iskeyword(name) for name in names)
        # The model's class attribute makes the read of the loaded name safe (prepare_model).
        or getattr(descriptor.field.model, descriptor.loaded_name, None) is not NOT_LOADED
    ):
        return
    source = _GENERATED_GET.format(
        loaded=descriptor.loaded_name, cache=descriptor.cache_name, attname=descriptor.attname,
        target=target_attname, null=bool(descriptor.null),
    )
    namespace: dict[str, Any] = {"MISSING": _MISSING, "descriptor": descriptor}
    filename = f"<{type(descriptor).__name__} for {descriptor.cache_name}>"
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    # property.__init__ again: the same object (held by the model class and by
    # anything that read it) with another getter; its setter and doc are kept.
    property.__init__(descriptor, namespace["get"], descriptor.fset, None, descriptor.__doc__)


class ReverseOneToOneDescriptor:
    """``user.profile``: the one related object, or ``<Related>.DoesNotExist``."""

    def __init__(self, related):
        self.related = related

    @cached_property
    def RelatedObjectDoesNotExist(self):  # noqa: N802 - Django's name for it
        model = self.related.related_model
        return type(
            "RelatedObjectDoesNotExist",
            (model.DoesNotExist, AttributeError),
            {"__module__": model.__module__},
        )

    def is_cached(self, instance) -> bool:
        return self.related.is_cached(instance)

    def get_queryset(self, **hints):
        return self.related.related_model._base_manager.get_queryset()

    def get_prefetch_querysets(self, instances, querysets=None):
        field = self.related.field
        target = field.target_field
        queryset = querysets[0] if querysets else self.get_queryset()
        queryset = queryset.using(queryset._db or _read_database(instances[0], field.model))
        values = {getattr(instance, target.attname) for instance in instances} - {None}
        by_value = {getattr(instance, target.attname): instance for instance in instances}
        queryset = queryset.filter(**{f"{field.attname}__in": sorted(values, key=repr)})
        queryset._known_related_objects = {field: by_value}
        return (
            queryset,
            lambda obj: getattr(obj, field.attname),
            lambda instance: getattr(instance, target.attname),
            True,
            self.related.get_cache_name(),
            False,
        )

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        related = self.related
        cache = instance._state.fields_cache
        name = related.get_cache_name()
        try:
            value = cache[name]
        except KeyError:
            field = related.field
            key = getattr(instance, field.target_field.attname)
            value = None
            if key is not None:
                queryset = self.get_queryset().using(_read_database(instance, related.related_model))
                try:
                    value = queryset.get(**{field.attname: key})
                except related.related_model.DoesNotExist:
                    value = None
                else:
                    field.set_cached_value(value, instance)
            cache[name] = value
        if value is None:
            raise self.RelatedObjectDoesNotExist(
                f"{type(instance).__name__} has no {related.get_accessor_name()}"
            )
        return value

    def __set__(self, instance, value) -> None:
        related = self.related
        field = related.field
        if value is None:
            previous = related.get_cached_value(instance, None)
            if previous is not None:
                setattr(previous, field.name, None)
            related.set_cached_value(instance, None)
            return
        related.check_related_instance(value)
        router.relate(value, instance)
        value.__dict__[field.attname] = getattr(instance, field.target_field.attname)
        field.set_cached_value(value, instance)
        related.set_cached_value(instance, value)


class ReverseManyToOneDescriptor:
    """``author.posts``: a manager of the ``Post`` rows pointing at this author."""

    def __init__(self, related):
        self.related = related

    @cached_property
    def related_manager_class(self):
        from associations.managers import create_reverse_many_to_one_manager

        model = self.related.related_model
        return create_reverse_many_to_one_manager(type(model._default_manager), self.related)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.related_manager_class(instance)

    def __set__(self, instance, value) -> None:
        raise TypeError(
            f"Direct assignment to the reverse side of {self.related.field} is prohibited; "
            f"use {self.related.get_accessor_name()}.set() instead"
        )


class ManyToManyDescriptor:
    """``post.tags`` / ``tag.post_set``: a manager over the junction table."""

    def __init__(self, related, reverse: bool = False):
        self.related = related
        self.reverse = reverse
        self.field = related.field

    @property
    def through(self):
        """The junction model (``Post.tags.through``)."""
        return self.related.through

    @cached_property
    def related_manager_class(self):
        from associations.managers import create_many_to_many_manager

        model = self.related.related_model if self.reverse else self.related.model
        return create_many_to_many_manager(type(model._default_manager), self.related, self.reverse)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.related_manager_class(instance)

    def __set__(self, instance, value) -> None:
        name = self.related.get_accessor_name() if self.reverse else self.field.name
        raise TypeError(
            f"Direct assignment to {type(instance).__name__}.{name} (a many-to-many set) is "
            f"prohibited; use {name}.set() instead"
        )
