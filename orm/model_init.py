"""Code generated per model to fill a new instance from keywords without a loop over fields.

Two functions come from one description of the fields: ``init(instance,
kwargs)``, which ``Model.__init__`` calls, and an ``__init__`` put on the model
class itself (unless the class or a base between it and ``Model`` defines one),
whose fields are keyword-only parameters, so Python binds them in C. Anything
the generated ``__init__`` does not cover (positional arguments, unknown
keywords, init signals connected, a subclass, fields changed since) goes to
``Model.__init__`` unchanged.
"""

from __future__ import annotations

import inspect
import keyword
from typing import Any

from orm import signals
from orm.fields import NOT_PROVIDED

__all__ = ["MISSING", "NO_KWARGS", "init_function", "plain_attributes"]

MISSING = object()
#: What ``init`` returns when it used every keyword (never mutated: it is empty).
NO_KWARGS: dict[str, Any] = {}


def plain_attributes(cls, fields) -> list[bool]:
    """Per field: whether ``instance.<attname>`` reads and stores the instance's own value.

    True when no ``__setattr__``/``__getattribute__`` of the class's own and no
    data descriptor sit on the attname (the field's ``DeferredAttribute`` only
    answers for a value that is missing). Generated code then uses attribute
    access, which lets CPython keep the values inline, without a dict per
    instance: creating objects is markedly cheaper.
    """
    if cls.__setattr__ is not object.__setattr__ or cls.__getattribute__ is not object.__getattribute__:
        return [False] * len(fields)
    return [
        _is_name(field.attname)
        and not hasattr(type(inspect.getattr_static(cls, field.attname, None)), "__set__")
        for field in fields
    ]


def _is_name(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text)


def init_function(cls, fields, general_init):
    """``init(instance, kwargs) -> unused kwargs`` for ``cls``'s ``fields`` (cached on ``_meta``).

    It fills the instance from keyword arguments and defaults exactly as the
    general loop would (a relation given by name goes through its descriptor).
    Generating it also puts the keyword-only ``__init__`` on ``cls`` where it
    may (``general_init`` is ``Model.__init__``, where it hands over). Cached
    for this ``concrete_fields`` list: a new list means the fields changed.
    """
    cached = cls._meta.__dict__.get("_init_function_cache")
    if cached is not None and cached[0] is fields:
        return cached[1]
    # Names in the generated code end with "_": field names never do.
    namespace: dict[str, Any] = {"MISSING_": MISSING, "NO_KWARGS_": NO_KWARGS, "setattr_": setattr}
    plain = dict(zip([field.attname for field in fields], plain_attributes(cls, fields)))

    def store(target: str, attname: str, value: str) -> str:
        if plain[attname]:
            return f"{target}.{attname} = {value}"
        return f"{target}.__dict__[{attname!r}] = {value}"

    with_kwargs: list[str] = []
    without: list[str] = []
    # When every keyword is a field's attname: one store per field, no pops.
    from_attnames: list[str] = []
    defaults: list[str] = []
    for index, field in enumerate(fields):
        name, attname = field.name, field.attname
        if field.default is not NOT_PROVIDED and callable(field.default):
            namespace[f"default{index}_"] = field.default
            default = f"default{index}_()"
            from_attnames.append(
                "        " + store("instance", attname, f"kwargs[{attname!r}] if {attname!r} in kwargs else {default}")
            )
        else:
            namespace[f"default{index}_"] = field.get_default()
            default = f"default{index}_"
            from_attnames.append("        " + store("instance", attname, f"get({attname!r}, {default})"))
        defaults.append(default)
        without.append("        " + store("instance", attname, default))
        if field.is_relation:
            with_kwargs += [
                f"    if {name!r} in kwargs:",
                f"        setattr_(instance, {name!r}, pop({name!r}))",
                "    else:",
                f"        value = pop({attname!r}, MISSING_)",
                "        " + store("instance", attname, f"{default} if value is MISSING_ else value"),
            ]
        else:
            with_kwargs += [f"    value = pop({attname!r}, MISSING_)"]
            if name != attname:
                with_kwargs += ["    if value is MISSING_:", f"        value = pop({name!r}, MISSING_)"]
            with_kwargs += ["    " + store("instance", attname, f"{default} if value is MISSING_ else value")]
    namespace["ATTNAMES_"] = frozenset(field.attname for field in fields)
    lines = [
        "def init(instance, kwargs):",
        "    if not kwargs:",
        *without,
        "        return kwargs",
        "    if kwargs.keys() <= ATTNAMES_:",
        "        get = kwargs.get",
        *from_attnames,
        "        return NO_KWARGS_",
        "    pop = kwargs.pop",
        *with_kwargs,
        "    return kwargs",
        "",
    ]
    if fields and _may_install(cls, general_init) and all(_is_name(field.name) and _is_name(field.attname) for field in fields):
        namespace.update(
            {"CLS_": cls, "FIELDS_": fields, "META_": cls._meta.__dict__, "GENERAL_": general_init,
             "PRE_": signals.pre_init, "POST_": signals.post_init, "type_": type}
        )
        lines += _class_init_lines(fields, defaults, store)
    exec(compile("\n".join(lines), f"<__init__ of {cls.__name__}>", "exec"), namespace)  # noqa: S102
    function = namespace["init"]
    cls._meta._init_function_cache = (fields, function)
    class_init = namespace.get("__init__")
    if class_init is not None:
        class_init.__qualname__ = f"{cls.__qualname__}.__init__"
        class_init.__doc__ = general_init.__doc__
        class_init._generated_init = True
        cls.__init__ = class_init
    return function


def _may_install(cls, general_init) -> bool:
    """Whether ``cls.__init__`` is ``Model.__init__`` or one generated here (nothing of the user's)."""
    for klass in cls.__mro__:
        own = klass.__dict__.get("__init__")
        if own is not None:
            return own is general_init or getattr(own, "_generated_init", False)
    return False


def _class_init_lines(fields, defaults, store) -> list[str]:
    """Source of the keyword-only ``__init__`` (see the module docstring)."""
    parameters: list[str] = []
    given: list[str] = []
    hand_over: list[str] = []
    body: list[str] = []
    for field, default in zip(fields, defaults):
        name, attname = field.name, field.attname
        parameters.append(f"{attname}=MISSING_")
        given.append(f"({attname!r}, {attname})")
        if name != attname:
            parameters.append(f"{name}=MISSING_")
            given.append(f"({name!r}, {name})")
        if field.is_relation:
            # Both the object and its key given: Model.__init__ decides, as it always has.
            hand_over.append(f"({name} is not MISSING_ and {attname} is not MISSING_)")
            body += [
                f"    if {name} is not MISSING_:",
                f"        setattr_(_instance_, {name!r}, {name})",
                "    else:",
                "        " + store("_instance_", attname, f"{default} if {attname} is MISSING_ else {attname}"),
            ]
        else:
            if name != attname:
                hand_over.append(f"{name} is not MISSING_")
            body.append("    " + store("_instance_", attname, f"{default} if {attname} is MISSING_ else {attname}"))
    conditions = [
        "_args_", "_kwargs_", "PRE_._receivers", "POST_._receivers", "type_(_instance_) is not CLS_",
        'META_.get("concrete_fields") is not FIELDS_', *hand_over,
    ]
    return [
        f"def __init__(_instance_, /, *_args_, {', '.join(parameters)}, **_kwargs_):",
        f"    if {' or '.join(conditions)}:",
        f"        given_ = {{key_: value_ for key_, value_ in ({', '.join(given)},) if value_ is not MISSING_}}",
        "        return GENERAL_(_instance_, *_args_, **given_, **_kwargs_)",
        *body,
        "",
    ]
