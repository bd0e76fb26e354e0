"""Row -> instance functions generated once per (model, columns, converters).

Loading objects is the ORM's hottest loop. The generic loop (``zip`` the
attribute names with the row, call each converter through its ``None``
check) costs about twice what a function written for the exact columns
costs, so this module writes that function: the row is unpacked into locals
and stored with one plain attribute store per column (see `_store_lines`),
converters called inline (a converter made by ``backends``' ``_none_safe``
exposes the wrapped function as ``__wrapped__``, so its ``None`` test is
inlined too).
"""

from __future__ import annotations

import gc
import keyword

from orm.model import LOADED_FROM, ModelState

__all__ = [
    "LOADED_RELATED_PREFIX", "NOT_LOADED", "ChunkLoader", "joined_row_factory", "prepare_model",
    "row_factory",
]

#: Prefix of the ``__dict__`` keys where a ``select_related`` loader leaves a related
#: object until the instance's ``_state`` is built (see `prepare_model`).
LOADED_RELATED_PREFIX = "_state_cache_"
#: The class attribute under each of those names: "nothing left there" (see `prepare_model`).
NOT_LOADED = object()

_factories: dict = {}
_MAX_FACTORIES = 1024


def row_factory(model, attnames, converters):
    """A function ``(rows, db) -> [instances]`` for rows holding exactly ``attnames``.

    ``converters`` is a list of ``(column index, converter)``. The function does
    not send ``post_init``: callers check for listeners and use the generic loop.
    """
    key = (model, tuple(attnames), tuple(converters))
    factory = _factories.get(key)
    if factory is None:
        if len(_factories) >= _MAX_FACTORIES:
            _factories.clear()
        factory = _factories[key] = _build(model, tuple(attnames), dict(converters))
    return factory


def _build(model, attnames, converters):
    namespace = {"model": model, "State": ModelState, "new": object.__new__}
    columns = [f"c{index}" for index in range(len(attnames))]
    pairs = [
        (attname, _value_source(index, converters, namespace))
        for index, attname in enumerate(attnames)
    ]
    unpack = ", ".join(columns) + ("," if len(columns) == 1 else "")
    body = [
        f"    for {unpack} in rows:",
        "        instance = new(model)",
        *_store_lines("instance", model, [*pairs, (LOADED_FROM, "db")], "        "),
        "        append(instance)",
    ]
    return _compile(body, namespace, f"<row factory for {model.__name__}>")


def prepare_model(model) -> None:
    """Settle, once per model class, the attributes the loaders store on its instances.

    ``model._loaded_related`` lists ``(attribute, fields_cache key)`` for each
    relation whose ``select_related`` object a loader may leave beside the
    instance's values, until the instance's state is built (which moves it into
    ``_state.fields_cache``: see ``orm.model._NewInstanceState``).

    CPython keeps an instance's attributes inline (no dict per instance) only
    for the names in its class's shared key table, which stops taking new
    names once a few dozen instances exist. Storing every name the loaders use
    on a throwaway instance now puts them in that table, whatever the program
    creates first.

    The class itself holds `NOT_LOADED` under each of those names, so reading
    one from an instance never fails: a plain attribute read (which CPython
    specialises) rather than ``getattr()`` with a default.
    """
    fields = model._meta.concrete_fields
    namespaces = [vars(klass) for klass in model.__mro__]
    related = []
    for field in fields:
        if field.is_relation:
            name = f"{LOADED_RELATED_PREFIX}{field.name}"
            if _plain_attribute(model, name, namespaces):
                related.append((name, field.name))
                if getattr(model, name, NOT_LOADED) is NOT_LOADED:
                    setattr(model, name, NOT_LOADED)
    model._loaded_related = tuple(related)
    if model.__setattr__ is not object.__setattr__:
        return
    sample = object.__new__(model)
    for name in [*(field.attname for field in fields), LOADED_FROM, "_state"]:
        if _plain_attribute(model, name, namespaces):
            setattr(sample, name, None)
    for name, _key in related:
        setattr(sample, name, None)


def _store_lines(target: str, model, pairs, indent: str) -> list[str]:
    """Lines of code storing ``pairs`` (name, value source) in the ``__dict__`` of ``target``.

    A plain attribute store keeps the values inside the instance (no separate
    dict object until something asks for ``__dict__``): half the allocations
    and much less for the cyclic GC to walk while results are kept. A name the
    class handles itself (a data descriptor, such as a foreign key's attname,
    or a custom ``__setattr__``) goes into ``__dict__`` directly, as before.
    """
    if model.__setattr__ is not object.__setattr__:
        items = ", ".join(f"{name!r}: {value}" for name, value in pairs)
        return [f"{indent}{target}.__dict__.update({{{items}}})"]
    plain = [(name, value) for name, value in pairs if _plain_attribute(model, name)]
    direct = [(name, value) for name, value in pairs if not _plain_attribute(model, name)]
    lines = [f"{indent}{target}.{name} = {value}" for name, value in plain]
    lines += [f"{indent}{target}.__dict__[{name!r}] = {value}" for name, value in direct]
    return lines


def _plain_attribute(model, name: str, namespaces=None) -> bool:
    """Whether ``instance.<name> = value`` only stores the value in the instance's ``__dict__``.

    ``namespaces``: the ``vars()`` of ``model.__mro__``'s classes, when the caller has them.
    """
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        return False
    for namespace in namespaces if namespaces is not None else [vars(k) for k in model.__mro__]:
        if name in namespace:
            return not _is_data_descriptor_type(type(namespace[name]))
    return True


_data_descriptor_types: dict[type, bool] = {}


def _is_data_descriptor_type(kind: type) -> bool:
    """Whether instances of ``kind`` are data descriptors (``__set__`` or ``__delete__``).

    Remembered per type: a miss of ``hasattr`` raises and catches an AttributeError.
    """
    known = _data_descriptor_types.get(kind)
    if known is None:
        if len(_data_descriptor_types) >= _MAX_FACTORIES:
            _data_descriptor_types.clear()
        known = _data_descriptor_types[kind] = hasattr(kind, "__set__") or hasattr(kind, "__delete__")
    return known


# Building many instances allocates several tracked objects per row; the cyclic
# collector would walk every live object again and again while the list grows
# (most of a 100,000-row load). No cycles are made here, so it waits until the end.
_GC_PAUSE_ROWS = 500


def _pause_collector() -> bool:
    """Turn the cyclic collector off for a large load; whether it was on (and so is to be resumed).

    First the young generations are collected (as the next automatic
    collection would), so that when `_resume_collector` moves what is young
    into the oldest generation, that is only what the load made.
    """
    if not gc.isenabled():
        return False
    if not gc.get_freeze_count():
        gc.collect(1)
    gc.disable()
    return True


def _resume_collector(promote: bool = True) -> None:
    """Turn the collector back on, the instances just built moved to the oldest generation.

    Left young, the next collection would walk every one of them only to find
    them alive (a tenth of a 100,000-row load's time, with cold caches), and
    the one after that again. ``freeze()`` then ``unfreeze()`` moves them in
    constant time; full collections still look at them. Not when the program
    froze objects itself (``unfreeze()`` would release them), nor when the
    loader made reference cycles (``promote`` false: a one-to-one's reverse
    side, a custom ``set_cached_value``): objects moved that way do not count
    towards the next full collection, the only one that could free them.
    """
    if promote and not gc.get_freeze_count():
        gc.freeze()
        gc.unfreeze()
    gc.enable()


class ChunkLoader:
    """A generated loader as the ``load`` function of ``Connection.fetch_all`` (rows read in chunks).

    Used as a context manager around the fetch: once a chunk is large enough,
    the collector is paused until the last one is built (not per chunk, which
    would collect the young generations again at each chunk and let the
    driver's new rows be walked by automatic collections in between).
    """

    __slots__ = ("build", "db", "paused")

    def __init__(self, build, db) -> None:
        self.build = build
        self.db = db
        self.paused = False

    def __call__(self, rows: list) -> list:
        if not self.paused and len(rows) >= _GC_PAUSE_ROWS:
            self.paused = _pause_collector()
        return self.build(rows, self.db)

    def __enter__(self) -> ChunkLoader:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.paused:
            self.paused = False
            _resume_collector(getattr(self.build, "acyclic", False))


def _compile(loop: list[str], namespace: dict, filename: str, acyclic: bool = True):
    """The function ``build(rows, db)`` running ``loop`` (which appends to ``result``).

    The collector pause is part of the generated function, so a small result
    (the usual case for filtered queries) costs no extra call. ``acyclic``:
    the loop makes no reference cycles (see `_resume_collector`); kept as the
    function's ``acyclic`` attribute.
    """
    namespace.update(pause=_pause_collector, resume=_resume_collector if acyclic else _enable_collector)
    body = [
        "def build(rows, db):",
        f"    paused = len(rows) >= {_GC_PAUSE_ROWS} and pause()",
        "    try:",
        "        result = []",
        "        append = result.append",
        *[f"    {line}" for line in loop],
        "        return result",
        "    finally:",
        "        if paused:",
        "            resume()",
        "",
    ]
    exec(compile("\n".join(body), filename, "exec"), namespace)  # noqa: S102
    build = namespace["build"]
    build.acyclic = acyclic
    return build


def _enable_collector() -> None:
    _resume_collector(False)


def joined_row_factory(model, attnames, related, converters):
    """Like `row_factory` for ``select_related`` rows: the model's columns, then each related model's.

    ``related`` lists ``(related model, attnames, pk index, cache key, set_cached,
    set_remote)`` in column order (one level, no nesting). The related object
    (``None`` when its primary key is NULL) is cached on the instance under the
    cache key: left beside its values when the model lists the key in
    ``_loaded_related`` (see `prepare_model`; no state is built per row), else in
    its ``_state.fields_cache``; when a key is ``None``, by ``set_cached(instance,
    obj)``. ``set_remote(obj, instance)`` (or ``None``) sets the reverse side.
    """
    key = (model, tuple(attnames), tuple(related), tuple(converters))
    factory = _factories.get(key)
    if factory is None:
        if len(_factories) >= _MAX_FACTORIES:
            _factories.clear()
        factory = _factories[key] = _build_joined(model, tuple(attnames), related, dict(converters))
    return factory


def _value_source(index: int, converters: dict, namespace: dict) -> str:
    column = f"c{index}"
    converter = converters.get(index)
    if converter is None:
        return column
    inner = getattr(converter, "__wrapped__", None)
    namespace[f"f{index}"] = inner if inner is not None else converter
    if inner is not None:
        return f"(None if {column} is None else f{index}({column}))"
    return f"f{index}({column})"


def _build_joined(model, attnames, related, converters):
    namespace = {"model": model, "State": ModelState, "new": object.__new__}
    total = len(attnames) + sum(len(spec[1]) for spec in related)
    columns = ", ".join(f"c{index}" for index in range(total))
    pairs = [
        (name, _value_source(index, converters, namespace)) for index, name in enumerate(attnames)
    ]
    loaded = dict((key, name) for name, key in model.__dict__.get("_loaded_related", ()))
    beside = model.__setattr__ is object.__setattr__ and all(spec[3] in loaded for spec in related)
    body = [f"    for {columns}{',' if total == 1 else ''} in rows:", "        instance = new(model)"]
    if beside:
        # The objects wait beside the values until the state is built (orm.model).
        body += _store_lines("instance", model, [*pairs, (LOADED_FROM, "db")], "        ")
    else:
        body += [
            # The related objects go into the state's cache: create it now, not on first use.
            "        state = State(False, db)",
            *_store_lines("instance", model, [*pairs, ("_state", "state")], "        "),
        ]
        if any(spec[3] is not None for spec in related):
            body.append("        cache = state.fields_cache")
    position = len(attnames)
    for number, (related_model, names, pk_index, key, set_cached, set_remote) in enumerate(related):
        namespace[f"model{number}"] = related_model
        if beside:
            store = f"instance.{loaded[key]} = {{}}"
        elif key is None:
            namespace[f"cache{number}"] = set_cached
            store = f"cache{number}(instance, {{}})"
        else:
            store = f"cache[{key!r}] = {{}}"
        related_pairs = [
            (name, _value_source(position + offset, converters, namespace))
            for offset, name in enumerate(names)
        ]
        body += [
            f"        if c{position + pk_index} is None:",
            f"            {store.format('None')}",
            "        else:",
            f"            other = new(model{number})",
            *_store_lines(
                "other", related_model, [*related_pairs, (LOADED_FROM, "db")], "            "
            ),
            f"            {store.format('other')}",
        ]
        if set_remote is not None:
            namespace[f"remote{number}"] = set_remote
            body.append(f"            remote{number}(other, instance)")
        position += len(names)
    body.append("        append(instance)")
    # A one-to-one's reverse side, or a field's own cache writes, may link the objects both ways.
    acyclic = all(spec[3] is not None and spec[5] is None for spec in related)
    return _compile(body, namespace, f"<joined row factory for {model.__name__}>", acyclic)
