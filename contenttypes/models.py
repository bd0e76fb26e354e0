"""The ``ContentType`` model: one row per installed model, and its per-database cache."""

from __future__ import annotations

import threading
from typing import Any

import orm
from orm import signals
from orm.connections import connections
from orm.registry import registry

__all__ = ["ContentType", "ContentTypeManager", "ContentTypeQuerySet"]


class _AliasCache:
    """The content types of one database: by ``(app_label, model)`` and by id."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], ContentType] = {}
        self.by_id: dict[Any, ContentType] = {}

    def add(self, content_type: ContentType) -> None:
        self.by_key[(str(content_type.app_label), str(content_type.model))] = content_type
        self.by_id[content_type.pk] = content_type


class _ContentTypeCache:
    """Every database's content types, keyed by alias and URL.

    The URL is part of the key so that ``orm.configure()`` pointing an alias at
    another database never serves ids read from the previous one.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._caches: dict[tuple[str, str], _AliasCache] = {}

    def _key(self, using: str) -> tuple[str, str]:
        return (using, connections.urls.get(using, ""))

    def get(self, using: str) -> _AliasCache:
        key = self._key(using)
        with self._lock:
            cache = self._caches.get(key)
            if cache is None:
                cache = self._caches[key] = _AliasCache()
            return cache

    def replace(self, using: str, rows) -> _AliasCache:
        cache = _AliasCache()
        for content_type in rows:
            cache.add(content_type)
        with self._lock:
            self._caches[self._key(using)] = cache
        return cache

    def clear(self, using: str | None = None) -> None:
        with self._lock:
            if using is None:
                self._caches.clear()
            else:
                self._caches.pop(self._key(using), None)


_cache = _ContentTypeCache()


def _model_opts(model_or_instance, for_concrete_model: bool):
    model = model_or_instance if isinstance(model_or_instance, type) else type(model_or_instance)
    opts = getattr(model, "_meta", None)
    if opts is None or not isinstance(model, orm.model.ModelBase):
        raise TypeError(f"get_for_model() takes a model class or instance, got {model_or_instance!r}")
    if opts.abstract:
        raise TypeError(f"{opts.object_name} is abstract and has no content type")
    if for_concrete_model:
        opts = opts.concrete_model._meta
    return opts


class ContentTypeQuerySet(orm.QuerySet):
    """A QuerySet of content types whose writes clear the cache of their database."""

    def update(self, **kwargs):
        try:
            return super().update(**kwargs)
        finally:
            _cache.clear(self.db)

    def delete(self):
        try:
            return super().delete()
        finally:
            _cache.clear(self.db)

    def bulk_create(self, objs, *args, **kwargs):
        try:
            return super().bulk_create(objs, *args, **kwargs)
        finally:
            _cache.clear(self.db)

    def bulk_update(self, objs, fields, batch_size=None):
        try:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        finally:
            _cache.clear(self.db)


class ContentTypeManager(orm.Manager.from_queryset(ContentTypeQuerySet)):  # type: ignore[misc]
    """``ContentType.objects``: content types looked up once per database, then cached.

    Lookups use the manager's database (``ContentType.objects.db_manager("replica")``).
    A miss reloads the whole table in one query, so entries made stale by a
    flush are dropped at the next miss; writes through the ORM clear the cache.
    """

    use_in_migrations = True

    def get_by_natural_key(self, app_label: str, model: str) -> ContentType:
        """The content type ``(app_label, model)`` (``natural_key()`` reversed)."""
        content_type = self._lookup_key(self.db, (app_label, model))
        if content_type is None:
            content_type = self.using(self.db).get(app_label=app_label, model=model)
            _cache.get(self.db).add(content_type)
        return content_type

    def get_for_model(self, model_or_instance, for_concrete_model: bool = True) -> ContentType:
        """The content type of a model class or instance, created when missing.

        A proxy model shares its concrete model's content type unless
        ``for_concrete_model=False``.
        """
        opts = _model_opts(model_or_instance, for_concrete_model)
        key = (opts.app_label, opts.model_name)
        using = self.db
        content_type = self._lookup_key(using, key)
        if content_type is None:
            content_type, _ = self.using(using).get_or_create(app_label=key[0], model=key[1])
            _cache.get(using).add(content_type)
        return content_type

    def get_for_models(self, *models, for_concrete_models: bool = True) -> dict:
        """``{model: content type}`` for each model (class or instance), with at most one read."""
        using = self.db
        wanted = {}
        for model in models:
            opts = _model_opts(model, for_concrete_models)
            wanted[model] = (opts.app_label, opts.model_name)
        cache = _cache.get(using)
        if any(key not in cache.by_key for key in wanted.values()):
            cache = self._reload(using)
        result = {}
        for model, key in wanted.items():
            content_type = cache.by_key.get(key)
            if content_type is None:
                content_type, _ = self.using(using).get_or_create(app_label=key[0], model=key[1])
                cache.add(content_type)
            result[model] = content_type
        return result

    def get_for_id(self, id) -> ContentType:  # noqa: A002 - Django's name
        """The content type with primary key ``id``; ``ContentType.DoesNotExist`` if there is none."""
        using = self.db
        try:
            id = int(id)  # noqa: A001
        except (TypeError, ValueError):
            raise ValueError(f"ContentType.objects.get_for_id(): expected an integer id, got {id!r}") from None
        content_type = _cache.get(using).by_id.get(id)
        if content_type is None:
            content_type = self._reload(using).by_id.get(id)
        if content_type is None:
            raise self.model.DoesNotExist(
                f"no content type with id {id} in database {using!r}"
            )
        return content_type

    def clear_cache(self) -> None:
        """Forget the cached content types of every database."""
        _cache.clear()

    def _lookup_key(self, using: str, key: tuple[str, str]) -> ContentType | None:
        content_type = _cache.get(using).by_key.get(key)
        if content_type is None:
            content_type = self._reload(using).by_key.get(key)
        return content_type

    def _reload(self, using: str) -> _AliasCache:
        # One query for the whole (small) table: it refills the cache and drops
        # entries that a flush or a raw DELETE made stale.
        return _cache.replace(using, list(self.using(using).all()))


class ContentType(orm.Model):
    """One installed model, named by ``app_label`` and lowercased ``model`` name."""

    id = orm.AutoField(primary_key=True)
    app_label = orm.CharField(max_length=100)
    model = orm.CharField("python model class name", max_length=100)

    objects = ContentTypeManager()

    class Meta:
        app_label = "contenttypes"
        db_table = "contenttypes_contenttype"
        unique_together = [("app_label", "model")]
        verbose_name = "content type"
        verbose_name_plural = "content types"

    def __str__(self) -> str:
        return f"{self.app_label}.{self.model}"

    @property
    def name(self) -> str:
        """The model's verbose name, or the stored name when the model is gone."""
        model = self.model_class()
        return str(model._meta.verbose_name) if model is not None else str(self.model)

    def model_class(self):
        """The model class this content type stands for, or ``None`` when it no longer exists."""
        try:
            return registry.get_model(self.app_label, self.model, require_ready=False)
        except (LookupError, ValueError):
            return None

    def _model_or_error(self):
        model = self.model_class()
        if model is None:
            raise LookupError(
                f"content type {self.app_label}.{self.model} (id {self.pk}) names a model that is "
                "not installed; remove stale content types with `manouche contenttypes prune`"
            )
        return model

    def get_object_for_this_type(self, using: str | None = None, **kwargs):
        """``Model.objects.get(**kwargs)`` on this content type's model (its database by default)."""
        model = self._model_or_error()
        return model._base_manager.using(using or self._state.db or "default").get(**kwargs)

    def get_all_objects_for_this_type(self, using: str | None = None, **kwargs):
        """A QuerySet of this content type's model filtered by ``kwargs``."""
        model = self._model_or_error()
        return model._base_manager.using(using or self._state.db or "default").filter(**kwargs)

    def natural_key(self) -> tuple[str, str]:
        """``(app_label, model)``: identifies the row across databases."""
        return (str(self.app_label), str(self.model))


def _clear_cache_on_write(sender, instance, using=None, **kwargs) -> None:
    _cache.clear(using)


signals.post_save.connect(_clear_cache_on_write, sender=ContentType, weak=False, dispatch_uid="contenttypes.save")
signals.post_delete.connect(_clear_cache_on_write, sender=ContentType, weak=False, dispatch_uid="contenttypes.delete")
