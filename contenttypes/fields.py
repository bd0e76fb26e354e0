"""``GenericForeignKey``: a foreign key to any model, stored as a content type and an object id."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from contenttypes.object_ids import to_object_id, to_primary_key
from orm.exceptions import FieldDoesNotExist, ImproperlyConfigured, ObjectDoesNotExist
from orm.model import Model
from orm.options import closest_names
from orm.routers import router

__all__ = ["GenericForeignKey", "content_type_manager", "is_content_type_reference"]

_MISSING = object()


def content_type_manager(using: str | None):
    """``ContentType.objects`` on database ``using``."""
    from contenttypes.models import ContentType

    return ContentType.objects.db_manager(using)


def is_content_type_reference(target) -> bool:
    """Whether a relation target (class or ``"app.Model"`` string) is ``ContentType``."""
    if isinstance(target, str):
        return target.lower() in ("contenttypes.contenttype", "contenttype")
    opts = getattr(target, "_meta", None)
    return opts is not None and opts.label_lower == "contenttypes.contenttype"


def _relation_target(field):
    remote = getattr(field, "remote_field", None)
    target = getattr(remote, "model", None) if remote is not None else None
    return target if target is not None else getattr(field, "related_model", None)


class GenericForeignKey:
    """A foreign key to any model: ``content_object = GenericForeignKey("content_type", "object_id")``.

    ``ct_field`` names a ``ForeignKey`` to ``ContentType`` and ``fk_field`` the
    field holding the target's primary key. Assigning an instance sets both;
    ``None`` clears both; reading fetches the target once and caches it
    (``None`` when the row or its model is gone).
    """

    auto_created = False
    concrete = False
    editable = False
    hidden = False
    is_relation = True
    many_to_many = False
    many_to_one = True
    one_to_many = False
    one_to_one = False
    related_model = None
    remote_field = None
    column = None
    primary_key = False
    null = True
    blank = True
    serialize = False
    # Its prefetch gives objects of several models: a nested lookup runs per model.
    prefetches_several_models = True

    def __init__(self, ct_field: str = "content_type", fk_field: str = "object_id", for_concrete_model: bool = True):
        self.ct_field = ct_field
        self.fk_field = fk_field
        self.for_concrete_model = for_concrete_model
        self.name: str | None = None
        self.attname: str | None = None
        self.model: Any = None
        self._resolved: tuple | None = None

    def __repr__(self) -> str:
        return f"<contenttypes.GenericForeignKey: {self.name}>"

    def __str__(self) -> str:
        if self.model is not None:
            return f"{self.model._meta.label}.{self.name}"
        return str(self.name)

    @property
    def cache_name(self) -> str:
        return self.name  # type: ignore[return-value]

    def get_cache_name(self) -> str:
        return self.cache_name

    def _key_cache_name(self) -> str:
        return f"{self.name}:key"

    # -- class set-up -------------------------------------------------------------

    def contribute_to_class(self, cls, name: str, private_only: bool = False) -> None:
        """Bind to ``cls`` as a private field and register the ``filter(<name>=obj)`` hook."""
        from contenttypes.filtering import filter_generic_foreign_key

        self.name = self.attname = name
        self.model = cls
        self._resolved = None
        cls._meta.add_field(self, private=True)
        setattr(cls, name, self)
        hooks = dict(getattr(cls, "_filter_hooks", None) or {})
        hooks[name] = filter_generic_foreign_key
        cls._filter_hooks = hooks

    def check(self) -> list[str]:
        """Problems with this definition (missing fields, a content type field that is no FK to ContentType)."""
        if self.model is None or self.model._meta.abstract:
            return []
        opts = self.model._meta
        problems = []
        choices = [f.name for f in opts.concrete_fields]
        try:
            fk = opts.get_field(self.fk_field)
        except FieldDoesNotExist:
            problems.append(
                f"{self}: the object id field {self.fk_field!r} does not exist on "
                f"{opts.object_name}; add it (e.g. {self.fk_field} = orm.PositiveBigIntegerField()) "
                f"or name an existing field with fk_field= (fields: {', '.join(closest_names(self.fk_field, choices))})"
            )
        else:
            if not getattr(fk, "concrete", False) or not getattr(fk, "column", None) or fk.is_relation:
                problems.append(
                    f"{self}: the object id field {self.fk_field!r} of {opts.object_name} must be a "
                    "plain column (an integer, UUID or char field), not a relation"
                )
        try:
            ct = opts.get_field(self.ct_field)
        except FieldDoesNotExist:
            problems.append(
                f"{self}: the content type field {self.ct_field!r} does not exist on "
                f"{opts.object_name}; add {self.ct_field} = orm.ForeignKey(ContentType, "
                "on_delete=orm.CASCADE) or name an existing field with ct_field= "
                f"(fields: {', '.join(closest_names(self.ct_field, choices))})"
            )
        else:
            if not (getattr(ct, "is_relation", False) and getattr(ct, "many_to_one", False)) or not (
                is_content_type_reference(_relation_target(ct))
            ):
                problems.append(
                    f"{self}: the content type field {opts.object_name}.{self.ct_field} is not a "
                    "ForeignKey to contenttypes.ContentType; declare it as "
                    f"{self.ct_field} = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)"
                )
        return problems

    def resolve_fields(self) -> tuple:
        """``(content type field, object id field)``; ``ImproperlyConfigured`` if misconfigured."""
        resolved = self._resolved
        if resolved is None:
            problems = self.check()
            if problems:
                raise ImproperlyConfigured("; ".join(problems))
            opts = self.model._meta
            resolved = self._resolved = (opts.get_field(self.ct_field), opts.get_field(self.fk_field))
        return resolved

    # -- content types ------------------------------------------------------------

    def get_content_type(self, obj=None, id=None, using=None):  # noqa: A002 - Django's name
        """The content type of ``obj`` (a model instance) or with primary key ``id``."""
        if obj is not None:
            return content_type_manager(obj._state.db or using).get_for_model(
                obj, for_concrete_model=self.for_concrete_model
            )
        if id is not None:
            return content_type_manager(using).get_for_id(id)
        raise ValueError(f"{self}: get_content_type() needs obj= or id=")

    def _target_for(self, instance, ct_id, object_id):
        using = instance._state.db or router.db_for_read(self.model, instance=instance)
        try:
            content_type = content_type_manager(using).get_for_id(ct_id)
        except ObjectDoesNotExist:
            return None
        model = content_type.model_class()
        if model is None:
            return None
        try:
            pk = to_primary_key(model, object_id)
        except ValueError:
            return None
        try:
            return model._base_manager.using(using).get(pk=pk)
        except ObjectDoesNotExist:
            return None

    # -- descriptor ---------------------------------------------------------------

    def is_cached(self, instance) -> bool:
        return self.name in instance._state.fields_cache

    def get_cached_value(self, instance, default=_MISSING):
        value = instance._state.fields_cache.get(self.name, default)
        if value is _MISSING:
            raise KeyError(self.name)
        return value

    def set_cached_value(self, instance, value) -> None:
        instance._state.fields_cache[self.name] = value

    def delete_cached_value(self, instance) -> None:
        instance._state.fields_cache.pop(self.name, None)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        ct_field, fk_field = self.resolve_fields()
        ct_id = getattr(instance, ct_field.attname)
        object_id = getattr(instance, fk_field.attname)
        cache = instance._state.fields_cache
        key = (ct_id, object_id)
        cached = cache.get(self.name, _MISSING)
        if cached is not _MISSING and cache.get(self._key_cache_name()) == key:
            return cached
        if ct_id is None or object_id is None:
            target = None
        else:
            target = self._target_for(instance, ct_id, object_id)
        cache[self.name] = target
        cache[self._key_cache_name()] = key
        return target

    def __set__(self, instance, value) -> None:
        ct_field, fk_field = self.resolve_fields()
        if value is None:
            content_type, object_id = None, None
        else:
            if not isinstance(value, Model):
                raise TypeError(
                    f"{self}: expected a saved model instance or None, got {type(value).__name__} {value!r}"
                )
            if value._state.adding or value.pk is None:
                raise ValueError(
                    f"{self}: cannot point at an unsaved {type(value).__name__} instance; "
                    "save() it first"
                )
            content_type = self.get_content_type(obj=value, using=instance._state.db)
            object_id = to_object_id(fk_field, value)
        setattr(instance, ct_field.name, content_type)
        instance.__dict__[fk_field.attname] = object_id
        cache = instance._state.fields_cache
        cache[self.name] = value
        cache[self._key_cache_name()] = (content_type.pk if content_type is not None else None, object_id)

    # -- prefetch_related("content_object") ---------------------------------------

    def get_prefetch_querysets(self, instances, querysets=None):
        """Load the targets of ``instances``: one query per content type.

        Returns Django's prefetch tuple ``(objects, rel_obj_attr, instance_attr,
        single, cache_name, is_descriptor)``. ``querysets`` (from ``Prefetch``)
        may give one QuerySet per target model.
        """
        ct_field, fk_field = self.resolve_fields()
        custom = {}
        for queryset in querysets or ():
            content_type = content_type_manager(queryset.db).get_for_model(
                queryset.model, for_concrete_model=self.for_concrete_model
            )
            custom[content_type.pk] = queryset
        ids_by_type: dict[Any, set] = defaultdict(set)
        db_by_type: dict[Any, str] = {}
        key_name = self._key_cache_name()
        for instance in instances:
            ct_id = instance.__dict__.get(ct_field.attname)
            object_id = instance.__dict__.get(fk_field.attname)
            instance._state.fields_cache[key_name] = (ct_id, object_id)
            if ct_id is None or object_id is None:
                continue
            ids_by_type[ct_id].add(object_id)
            db_by_type[ct_id] = instance._state.db or router.db_for_read(self.model, instance=instance)
        objects: list = []
        models_by_type: dict[Any, Any] = {}
        for ct_id, object_ids in ids_by_type.items():
            using = db_by_type[ct_id]
            try:
                content_type = content_type_manager(using).get_for_id(ct_id)
            except ObjectDoesNotExist:
                continue
            model = content_type.model_class()
            if model is None:
                continue
            keys = []
            for object_id in object_ids:
                try:
                    keys.append(to_primary_key(model, object_id))
                except ValueError:
                    continue
            if not keys:
                continue
            queryset = custom.get(ct_id)
            if queryset is None:
                queryset = model._base_manager.using(using)
            # Keyed by the class the rows come back as: a proxy's content type and its
            # concrete model's may both point at one primary key.
            models_by_type[(using, ct_id)] = queryset.model
            objects.extend(queryset.filter(pk__in=keys))

        def target_key(obj):
            ct_id = obj.__dict__.get(ct_field.attname)
            object_id = obj.__dict__.get(fk_field.attname)
            using = obj._state.db or router.db_for_read(self.model, instance=obj)
            model = models_by_type.get((using, ct_id))
            if model is None or object_id is None:
                return None
            try:
                return (to_primary_key(model, object_id), model)
            except ValueError:
                return None

        def object_key(obj):
            return (obj.pk, type(obj))

        return objects, object_key, target_key, True, self.name, False
