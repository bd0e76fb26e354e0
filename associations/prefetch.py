"""``prefetch_related``: one extra ``IN`` query per relation level.

The protocol (Django's): the class attribute named by a lookup -- a
descriptor such as ``Post.author``, or the related manager it hands out such
as ``author.posts`` -- provides ``get_prefetch_querysets(instances,
querysets=None)`` returning ``(queryset, rel_obj_key, instance_key, single,
cache_name, is_descriptor)``. ``contenttypes`` implements the same method on
``GenericForeignKey`` and on its generic related manager, and prefetching
works for them unchanged.
"""

from __future__ import annotations

import copy
import gc
from collections import defaultdict

from orm import signals
from orm.exceptions import ObjectDoesNotExist
from orm.model import LOADED_FROM
from orm.query.iterables import ModelIterable
from orm.query.row_factory import _pause_collector as pause_collector
from orm.query.row_factory import _resume_collector as resume_collector

__all__ = [
    "Prefetch", "prefetch_related_objects", "aprefetch_related_objects", "normalize_prefetch_lookups",
]

LOOKUP_SEP = "__"

#: What an object without a prefetch cache is read as (never written to).
_NO_CACHE: dict = {}


class Prefetch:
    """A ``prefetch_related`` lookup with its own QuerySet and/or target attribute."""

    def __init__(self, lookup: str, queryset=None, to_attr: str | None = None):
        self.prefetch_through = lookup
        self.prefetch_to = lookup
        if queryset is not None and getattr(queryset, "_iterable_class", None) is not None:
            if queryset._iterable_class is not ModelIterable:
                raise ValueError("Prefetch querysets cannot use raw(), values(), and values_list().")
        if to_attr:
            self.prefetch_to = LOOKUP_SEP.join(lookup.split(LOOKUP_SEP)[:-1] + [to_attr])
        self.queryset = queryset
        self.to_attr = to_attr

    def __repr__(self) -> str:
        return f"Prefetch({self.prefetch_to!r})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Prefetch):
            return NotImplemented
        return self.prefetch_to == other.prefetch_to

    def __hash__(self) -> int:
        return hash((type(self), self.prefetch_to))

    def add_prefix(self, prefix: str) -> None:
        self.prefetch_through = f"{prefix}{LOOKUP_SEP}{self.prefetch_through}"
        self.prefetch_to = f"{prefix}{LOOKUP_SEP}{self.prefetch_to}"

    def get_current_prefetch_to(self, level: int) -> str:
        return LOOKUP_SEP.join(self.prefetch_to.split(LOOKUP_SEP)[: level + 1])

    def get_current_to_attr(self, level: int) -> tuple[str, bool]:
        parts = self.prefetch_to.split(LOOKUP_SEP)
        to_attr = parts[level]
        as_attr = bool(self.to_attr) and level == len(parts) - 1
        return to_attr, as_attr

    def get_current_queryset(self, level: int):
        if self.get_current_prefetch_to(level) == self.prefetch_to:
            return self.queryset
        return None


def normalize_prefetch_lookups(lookups, prefix: str | None = None) -> list[Prefetch]:
    """Strings become ``Prefetch`` objects; ``prefix`` is prepended (nested lookups)."""
    result = []
    for lookup in lookups:
        if not isinstance(lookup, Prefetch):
            lookup = Prefetch(lookup)
        if prefix:
            lookup.add_prefix(prefix)
        result.append(lookup)
    return result


def prefetch_related_objects(model_instances, *related_lookups) -> None:
    """Fill the prefetch caches of ``model_instances`` for each lookup (``"books__tags"``)."""
    if not model_instances:
        return
    _prefetch_lookups(list(model_instances), related_lookups)


async def aprefetch_related_objects(model_instances, *related_lookups) -> None:
    """`prefetch_related_objects` from async code (Django 5.0), run in the ORM's thread."""
    from orm.query.async_api import run_sync

    await run_sync(prefetch_related_objects, model_instances, *related_lookups)


def _prefetch_lookups(model_instances: list, related_lookups) -> None:
    """`prefetch_related_objects` once the instances are a non-empty list."""
    done_queries: dict[str, list] = {}
    auto_lookups: set = set()
    followed_descriptors: set = set()
    all_lookups = normalize_prefetch_lookups(reversed(related_lookups))
    while all_lookups:
        lookup = all_lookups.pop()
        if lookup.prefetch_to in done_queries:
            if lookup.queryset is not None:
                raise ValueError(
                    f"'{lookup.prefetch_to}' lookup was already seen with a different queryset; "
                    "you may need to adjust the ordering of your lookups"
                )
            continue
        obj_list = model_instances
        several_models = False
        through_attrs = lookup.prefetch_through.split(LOOKUP_SEP)
        for level, through_attr in enumerate(through_attrs):
            if not obj_list:
                break
            prefetch_to = lookup.get_current_prefetch_to(level)
            if prefetch_to in done_queries:
                obj_list = done_queries[prefetch_to]
                continue
            given = _add_prefetch_caches(obj_list)
            if given is None:
                break
            first_obj = obj_list[0]
            to_attr = lookup.get_current_to_attr(level)[0]
            prefetcher, descriptor, attr_found, is_fetched = get_prefetcher(first_obj, through_attr, to_attr)
            if not attr_found:
                raise AttributeError(
                    f"Cannot find '{through_attr}' on {type(first_obj).__name__} object, "
                    f"'{lookup.prefetch_through}' is an invalid parameter to prefetch_related()"
                )
            if level == len(through_attrs) - 1 and prefetcher is None:
                raise ValueError(
                    f"'{lookup.prefetch_through}' does not resolve to an item that supports "
                    "prefetching - this is an invalid parameter to prefetch_related()."
                )
            obj_to_fetch = None
            if type(is_fetched) is _InPrefetchedCache and prefetcher is not None:
                # Every object has its prefetch cache now: no call per object, and none to
                # look into when every cache was just made.
                cache_name = is_fetched.cache_name
                if given == len(obj_list):
                    obj_to_fetch = obj_list
                else:
                    obj_to_fetch = [obj for obj in obj_list if cache_name not in obj._prefetched_objects_cache]
            elif prefetcher is not None:
                obj_to_fetch = [obj for obj in obj_list if not is_fetched(obj)]
            if obj_to_fetch:
                if several_models and not getattr(prefetcher, "prefetches_from_several_models", False):
                    obj_list, additional_lookups, several_models = _prefetch_per_model(
                        obj_to_fetch, through_attr, to_attr, lookup, level
                    )
                else:
                    obj_list, additional_lookups = prefetch_one_level(obj_to_fetch, prefetcher, lookup, level)
                    several_models = getattr(prefetcher, "prefetches_several_models", False)
                if not (prefetch_to in done_queries and lookup in auto_lookups and descriptor in followed_descriptors):
                    done_queries[prefetch_to] = obj_list
                    new_lookups = normalize_prefetch_lookups(reversed(additional_lookups), prefetch_to)
                    auto_lookups.update(new_lookups)
                    all_lookups.extend(new_lookups)
                followed_descriptors.add(descriptor)
            else:
                obj_list = _follow(obj_list, through_attr, to_attr, lookup, level)
                several_models = several_models or getattr(prefetcher, "prefetches_several_models", False)


def _prefetch_per_model(objects: list, through_attr: str, to_attr: str, lookup, level: int):
    """``prefetch_one_level`` once per model of ``objects`` (reached through a generic key), each
    with its own model's relation; returns (rows, nested lookups, whether the rows mix models)."""
    by_model: dict[type, list] = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj)
    rows: list = []
    additional_lookups: list = []
    for model, group in by_model.items():
        prefetcher, _descriptor, attr_found, _is_fetched = get_prefetcher(group[0], through_attr, to_attr)
        if not attr_found or prefetcher is None:
            raise AttributeError(
                f"Cannot find '{through_attr}' on {model.__name__} object, "
                f"'{lookup.prefetch_through}' is an invalid parameter to prefetch_related()"
            )
        fetched, additional_lookups = prefetch_one_level(group, prefetcher, lookup, level)
        rows.extend(fetched)
    return rows, additional_lookups, len(by_model) > 1 or len({type(row) for row in rows}) > 1


def _add_prefetch_caches(objects: list) -> int | None:
    """Give each of ``objects`` without a prefetch cache an empty one; how many were given
    (``None`` when an object cannot hold one, such as a ``values()`` dict)."""
    given = 0
    for obj in objects:
        if not hasattr(obj, "_prefetched_objects_cache"):
            try:
                obj._prefetched_objects_cache = {}
            except (AttributeError, TypeError):
                return None
            given += 1
    return given


def _follow(obj_list, through_attr: str, to_attr: str, lookup, level: int) -> list:
    """The objects one level down, from caches already filled."""
    new_obj_list: list = []
    for obj in obj_list:
        cache = getattr(obj, "_prefetched_objects_cache", {})
        if through_attr in cache:
            new_obj = list(cache[through_attr])
        elif to_attr != through_attr and hasattr(obj, to_attr) and lookup.get_current_to_attr(level)[1]:
            new_obj = getattr(obj, to_attr)
        else:
            try:
                new_obj = getattr(obj, through_attr)
            except ObjectDoesNotExist:
                continue
            if hasattr(new_obj, "get_queryset") and hasattr(new_obj, "model"):
                new_obj = list(new_obj.all())
        if new_obj is None:
            continue
        if isinstance(new_obj, list):
            new_obj_list.extend(new_obj)
        else:
            new_obj_list.append(new_obj)
    return new_obj_list


def get_prefetcher(instance, through_attr: str, to_attr: str):
    """``(prefetcher, descriptor, attr_found, is_fetched)`` for ``instance.<through_attr>``."""

    def has_to_attr(obj) -> bool:
        return hasattr(obj, to_attr)

    prefetcher = None
    is_fetched = has_to_attr
    descriptor = getattr(type(instance), through_attr, None)
    if descriptor is None:
        return None, None, hasattr(instance, through_attr), is_fetched
    if hasattr(descriptor, "get_prefetch_querysets"):
        prefetcher = descriptor
        is_cached = getattr(descriptor, "is_cached", None)
        if is_cached is not None and through_attr == to_attr:
            is_fetched = is_cached
        return prefetcher, descriptor, True, is_fetched
    try:
        related = getattr(instance, through_attr)
    except ObjectDoesNotExist:
        return None, descriptor, True, is_fetched
    if hasattr(related, "get_prefetch_querysets"):
        prefetcher = related
    if through_attr == to_attr:
        is_fetched = _InPrefetchedCache(through_attr)
    return prefetcher, descriptor, True, is_fetched


class _InPrefetchedCache:
    """``is_fetched(obj)``: whether ``obj``'s prefetch cache holds ``cache_name``."""

    __slots__ = ("cache_name",)

    def __init__(self, cache_name: str) -> None:
        self.cache_name = cache_name

    def __call__(self, obj) -> bool:
        return self.cache_name in getattr(obj, "_prefetched_objects_cache", _NO_CACHE)


def prefetch_one_level(instances, prefetcher, lookup, level: int):
    """Run one prefetch query and spread its rows over ``instances``; returns (rows, nested lookups)."""
    current = lookup.get_current_queryset(level)
    queryset, rel_obj_key, instance_key, single, cache_name, is_descriptor = prefetcher.get_prefetch_querysets(
        instances, [current] if current is not None else None
    )
    additional_lookups = [copy.copy(item) for item in getattr(queryset, "_prefetch_related_lookups", ())]
    if additional_lookups:
        queryset._prefetch_related_lookups = ()
    all_related_objects = _load_related(queryset)
    to_attr, as_attr = lookup.get_current_to_attr(level)
    if as_attr and instances:
        model = type(instances[0])
        opts = getattr(model, "_meta", None)
        if opts is not None and any(field.name == to_attr for field in opts.get_fields()):
            raise ValueError(f"to_attr={to_attr!r} conflicts with a field on the {model.__name__} model")
    leaf = len(lookup.prefetch_through.split(LOOKUP_SEP)) - 1 == level
    # The rows are loaded (a large load pauses the collector itself). The lists, and a
    # QuerySet per instance, are made with the collector paused: it would walk every live
    # object several times over while they are made, and they make no cycles.
    paused = len(all_related_objects) + len(instances) >= _GC_PAUSE_OBJECTS and pause_collector()
    acyclic = False
    try:
        rel_obj_cache: dict = defaultdict(list)
        for rel_obj in all_related_objects:
            rel_obj_cache[rel_obj_key(rel_obj)].append(rel_obj)
        if single or as_attr:
            _spread_objects(instances, rel_obj_cache, instance_key, single, as_attr, to_attr, cache_name, is_descriptor)
        else:
            found = rel_obj_cache.get
            results = [found(key) or [] for key in map(instance_key, instances)]
            current = lookup.queryset if leaf else None
            querysets = _related_querysets(instances, results, prefetcher, to_attr, current)
            for obj, cached in zip(instances, querysets):
                obj._prefetched_objects_cache[cache_name] = cached
            acyclic = current is None and not queryset._known_related_objects and _builds_plain_querysets(
                prefetcher, instances
            )
    finally:
        if paused:
            # Made in one go and alive: moved to the oldest generation (see row_factory)
            # when nothing made here refers back to an instance.
            resume_collector(acyclic)
    return all_related_objects, additional_lookups


def _spread_objects(instances, rel_obj_cache: dict, instance_key, single: bool, as_attr: bool, to_attr: str,
                    cache_name: str, is_descriptor: bool) -> None:
    """Give each instance its related object (``single``) or list (``to_attr``)."""
    for obj in instances:
        values = rel_obj_cache.get(instance_key(obj), [])
        if not single:
            setattr(obj, to_attr, values)
            continue
        value = values[0] if values else None
        if as_attr:
            setattr(obj, to_attr, value)
        elif is_descriptor:
            setattr(obj, cache_name, value)
        else:
            obj._state.fields_cache[cache_name] = value


def _builds_plain_querysets(prefetcher, instances) -> bool:
    """Whether ``prefetcher.related_querysets`` builds the QuerySets of ``instances`` itself
    (a stock related manager over instances of its own model: see ``associations.managers``),
    holding only their rows and plain values, so no reference cycle runs through them."""
    return (
        getattr(prefetcher, "stock_querysets", False)
        and hasattr(prefetcher, "related_querysets")
        and set(map(type, instances)) == {type(prefetcher.instance)}
    )


def _load_related(queryset) -> list:
    """``list(queryset)``, with the objects it knows (``_known_related_objects``: the instances
    a reverse foreign key points at) cached on the rows once loaded rather than while each
    row is made, so the rows take the generated loader (see ModelIterable).

    Only where that is the same: model instances without ``post_init`` receivers (which
    would see the rows before the cache is set) and no deferred fields (whose keys the
    loading loop reads without loading them).
    """
    known = getattr(queryset, "_known_related_objects", None)
    if (
        not known
        or getattr(queryset, "_iterable_class", None) is not ModelIterable
        or signals.post_init.has_listeners(queryset.model)
        or queryset._query is not None and queryset._query.deferred_loading != _NOTHING_DEFERRED
    ):
        return list(queryset)
    queryset._known_related_objects = {}
    # The rows will refer back to their instances (reference cycles): the collector waits,
    # so that a large load does not move them to the oldest generation (see row_factory:
    # objects moved that way do not count towards the full collection that frees cycles).
    enabled = gc.isenabled()
    gc.disable()
    try:
        objects = list(queryset)
        for field, targets in known.items():
            _cache_known_objects(objects, field, targets, _waiting_place(queryset.model, field))
    finally:
        queryset._known_related_objects = known
        if enabled:
            gc.enable()
    return objects


_NOTHING_DEFERRED: tuple[frozenset, bool] = (frozenset(), True)
_UNKNOWN = object()


def _cache_known_objects(objects: list, field, targets: dict, waiting: str | None) -> None:
    """Cache ``targets[key]`` as ``field``'s object on each of ``objects`` whose key it holds.

    ``waiting``: where a loaded row whose state is not built yet may hold it (see
    `_waiting_place`); otherwise ``field.set_cached_value`` stores it.
    """
    attname = field.attname
    set_cached = field.set_cached_value
    for obj in objects:
        target = targets.get(getattr(obj, attname), _UNKNOWN)
        if target is _UNKNOWN:
            continue
        if waiting is not None and getattr(obj, LOADED_FROM, None) is not None:
            setattr(obj, waiting, target)
        else:
            set_cached(obj, target)


def _waiting_place(model, field) -> str | None:
    """The attribute of a loaded ``model`` row where ``field``'s cached object may wait until
    the row's state is built, as a ``select_related`` loader leaves it (the model's
    ``_loaded_related``, see ``orm.query.row_factory.prepare_model``), or ``None``."""
    cache_key = getattr(field, "fields_cache_key", None)
    if cache_key is None or model.__setattr__ is not object.__setattr__:
        return None
    key = cache_key()
    for name, loaded_key in model.__dict__.get("_loaded_related", ()):
        if key is not None and loaded_key == key:
            return name
    return None


_GC_PAUSE_OBJECTS = 500


def _related_querysets(instances, results: list, prefetcher, to_attr: str, queryset) -> list:
    """The QuerySet ``instance.<to_attr>`` hands out for each instance (narrowing ``queryset`` if
    given), holding that instance's ``results`` as already fetched.

    A related manager offering ``related_querysets(instances, results)`` builds them without
    a manager per instance.
    """
    related_querysets = getattr(prefetcher, "related_querysets", None)
    if queryset is None and related_querysets is not None:
        return related_querysets(instances, results)
    if queryset is not None:
        querysets = [getattr(obj, to_attr)._apply_rel_filters(queryset) for obj in instances]
    else:
        querysets = [getattr(obj, to_attr).get_queryset() for obj in instances]
    for cached, fetched in zip(querysets, results):
        cached._result_cache = fetched
        cached._prefetch_done = True
    return querysets
