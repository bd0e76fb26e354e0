"""Row -> instance functions generated once per (model, columns, converters).

Loading objects is the ORM's hottest loop. The generic loop (``zip`` the
attribute names with the row, call each converter through its ``None``
check) costs about twice what a function written for the exact columns
costs, so this module writes that function: the row is unpacked into locals
and the instance's ``__dict__`` is one dict display, converters called
inline (a converter made by ``backends``' ``_none_safe`` exposes the wrapped
function as ``__wrapped__``, so its ``None`` test is inlined too).
"""

from __future__ import annotations

import gc

from orm.model import ModelState

__all__ = ["row_factory"]

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
    items = []
    for index, (attname, column) in enumerate(zip(attnames, columns)):
        converter = converters.get(index)
        if converter is None:
            value = column
        else:
            inner = getattr(converter, "__wrapped__", None)
            if inner is not None:
                namespace[f"f{index}"] = inner
                value = f"(None if {column} is None else f{index}({column}))"
            else:
                namespace[f"f{index}"] = converter
                value = f"f{index}({column})"
        items.append(f"{attname!r}: {value}")
    unpack = ", ".join(columns) + ("," if len(columns) == 1 else "")
    source = (
        "def build(rows, db):\n"
        "    result = []\n"
        "    append = result.append\n"
        f"    for {unpack} in rows:\n"
        "        instance = new(model)\n"
        f"        instance.__dict__ = {{{', '.join(items)}, '_state_db': db}}\n"
        "        append(instance)\n"
        "    return result\n"
    )
    exec(compile(source, f"<row factory for {model.__name__}>", "exec"), namespace)  # noqa: S102
    return _pausing_gc(namespace["build"])


# Building many instances allocates several tracked objects per row; the cyclic
# collector would walk every live object again and again while the list grows
# (most of a 100,000-row load). No cycles are made here, so it waits until the end.
_GC_PAUSE_ROWS = 500


def _pausing_gc(build):
    isenabled, disable, enable = gc.isenabled, gc.disable, gc.enable

    def build_many(rows, db):
        if len(rows) < _GC_PAUSE_ROWS or not isenabled():
            return build(rows, db)
        disable()
        try:
            return build(rows, db)
        finally:
            enable()

    return build_many


def joined_row_factory(model, attnames, related, converters):
    """Like `row_factory` for ``select_related`` rows: the model's columns, then each related model's.

    ``related`` lists ``(related model, attnames, pk index, set_cached, set_remote)``
    in column order (one level, no nesting); ``set_cached(instance, obj)`` stores
    the related object (``None`` when its primary key is NULL) and
    ``set_remote(obj, instance)`` (or ``None``) the reverse side.
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
    total = len(attnames) + sum(len(names) for _, names, _, _, _ in related)
    columns = ", ".join(f"c{index}" for index in range(total))
    items = ", ".join(
        f"{name!r}: {_value_source(index, converters, namespace)}"
        for index, name in enumerate(attnames)
    )
    body = [
        "def build(rows, db):",
        "    result = []",
        "    append = result.append",
        f"    for {columns}{',' if total == 1 else ''} in rows:",
        "        instance = new(model)",
        # The related objects go into the state's cache: create it now, not on first use.
        f"        instance.__dict__ = {{{items}, '_state': State(False, db)}}",
    ]
    position = len(attnames)
    for number, (related_model, names, pk_index, set_cached, set_remote) in enumerate(related):
        namespace[f"model{number}"] = related_model
        namespace[f"cache{number}"] = set_cached
        related_items = ", ".join(
            f"{name!r}: {_value_source(position + offset, converters, namespace)}"
            for offset, name in enumerate(names)
        )
        body += [
            f"        if c{position + pk_index} is None:",
            f"            cache{number}(instance, None)",
            "        else:",
            f"            other = new(model{number})",
            f"            other.__dict__ = {{{related_items}, '_state_db': db}}",
            f"            cache{number}(instance, other)",
        ]
        if set_remote is not None:
            namespace[f"remote{number}"] = set_remote
            body.append(f"            remote{number}(other, instance)")
        position += len(names)
    body += ["        append(instance)", "    return result", ""]
    source = "\n".join(body)
    exec(compile(source, f"<joined row factory for {model.__name__}>", "exec"), namespace)  # noqa: S102
    return _pausing_gc(namespace["build"])
