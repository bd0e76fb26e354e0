"""Related managers: ``author.posts`` (reverse foreign key) and ``post.tags`` (many-to-many).

Each is built once per relation as a subclass of the related model's default
manager class, so custom manager methods work through relations too.
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter
from typing import Any

from orm import signals
from orm.connections import DEFAULT_DB_ALIAS
from orm.manager import BaseManager
from orm.model import LOADED_FROM
from orm.query import statement_cache
from orm.query.expressions import F
from orm.query.queryset import QuerySet
from orm.routers import router
from orm.transaction import atomic

__all__ = ["create_reverse_many_to_one_manager", "create_many_to_many_manager"]


def _accessor_label(manager) -> str:
    """``Post.tags``: how error messages name the relation (worked out only when one is raised)."""
    return f"{type(manager.instance).__name__}.{manager.name}"


def _filters_like_queryset(queryset_class) -> bool:
    """Whether ``queryset_class.filter()`` is QuerySet's own, so a deferred filter may be set directly."""
    return (
        queryset_class is not None
        and queryset_class.filter is QuerySet.filter
        and queryset_class._filter_or_exclude is QuerySet._filter_or_exclude
    )


def _check_instances(manager, objs) -> None:
    model = manager.model
    instance = manager.instance
    for obj in objs:
        if not isinstance(obj, model._meta.concrete_model):
            raise TypeError(
                f"{manager.accessor_label}: expected {model._meta.object_name} instances, "
                f"got a {type(obj).__name__} ({obj!r})"
            )
        router.check_relation(obj, instance)


def _init_with_instance(self, instance) -> None:
    """A related manager's ``__init__`` when the superclass's is BaseManager's (whose
    attributes the manager class holds)."""
    self.instance = instance


def _sorted_keys(keys) -> list:
    """The distinct values of ``keys`` but ``None``, in a stable order (the prefetch query's
    parameters), mixed types included."""
    keys = set(keys)
    keys.discard(None)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=repr)


def _makes_stock_querysets(superclass) -> bool:
    """Whether a related manager over ``superclass`` may build its QuerySets directly: the
    manager's get_queryset() and __init__ and its QuerySet class's __init__ and filter()
    are the stock ones (see `_related_querysets`)."""
    queryset_class = superclass._queryset_class
    return (
        superclass.get_queryset is BaseManager.get_queryset
        and superclass.__init__ is BaseManager.__init__
        and _filters_like_queryset(queryset_class)
        and queryset_class.__init__ is QuerySet.__init__
    )


def _related_querysets(manager, instances, results, filter_name: str, key_attname: str, needs_pk: bool,
                       known_field) -> list:
    """What ``get_queryset()`` of each instance's related manager returns before a prefetch
    (``manager`` is one of them; ``results``, one list per instance or ``None``, become the
    QuerySets' fetched rows).

    With stock managers and QuerySets (``manager.stock_querysets``) and instances of the
    manager's model, see `_stock_related_querysets`; otherwise each instance's manager is
    asked.
    """
    own_type = type(manager.instance)
    if manager.stock_querysets and set(map(type, instances)) == {own_type}:
        return _stock_related_querysets(manager, instances, results, filter_name, key_attname, needs_pk, known_field)
    querysets = [
        getattr(instance, manager.name).get_queryset() if type(instance) is not own_type
        else (manager if instance is manager.instance else type(manager)(instance))._filtered_queryset()
        for instance in instances
    ]
    for queryset, fetched in zip(querysets, results if results is not None else ()):
        queryset._result_cache = fetched
        queryset._prefetch_done = True
    return querysets


def _stock_related_querysets(manager, instances, results, filter_name: str, key_attname: str, needs_pk: bool,
                             known_field) -> list:
    """`_related_querysets` for stock managers and QuerySets: each is ``QuerySet(model=...,
    using=db)`` made without the keyword call, then what ``filter(**{filter_name: key})``
    does when the next filter is deferred (no query is built unless it runs).

    ``known_field`` (or ``None``): the loaded rows' foreign key, whose cached object is
    the instance.
    """
    own_instance, own_db = manager.instance, manager._db
    queryset_class, model = manager._queryset_class, manager.model
    new, empty_plan = object.__new__, statement_cache.EMPTY_PLAN
    keys = map(attrgetter(key_attname), instances)
    # getattr, not __dict__: reading __dict__ would give a loaded row a dict of its own.
    loaded_from = map(getattr, instances, repeat(LOADED_FROM), repeat(None))
    router.routers  # noqa: B018 - loads them, setting default_only
    routed = not router.default_only
    querysets = []
    for instance, value, db, fetched in zip(
        instances, keys, loaded_from, results if results is not None else repeat(None)
    ):
        if value is None or needs_pk and instance.pk is None:
            manager._key(instance)  # raises
        if own_db and instance is own_instance:
            db = own_db
        elif routed:
            db = None  # the routers choose when the QuerySet runs (see route_by_instance)
        elif db is None:
            db = instance._state.db or DEFAULT_DB_ALIAS
        queryset = new(queryset_class)
        queryset.model = model
        queryset._db = db
        queryset._hints = {"instance": instance} if db is None else {}
        queryset._query = None
        queryset._plan = empty_plan
        queryset._known_related_objects = {} if known_field is None else {known_field: {value: instance}}
        queryset._deferred_filter = (False, (), {filter_name: value})
        if fetched is not None:
            queryset._result_cache = fetched
            queryset._prefetch_done = True
            # The class default, held by the instance: reading it in list() and len() is
            # then a specialised instance attribute load.
            queryset._prefetch_related_lookups = ()
        querysets.append(queryset)
    return querysets


def create_reverse_many_to_one_manager(superclass, rel):
    """The manager class behind ``author.posts`` for the reverse relation ``rel``."""

    stock_init = superclass.__init__ is BaseManager.__init__

    class RelatedManager(superclass):
        # What depends only on the relation (resolved by the time a manager class is made),
        # and with BaseManager's own __init__ what it would set on each manager: an
        # `author.posts` access sets only the instance.
        field = rel.field
        prefetch_cache_name = rel.get_cache_name()
        stock_querysets = _makes_stock_querysets(superclass)
        if stock_init:
            model, name, _db, creation_counter = rel.related_model, rel.get_accessor_name(), None, -1

        if stock_init:
            __init__ = _init_with_instance
        else:

            def __init__(self, instance):
                super().__init__()
                # The superclass's __init__ set these two on the instance.
                self.model = rel.related_model
                self.name = rel.get_accessor_name()
                self.instance = instance

        @property
        def core_filters(self) -> dict:
            """The filter selecting this instance's related rows (``{"author": author}``)."""
            return {self.field.name: self.instance}

        accessor_label = property(_accessor_label)

        def __call__(self, *, manager):
            manager = getattr(self.model, manager)
            return create_reverse_many_to_one_manager(type(manager), rel)(self.instance)

        def _key(self, instance=None):
            """The value ``instance`` (this manager's by default) is linked by; ``ValueError`` if unsaved."""
            if instance is None:
                instance = self.instance
            value = getattr(instance, self.field.target_field.attname)
            if value is None:
                raise ValueError(
                    f"{self.accessor_label}: {type(instance).__name__} instance needs a primary "
                    "key value before this relationship can be used; save it first"
                )
            return value

        @property
        def _write_db(self):
            return router.db_for_write(self.model, instance=self.instance)

        def _apply_rel_filters(self, queryset):
            """``queryset`` narrowed to the rows pointing at this instance."""
            queryset = router.route_by_instance(queryset, self.instance, self._db)
            queryset._defer_next_filter = False
            key = self._key()
            queryset = queryset.filter(**{self.field.attname: key})
            queryset._known_related_objects = {self.field: {key: self.instance}}
            return queryset

        def _remove_prefetched_objects(self):
            self.instance.__dict__.get("_prefetched_objects_cache", {}).pop(self.prefetch_cache_name, None)

        def get_queryset(self):
            try:
                return self.instance._prefetched_objects_cache[self.prefetch_cache_name]
            except (AttributeError, KeyError):  # not prefetched
                pass
            return self._filtered_queryset()

        if superclass.all is BaseManager.all:
            all = get_queryset  # what BaseManager.all() returns, one call less per access

        def _filtered_queryset(self):
            """The manager's own QuerySet narrowed to this instance's related rows."""
            return self._apply_rel_filters(super().get_queryset())

        def related_querysets(self, instances, results=None) -> list:
            """What ``get_queryset()`` of each instance's manager returns before a prefetch
            (``results``: one list per instance, held as already fetched rows); the prefetch
            code calls this instead of making a manager for each instance."""
            field = self.field
            return _related_querysets(
                self, instances, results, field.attname, field.target_field.attname, False, field,
            )

        def get_prefetch_querysets(self, instances, querysets=None):
            """The prefetch protocol: every instance's related rows in one ``IN`` query."""
            field = self.field
            target = field.target_field
            queryset = querysets[0] if querysets else super().get_queryset()
            queryset = router.route_by_instance(queryset, instances[0], queryset._db or self._db)
            by_value = {getattr(instance, target.attname): instance for instance in instances}
            queryset = queryset.filter(**{f"{field.attname}__in": _sorted_keys(by_value)})
            queryset._known_related_objects = {field: by_value}
            return (
                queryset, attrgetter(field.attname), attrgetter(target.attname), False, self.prefetch_cache_name,
                False,
            )

        def add(self, *objs, bulk=True):
            """Point ``objs`` at this instance (one UPDATE when ``bulk``)."""
            _check_instances(self, objs)
            key = self._key()
            self._remove_prefetched_objects()
            db = self._write_db
            if bulk:
                pks = []
                for obj in objs:
                    state = obj._state
                    if state.adding or obj.pk is None:
                        raise ValueError(
                            f"{self.accessor_label}.add(): {obj!r} is unsaved; save it first or "
                            "use bulk=False"
                        )
                    if state.db != db:
                        # As Django: the UPDATE by primary key on `db` would change another row.
                        raise ValueError(
                            f"{self.accessor_label}.add(): {obj!r} is saved in database {state.db!r}, "
                            f"not {db!r} where the relation is written; save it there first or use bulk=False"
                        )
                    pks.append(obj.pk)
                if pks:
                    self.model._base_manager.using(db).filter(pk__in=pks).update(**{self.field.attname: key})
                for obj in objs:
                    setattr(obj, self.field.name, self.instance)
            else:
                with atomic(using=db, savepoint=False):
                    for obj in objs:
                        setattr(obj, self.field.name, self.instance)
                        obj.save(using=db)

        add.alters_data = True  # type: ignore[attr-defined]

        def create(self, **kwargs):
            self._remove_prefetched_objects()
            kwargs[self.field.name] = self.instance
            return super().get_queryset().using(self._write_db).create(**kwargs)

        def get_or_create(self, **kwargs):
            self._remove_prefetched_objects()
            kwargs[self.field.name] = self.instance
            return super().get_queryset().using(self._write_db).get_or_create(**kwargs)

        def update_or_create(self, **kwargs):
            self._remove_prefetched_objects()
            kwargs[self.field.name] = self.instance
            return super().get_queryset().using(self._write_db).update_or_create(**kwargs)

        if rel.field.null:

            def remove(self, *objs, bulk=True):
                """Unlink ``objs`` (sets the foreign key to NULL)."""
                _check_instances(self, objs)
                key = self._key()
                for obj in objs:
                    if getattr(obj, self.field.attname) != key:
                        raise self.field.model.DoesNotExist(
                            f"{obj!r} is not related to {self.instance!r} through {self.accessor_label}"
                        )
                self._clear(self.model._base_manager.filter(pk__in=[obj.pk for obj in objs]), bulk)
                for obj in objs:
                    obj.__dict__[self.field.attname] = None
                    self.field.set_cached_value(obj, None)

            remove.alters_data = True  # type: ignore[attr-defined]

            def clear(self, *, bulk=True):
                """Unlink every related row (sets the foreign key to NULL)."""
                self._clear(self.model._base_manager.all(), bulk)

            clear.alters_data = True  # type: ignore[attr-defined]

            def _clear(self, queryset, bulk):
                self._remove_prefetched_objects()
                db = self._write_db
                queryset = self._apply_rel_filters(queryset).using(db)
                if bulk:
                    queryset.update(**{self.field.attname: None})
                else:
                    with atomic(using=db, savepoint=False):
                        for obj in queryset:
                            setattr(obj, self.field.name, None)
                            obj.save(update_fields=[self.field.name], using=db)

        def set(self, objs, *, bulk=True, clear=False):
            """Make ``objs`` exactly the related rows (removes others when the key is nullable)."""
            objs = tuple(objs)
            _check_instances(self, objs)
            db = self._write_db
            with atomic(using=db, savepoint=False):
                if self.field.null:
                    if clear:
                        self.clear(bulk=bulk)
                        self.add(*objs, bulk=bulk)
                        return
                    old = set(self.using(db).values_list("pk", flat=True)) if not self._prefetched() else {o.pk for o in self.get_queryset()}
                    keep = {obj.pk for obj in objs if obj.pk is not None}
                    stale = old - keep
                    if stale:
                        self.remove(*self.model._base_manager.using(db).filter(pk__in=stale), bulk=bulk)
                    self.add(*[obj for obj in objs if obj.pk not in old], bulk=bulk)
                else:
                    self.add(*objs, bulk=bulk)

        set.alters_data = True  # type: ignore[attr-defined]

        def _prefetched(self) -> bool:
            return self.prefetch_cache_name in self.instance.__dict__.get("_prefetched_objects_cache", {})

    RelatedManager.__name__ = "RelatedManager"
    RelatedManager.__qualname__ = f"{rel.field.model.__name__}.RelatedManager"
    return RelatedManager


def create_many_to_many_manager(superclass, rel, reverse: bool):
    """The manager class behind ``post.tags`` (``reverse=False``) or ``tag.post_set``."""

    def init_custom(self, instance):
        super(ManyRelatedManager, self).__init__()
        # The superclass's __init__ set these two on the instance.
        self.model = ManyRelatedManager._relation_model
        self.name = ManyRelatedManager._relation_name
        self.instance = instance

    class ManyRelatedManager(superclass):
        # What depends only on the relation is set on this class on first use (the related
        # model may be a string reference until then); see _prepare_relation.
        _relation_model: Any = None
        _relation_name: str | None = None

        def __init__(self, instance):
            # The first manager of this relation: _prepare_relation replaces this __init__.
            ManyRelatedManager._prepare_relation()
            ManyRelatedManager.__init__(self, instance)

        accessor_label = property(_accessor_label)

        @classmethod
        def _prepare_relation(cls) -> None:
            """Set the attributes every manager of this relation shares on the class."""
            field = rel.field
            if not reverse:
                model, name = rel.model, field.name
                source_field, target_field = field.m2m_source_field(), field.m2m_target_field()
                query_field_name, prefetch_cache_name = rel.query_name, field.name
            else:
                model, name = rel.related_model, rel.get_accessor_name()
                source_field, target_field = field.m2m_target_field(), field.m2m_source_field()
                query_field_name, prefetch_cache_name = field.name, rel.query_name
            key_attname = source_field.target_field.attname
            cls.query_field_name = query_field_name
            cls.prefetch_cache_name = prefetch_cache_name
            cls.source_field = source_field
            cls.target_field = target_field
            cls.through = rel.through
            cls.symmetrical = rel.symmetrical and not reverse
            cls.key_attname = key_attname
            cls.key_is_pk = key_attname == source_field.related_model._meta.pk.attname
            cls.stock_init = superclass.__init__ is BaseManager.__init__
            if cls.stock_init:
                # What BaseManager.__init__ would set on each manager: a `post.tags` access
                # sets only the instance.
                cls.model, cls.name, cls._db, cls.creation_counter = model, name, None, -1
                cls.__init__ = _init_with_instance  # type: ignore[method-assign]
            else:
                cls.__init__ = init_custom  # type: ignore[method-assign]
            cls.stock_querysets = _makes_stock_querysets(superclass)
            cls._relation_name = name
            cls._relation_model = model

        def __call__(self, *, manager):
            manager = getattr(self.model, manager)
            return create_many_to_many_manager(type(manager), rel, reverse)(self.instance)

        def _key(self, instance=None):
            """The value ``instance`` (this manager's by default) is linked by; ``ValueError`` if unsaved."""
            if instance is None:
                instance = self.instance
            value = getattr(instance, self.key_attname)
            if value is None or not self.key_is_pk and instance.pk is None:
                raise ValueError(
                    f"{type(instance).__name__}.{self.name}: {type(instance).__name__} instance needs "
                    "a primary key value before a many-to-many relationship can be used; save it first"
                )
            return value

        def _apply_rel_filters(self, queryset):
            queryset = router.route_by_instance(queryset, self.instance, self._db)
            # As in Django: the join is only built if the query runs (a prefetched
            # manager's queryset never does).
            queryset._defer_next_filter = True
            return queryset.filter(**{self.query_field_name: self._key()})

        def _remove_prefetched_objects(self):
            self.instance.__dict__.get("_prefetched_objects_cache", {}).pop(self.prefetch_cache_name, None)

        def get_queryset(self):
            try:
                return self.instance._prefetched_objects_cache[self.prefetch_cache_name]
            except (AttributeError, KeyError):  # not prefetched
                pass
            return self.related_queryset(self.instance)

        if superclass.all is BaseManager.all:
            all = get_queryset  # what BaseManager.all() returns, one call less per access

        def related_queryset(self, instance):
            """What ``get_queryset()`` of ``instance``'s manager returns before any prefetch."""
            return self.related_querysets([instance])[0]

        def related_querysets(self, instances, results=None) -> list:
            """``related_queryset()`` of each instance; the prefetch code calls this instead
            of making a manager for each instance.

            With ``results`` (one list per instance), each QuerySet holds its list as
            already fetched rows, as a prefetch leaves it.
            """
            return _related_querysets(
                self, instances, results, self.query_field_name, self.key_attname, not self.key_is_pk, None,
            )

        def _filtered_queryset(self):
            """The manager's own QuerySet narrowed to this instance's related rows."""
            return self._apply_rel_filters(super().get_queryset())

        def get_prefetch_querysets(self, instances, querysets=None):
            """The prefetch protocol: one query joining the junction table for all instances."""
            queryset = querysets[0] if querysets else super().get_queryset()
            queryset = router.route_by_instance(queryset, instances[0], queryset._db or self._db)
            key_field = self.source_field.target_field
            attname = key_field.attname
            keys = _sorted_keys(map(attrgetter(attname), instances))
            # Through the key field (books__id__in, not books__in): the same column, but its
            # values are prepared by that field directly rather than through the junction's
            # foreign key.
            queryset = queryset.filter(**{f"{self.query_field_name}__{key_field.name}__in": keys})
            label = f"_prefetch_related_val_{self.source_field.attname}"
            queryset = queryset.annotate(**{label: F(self.query_field_name)})
            return (queryset, attrgetter(label), attrgetter(attname), False, self.prefetch_cache_name, False)

        @property
        def _write_db(self):
            return router.db_for_write(self.through, instance=self.instance)

        def _target_keys(self, objs) -> list:
            keys = []
            attname = self.target_field.target_field.attname
            model = self.target_field.related_model
            for obj in objs:
                if isinstance(obj, model._meta.concrete_model):
                    value = getattr(obj, attname)
                    if value is None:
                        raise ValueError(
                            f"{self.accessor_label}: cannot link the unsaved {obj!r}; save it first"
                        )
                    router.check_relation(obj, self.instance)
                    keys.append(value)
                elif hasattr(obj, "_meta"):
                    raise TypeError(
                        f"{self.accessor_label}: expected {model._meta.object_name} instances, got a "
                        f"{type(obj).__name__} ({obj!r})"
                    )
                else:
                    keys.append(self.target_field.target_field.to_python(obj))
            return list(dict.fromkeys(keys))

        def _junction(self, db):
            return self.through._base_manager.using(db).filter(**{self.source_field.attname: self._key()})

        def _send(self, action, keys, db):
            if signals.m2m_changed.has_listeners(self.through):
                signals.m2m_changed.send(
                    sender=self.through, action=action, instance=self.instance, reverse=reverse,
                    model=self.model, pk_set=keys, using=db,
                )

        def add(self, *objs, through_defaults=None):
            """Link ``objs`` (model instances or pks); existing links are left alone."""
            self._remove_prefetched_objects()
            db = self._write_db
            keys = self._target_keys(objs)
            with atomic(using=db, savepoint=False):
                source_key = self._key()
                missing = self._missing(db, source_key, keys)
                # As Django: the signals go out for any add() of objects, pk_set empty when all were linked.
                if keys:
                    self._send("pre_add", set(missing), db)
                if missing:
                    self._insert(db, source_key, missing, through_defaults)
                if keys:
                    self._send("post_add", set(missing), db)
                if self.symmetrical:
                    for key in keys:
                        if self._missing(db, key, [source_key]):
                            self._insert(db, key, [source_key], through_defaults)

        def _missing(self, db, source_key, keys) -> list:
            if not keys:
                return []
            existing = set(
                self.through._base_manager.using(db)
                .filter(**{self.source_field.attname: source_key, f"{self.target_field.attname}__in": keys})
                .values_list(self.target_field.attname, flat=True)
            )
            return [key for key in keys if key not in existing]

        def _insert(self, db, source_key, keys, through_defaults) -> None:
            defaults = {
                name: (value() if callable(value) else value) for name, value in (through_defaults or {}).items()
            }
            self.through._base_manager.using(db).bulk_create([
                self.through(**defaults, **{self.source_field.attname: source_key, self.target_field.attname: key})
                for key in keys
            ])

        def _links(self, db, keys=None):
            """Junction rows of this instance (both directions when symmetrical), optionally to ``keys``."""
            from orm.query.q import Q

            source, target = self.source_field.attname, self.target_field.attname
            pk = self._key()
            forward = Q(**{source: pk}) if keys is None else Q(**{source: pk, f"{target}__in": keys})
            if self.symmetrical:
                backward = Q(**{target: pk}) if keys is None else Q(**{target: pk, f"{source}__in": keys})
                forward = forward | backward
            return self.through._base_manager.using(db).filter(forward)

        add.alters_data = True  # type: ignore[attr-defined]

        def remove(self, *objs):
            """Unlink ``objs`` (model instances or pks)."""
            self._remove_prefetched_objects()
            db = self._write_db
            keys = self._target_keys(objs)
            if not keys:
                return
            with atomic(using=db, savepoint=False):
                self._send("pre_remove", set(keys), db)
                self._links(db, keys).delete()
                self._send("post_remove", set(keys), db)

        remove.alters_data = True  # type: ignore[attr-defined]

        def clear(self):
            """Unlink everything."""
            self._remove_prefetched_objects()
            db = self._write_db
            with atomic(using=db, savepoint=False):
                self._send("pre_clear", None, db)
                self._links(db).delete()
                self._send("post_clear", None, db)

        clear.alters_data = True  # type: ignore[attr-defined]

        def set(self, objs, *, clear=False, through_defaults=None):
            """Make ``objs`` exactly the linked objects (only the differences are written)."""
            objs = tuple(objs)
            db = self._write_db
            with atomic(using=db, savepoint=False):
                if clear:
                    self.clear()
                    self.add(*objs, through_defaults=through_defaults)
                    return
                keys = self._target_keys(objs)
                old = set(self._junction(db).values_list(self.target_field.attname, flat=True))
                stale = old - set(keys)
                if stale:
                    self.remove(*stale)
                self.add(*[key for key in keys if key not in old], through_defaults=through_defaults)

        set.alters_data = True  # type: ignore[attr-defined]

        def create(self, *, through_defaults=None, **kwargs):
            """Create a related object and link it."""
            db = self._write_db
            obj = super().get_queryset().using(db).create(**kwargs)
            self.add(obj, through_defaults=through_defaults)
            return obj

        create.alters_data = True  # type: ignore[attr-defined]

        def get_or_create(self, *, through_defaults=None, **kwargs):
            db = self._write_db
            obj, created = super().get_queryset().using(db).get_or_create(**kwargs)
            if created or not self._junction(db).filter(**{self.target_field.attname: obj.pk}).exists():
                self.add(obj, through_defaults=through_defaults)
            return obj, created

    ManyRelatedManager.__name__ = "ManyRelatedManager"
    return ManyRelatedManager
