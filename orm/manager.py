"""Managers: ``Model.objects`` and custom ``Manager`` subclasses."""

from __future__ import annotations

import inspect
import itertools
from typing import Any

from orm.query.async_api import AsyncManagerMethods
from orm.routers import router

__all__ = ["BaseManager", "Manager"]

_creation_counter = itertools.count()


class BaseManager(AsyncManagerMethods):
    """Hands out QuerySets for a model; every QuerySet method is proxied."""

    _queryset_class: Any = None
    auto_created = False
    #: Router hints of a ``db_manager(hints=...)`` copy (see _hinted_manager_class).
    _hints: dict[str, Any] = {}

    def __init__(self) -> None:
        self.model: Any = None
        self.name: str | None = None
        self._db: str | None = None
        self.creation_counter = next(_creation_counter)

    def _set_creation_counter_from(self, other: BaseManager) -> None:
        self.creation_counter = other.creation_counter

    def __set_name__(self, owner, name):
        self.name = name

    def __class_getitem__(cls, item):
        return cls

    def __repr__(self) -> str:
        label = self.model._meta.label if self.model is not None else "unbound"
        return f"<{type(self).__name__}: {label}.{self.name}>"

    def __get__(self, instance, owner=None):
        if instance is not None:
            raise AttributeError(
                f"Manager isn't accessible via {type(instance).__name__} instances"
            )
        return self

    def deconstruct(self):
        return (False, f"{type(self).__module__}.{type(self).__qualname__}", None, [], {})

    def get_queryset(self):
        """The QuerySet every call starts from; override to change what the manager sees."""
        return self._queryset_class(model=self.model, using=self._db)

    def all(self):
        return self.get_queryset()

    def filter(self, *args, **kwargs):
        """Rows matching every condition (``QuerySet.filter`` on ``get_queryset()``)."""
        cls = type(self)
        queryset_class = cls._queryset_class
        if (
            not args
            and queryset_class is not None
            and self.model is not None
            and cls.get_queryset is _stock_get_queryset
            and queryset_class.filter is _stock_filter
            and queryset_class._filter_or_exclude is _stock_filter_or_exclude
            and queryset_class.__init__ is _stock_init
        ):
            # The plan of the manager's fresh QuerySet filtered, made as one object.
            planned = statement_cache.filtered(queryset_class, self.model, self._db, kwargs)
            if planned is not None:
                return planned
        return self.get_queryset().filter(*args, **kwargs)

    def create(self, **kwargs):
        """Create, save and return an object (``QuerySet.create``)."""
        cls = type(self)
        queryset_class = cls._queryset_class
        if (
            queryset_class is not None
            and cls.get_queryset is BaseManager.get_queryset
            and queryset_class.create is QuerySet.create
            and queryset_class.__init__ is QuerySet.__init__
            and queryset_class.db is QuerySet.db
        ):
            # What QuerySet.create does on the manager's fresh QuerySet, without making it.
            model = self.model
            obj = model(**kwargs)
            using = self._db
            obj.save(force_insert=True, using=using if using is not None else router.db_for_write(model))
            return obj
        return self.get_queryset().create(**kwargs)

    def db_manager(self, using: str | None = None, hints: dict | None = None):
        """A copy of this manager on database ``using``; ``hints`` go to the routers (Django's API)."""
        import copy

        manager = copy.copy(self)
        manager._db = using
        if hints:
            # A subclass whose get_queryset() adds the hints: the plain managers' fast
            # paths (filter, create) do not apply to it, and cost nothing more.
            manager.__class__ = _hinted_manager_class(type(self))
            manager._hints = dict(hints)
        return manager

    @property
    def db(self) -> str:
        from orm.routers import router

        return self._db or router.db_for_read(self.model)

    def raw(self, raw_query: str, params=(), translations=None, using=None):
        """Instances from hand-written SQL (``%s`` placeholders, parameters passed apart)."""
        from orm.query.raw import RawQuerySet

        return RawQuerySet(raw_query, model=self.model, params=params, translations=translations, using=using or self._db)

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        """A Manager class whose methods include those of ``queryset_class``."""
        if class_name is None:
            class_name = f"{cls.__name__}From{queryset_class.__name__}"
        attrs = {"_queryset_class": queryset_class}
        attrs.update(_proxy_methods(queryset_class, cls))
        return type(class_name, (cls,), attrs)


_hinted_manager_classes: dict[type, type] = {}


def _hinted_manager_class(manager_class: type) -> type:
    """``manager_class`` with a ``get_queryset()`` that gives its QuerySets the manager's ``_hints``."""
    hinted = _hinted_manager_classes.get(manager_class)
    if hinted is None:

        def get_queryset(self):
            queryset = super(hinted, self).get_queryset()
            queryset._hints = {**queryset._hints, **self._hints}
            return queryset

        hinted = type(manager_class.__name__, (manager_class,), {
            "get_queryset": get_queryset, "__qualname__": manager_class.__qualname__,
            "__module__": manager_class.__module__,
        })
        _hinted_manager_classes[manager_class] = hinted
    return hinted


def _proxy_methods(queryset_class, manager_class) -> dict[str, Any]:
    methods = {}
    for name, method in inspect.getmembers(queryset_class, predicate=inspect.isfunction):
        if hasattr(manager_class, name) or name.startswith("_"):
            continue
        if getattr(method, "queryset_only", False):
            continue

        def make(method_name):
            def proxy(self, *args, **kwargs):
                return getattr(self.get_queryset(), method_name)(*args, **kwargs)

            proxy.__name__ = method_name
            proxy.__doc__ = getattr(queryset_class, method_name).__doc__
            return proxy

        methods[name] = make(name)
    return methods




from orm.query import statement_cache  # noqa: E402 - needs nothing from this module
from orm.query.queryset import QuerySet  # noqa: E402 - QuerySet needs nothing from this module

# What Manager.filter compares with on every call: module globals are quicker to read
# than the attributes of a class.
_stock_get_queryset = BaseManager.get_queryset
_stock_filter = QuerySet.filter
_stock_filter_or_exclude = QuerySet._filter_or_exclude
_stock_init = QuerySet.__init__


class Manager(BaseManager.from_queryset(QuerySet)):  # type: ignore[misc]
    """The default manager: ``Model.objects``."""
