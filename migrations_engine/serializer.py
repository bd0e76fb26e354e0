"""Turn field options and operation arguments into Python source for migration files.

``serialize(value)`` returns ``(source, imports)``: the expression that rebuilds
``value`` and the ``import`` lines it needs (``import orm`` is always in a
migration's header, so it is never listed). The output is deterministic: sets
are sorted, dict items are sorted by their serialized key.
"""

from __future__ import annotations

import builtins
import contextvars
import datetime
import decimal
import enum
import functools
import importlib
import math
import re
import types
import uuid
from typing import Any

from migrations_engine.errors import MigrationError
from orm.choices import Choices

__all__ = ["SerializationError", "serialize", "serialize_string", "import_path_of"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SerializationError(MigrationError, ValueError):
    """A value cannot be written into a migration file.

    ``context`` names where the value came from (``"blog.Post.title"``) once
    the writer knows it.
    """

    def __init__(self, value: Any, reason: str, context: str | None = None):
        self.value = value
        self.reason = reason
        self.context = context
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.context}: " if self.context else ""
        return f"{where}cannot serialize {_safe_repr(self.value)} into a migration: {self.reason}"

    def with_context(self, context: str) -> SerializationError:
        """The same error naming ``context`` (the innermost context wins)."""
        return SerializationError(self.value, self.reason, self.context or context)


def _is_queryset(value: Any) -> bool:
    return hasattr(value, "query") and hasattr(value, "model") and hasattr(value, "_result_cache")


def _safe_repr(value: Any) -> str:
    """``repr(value)``, except for a QuerySet, whose repr would run its query."""
    if _is_queryset(value):
        return f"<QuerySet of {value.model._meta.label}>"
    return repr(value)


Serialized = tuple[str, set[str]]

#: Functions copied into the file being written (``squashmigrations``): id -> local name.
inline_functions: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar(
    "inline_functions", default=None
)


def serialize(value: Any) -> Serialized:
    """``(source, imports)`` for ``value``; ``SerializationError`` if it cannot be written."""
    for kind, serializer in _SERIALIZERS:
        if isinstance(value, kind):
            return serializer(value)
    if isinstance(value, type):
        return _serialize_class(value)
    if _is_queryset(value):
        raise SerializationError(
            value,
            "a QuerySet cannot be written into a migration (migrations see historical models, "
            "not the live ones); write the condition with Q, F, Case/When, or use RunSQL",
        )
    if _is_model_class(value):
        return serialize_string(value._meta.label), set()
    is_function = isinstance(
        value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    )
    deconstruct = getattr(value, "deconstruct", None)
    if is_function and (deconstruct is None or _importable_function(value)):
        return _serialize_function(value)
    if callable(deconstruct):
        return _serialize_deconstructible(value)
    if isinstance(value, functools.partial):
        return _serialize_partial(value)
    expression = _serialize_expression(value)
    if expression is not None:
        return expression
    raise SerializationError(
        value,
        f"{type(value).__qualname__} objects are not supported; use a module-level function, "
        "a class with deconstruct(), or a plain value",
    )


def serialize_string(text: str) -> str:
    """A string literal, double-quoted unless the text itself holds a double quote."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def import_path_of(path: str) -> Serialized:
    """``("orm.CharField", set())`` or ``("blog.fields.Money", {"import blog.fields"})``."""
    module, _, name = path.rpartition(".")
    if not module:
        return path, set()
    short = _orm_export_name(module, name)
    if short is not None:
        return short, set()
    if module == "orm" or module.startswith("orm."):
        # orm.validators.MaxValueValidator: ``import orm`` loads the submodule too.
        return path, set()
    return path, {f"import {module}"}


def _orm_export_name(module: str, name: str) -> str | None:
    """``orm.NAME`` when ``module.NAME`` is re-exported by ``orm`` under the same name."""
    if module == "orm":
        return f"orm.{name}"
    try:
        import orm

        exported = getattr(orm, name, None)
        if exported is None:
            return None
        target = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return f"orm.{name}" if target is exported else None


# -- plain values -------------------------------------------------------------------


def _serialize_none_or_bool(value) -> Serialized:
    return repr(value), set()


def _serialize_int(value: int) -> Serialized:
    return repr(int(value)), set()


def _serialize_float(value: float) -> Serialized:
    if math.isnan(value) or math.isinf(value):
        return f'float("{value}")', set()
    return repr(float(value)), set()


def _serialize_str(value: str) -> Serialized:
    return serialize_string(str(value)), set()


def _serialize_bytes(value: bytes) -> Serialized:
    literal = repr(bytes(value))
    if literal.startswith("b'") and b'"' not in value:
        literal = 'b"' + literal[2:-1] + '"'
    return literal, set()


def _serialize_decimal(value: decimal.Decimal) -> Serialized:
    return f'decimal.Decimal("{value}")', {"import decimal"}


def _serialize_datetime(value: datetime.datetime) -> Serialized:
    imports = {"import datetime"}
    if value.tzinfo is not None:
        offset = value.utcoffset()
        if offset is None:
            raise SerializationError(value, "its tzinfo gives no UTC offset")
        # Store aware datetimes in UTC: a zoneinfo object cannot be written portably.
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return _datetime_call(value, "tzinfo=datetime.timezone.utc"), imports
    return _datetime_call(value, None), imports


def _datetime_call(value: datetime.datetime, tz: str | None) -> str:
    parts = [value.year, value.month, value.day, value.hour, value.minute, value.second]
    if value.microsecond:
        parts.append(value.microsecond)
    args = ", ".join(str(part) for part in parts)
    return f"datetime.datetime({args}{', ' + tz if tz else ''})"


def _serialize_date(value: datetime.date) -> Serialized:
    return f"datetime.date({value.year}, {value.month}, {value.day})", {"import datetime"}


def _serialize_time(value: datetime.time) -> Serialized:
    if value.tzinfo is not None:
        raise SerializationError(value, "times with a tzinfo are not supported; use a naive time")
    parts = [value.hour, value.minute, value.second]
    if value.microsecond:
        parts.append(value.microsecond)
    return f"datetime.time({', '.join(map(str, parts))})", {"import datetime"}


def _serialize_timedelta(value: datetime.timedelta) -> Serialized:
    parts = [f"days={value.days}"] if value.days else []
    if value.seconds:
        parts.append(f"seconds={value.seconds}")
    if value.microseconds:
        parts.append(f"microseconds={value.microseconds}")
    return f"datetime.timedelta({', '.join(parts)})", {"import datetime"}


def _serialize_uuid(value: uuid.UUID) -> Serialized:
    return f'uuid.UUID("{value}")', {"import uuid"}


def _serialize_enum(value: enum.Enum) -> Serialized:
    if isinstance(value, Choices):
        # As Django: the value itself, so the file does not import the project's enumeration.
        return serialize(value.value)
    enum_class = type(value)
    path, imports = _serialize_class(enum_class)
    return f"{path}[{serialize_string(value.name)}]", imports


def _serialize_pattern(value: re.Pattern) -> Serialized:
    pattern, imports = serialize(value.pattern)
    if value.flags & ~re.UNICODE:
        return f"re.compile({pattern}, {int(value.flags & ~re.UNICODE)})", imports | {"import re"}
    return f"re.compile({pattern})", imports | {"import re"}


# -- containers ---------------------------------------------------------------------


def _serialize_items(values) -> tuple[list[str], set[str]]:
    sources, imports = [], set()
    for item in values:
        source, item_imports = serialize(item)
        sources.append(source)
        imports |= item_imports
    return sources, imports


def _serialize_list(value: list) -> Serialized:
    sources, imports = _serialize_items(value)
    return f"[{', '.join(sources)}]", imports


def _serialize_tuple(value: tuple) -> Serialized:
    sources, imports = _serialize_items(value)
    if len(sources) == 1:
        return f"({sources[0]},)", imports
    return f"({', '.join(sources)})", imports


def _serialize_set(value: set | frozenset) -> Serialized:
    sources, imports = _serialize_items(value)
    sources.sort()
    if isinstance(value, frozenset):
        return f"frozenset({{{', '.join(sources)}}})" if sources else "frozenset()", imports
    return f"{{{', '.join(sources)}}}" if sources else "set()", imports


def _serialize_dict(value: dict) -> Serialized:
    pairs, imports = [], set()
    for key, item in value.items():
        key_source, key_imports = serialize(key)
        item_source, item_imports = serialize(item)
        pairs.append((key_source, item_source))
        imports |= key_imports | item_imports
    pairs.sort(key=lambda pair: pair[0])
    return "{" + ", ".join(f"{key}: {item}" for key, item in pairs) + "}", imports


# -- code references ------------------------------------------------------------------


def _serialize_class(value: type) -> Serialized:
    if value.__module__ == "builtins":
        if getattr(builtins, value.__qualname__, None) is value:
            return value.__qualname__, set()
    if _is_model_class(value):
        return serialize_string(value._meta.label), set()  # type: ignore[attr-defined]
    if "<locals>" in value.__qualname__:
        raise SerializationError(
            value, "classes defined inside a function cannot be imported; move it to module level"
        )
    if value.__module__ == "__main__":
        raise SerializationError(value, "classes of __main__ cannot be imported by a migration")
    return import_path_of(f"{value.__module__}.{value.__qualname__}")


def _serialize_function(value) -> Serialized:
    inline = (inline_functions.get() or {}).get(id(value))
    if inline is not None:
        return inline, set()
    name = getattr(value, "__qualname__", getattr(value, "__name__", ""))
    self_object = getattr(value, "__self__", None)
    if isinstance(self_object, type):
        # A classmethod: class path + method name.
        class_source, imports = _serialize_class(self_object)
        return f"{class_source}.{value.__name__}", imports
    if self_object is not None and not isinstance(self_object, types.ModuleType):
        raise SerializationError(value, "bound methods of instances cannot be imported")
    if getattr(value, "__name__", "") == "<lambda>":
        raise SerializationError(value, "lambdas cannot be imported; use a module-level function")
    if "<" in name:
        raise SerializationError(
            value, "nested functions cannot be imported; move it to module level"
        )
    module = getattr(value, "__module__", None)
    if module is None:
        raise SerializationError(value, "the function has no module to import it from")
    if module == "__main__":
        raise SerializationError(value, "functions of __main__ cannot be imported by a migration")
    if module == "builtins":
        return name, set()
    if not all(_IDENTIFIER.match(part) for part in module.split(".")):
        raise SerializationError(
            value, f"its module {module} cannot be imported by name (a migration file?); "
            "move the function to a regular module"
        )
    return import_path_of(f"{module}.{name}")


def _importable_function(value) -> bool:
    name = getattr(value, "__qualname__", "")
    return "<" not in name


def _serialize_partial(value: functools.partial) -> Serialized:
    func_source, imports = serialize(value.func)
    args, arg_imports = _serialize_items(value.args)
    kwargs, kwarg_imports = _serialize_kwargs(value.keywords)
    parts = [func_source, *args, *kwargs]
    return f"functools.partial({', '.join(parts)})", (
        imports | arg_imports | kwarg_imports | {"import functools"}
    )


def _serialize_kwargs(kwargs: dict) -> tuple[list[str], set[str]]:
    parts, imports = [], set()
    for key in sorted(kwargs, key=str):
        source, item_imports = serialize(kwargs[key])
        imports |= item_imports
        if isinstance(key, str) and _IDENTIFIER.match(key):
            parts.append(f"{key}={source}")
        else:
            parts.append(f"**{{{serialize(key)[0]}: {source}}}")
    return parts, imports


def serialize_call(path: str, args, kwargs: dict) -> Serialized:
    """``path(*args, **kwargs)`` as source, the path shortened to ``orm.X`` when possible."""
    callee, imports = import_path_of(path)
    arg_sources, arg_imports = _serialize_items(args)
    kwarg_sources, kwarg_imports = _serialize_kwargs(kwargs)
    return (
        f"{callee}({', '.join([*arg_sources, *kwarg_sources])})",
        imports | arg_imports | kwarg_imports,
    )


def _serialize_deconstructible(value) -> Serialized:
    deconstructed = value.deconstruct()
    if len(deconstructed) == 4:  # a field: (name, path, args, kwargs); the name is not an argument
        _name, path, args, kwargs = deconstructed
    elif len(deconstructed) == 5:  # a manager: (as_manager, path, queryset_path, args, kwargs)
        as_manager, path, queryset_path, args, kwargs = deconstructed
        if as_manager:
            source, imports = import_path_of(queryset_path)
            return f"{source}.as_manager()", imports
    else:
        path, args, kwargs = deconstructed
    try:
        return serialize_call(path, args, kwargs)
    except SerializationError as error:
        raise SerializationError(
            error.value, f"{error.reason} (inside {_safe_repr(value)})"
        ) from None


def _serialize_expression(value) -> Serialized | None:
    """``F`` and ``OuterRef`` (every other expression has ``deconstruct()``)."""
    try:
        import orm
    except ImportError:  # pragma: no cover
        return None
    cls = type(value)
    if getattr(orm, cls.__name__, None) is cls and isinstance(value, orm.F):
        return serialize_call(f"orm.{cls.__name__}", [value.name], {})
    return None


def _is_model_class(value) -> bool:
    meta = getattr(value, "_meta", None)
    return isinstance(value, type) and meta is not None and hasattr(meta, "label")


# Order matters: bool before int, datetime before date, enum before int/str.
_SERIALIZERS: list[tuple[Any, Any]] = [
    (enum.Enum, _serialize_enum),
    (type(None), _serialize_none_or_bool),
    (bool, _serialize_none_or_bool),
    (int, _serialize_int),
    (float, _serialize_float),
    (str, _serialize_str),
    ((bytes, bytearray), _serialize_bytes),
    (decimal.Decimal, _serialize_decimal),
    (datetime.datetime, _serialize_datetime),
    (datetime.date, _serialize_date),
    (datetime.time, _serialize_time),
    (datetime.timedelta, _serialize_timedelta),
    (uuid.UUID, _serialize_uuid),
    (re.Pattern, _serialize_pattern),
    (list, _serialize_list),
    (tuple, _serialize_tuple),
    ((set, frozenset), _serialize_set),
    (dict, _serialize_dict),
]
