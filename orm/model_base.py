"""``ModelBase``: the metaclass that turns a class statement into a model.

It builds ``_meta`` (merging the ``Meta`` of abstract parents), binds fields,
copies abstract parents' fields, indexes and constraints, adds the default
primary key and manager, checks the result and registers the model.
"""

from __future__ import annotations

import copy
from typing import Any

from orm import signals
from orm.exceptions import (
    FieldError,
    ImproperlyConfigured,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
)
from orm.options import Options, proxy_field_message
from orm.registry import registry

__all__ = ["ModelBase"]


def _subclass_exception(name: str, bases: tuple, module: str, attached_to) -> type:
    return type(name, bases, {"__module__": module, "__qualname__": f"{attached_to.__qualname__}.{name}"})


def _default_auto_field():
    from orm.config import settings

    path = settings.get().default_auto_field
    import orm

    if path.startswith("orm."):
        return getattr(orm, path[4:])
    import importlib

    module_name, _, class_name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)


class ModelBase(type):
    """Builds ``_meta``, binds fields, adds the default pk and manager, registers the model."""

    def __new__(mcs, name, bases, attrs, **kwargs):
        parents = [base for base in bases if isinstance(base, ModelBase)]
        if not parents:
            return super().__new__(mcs, name, bases, attrs, **kwargs)

        module = attrs.pop("__module__")
        new_attrs: dict[str, Any] = {"__module__": module}
        if "__qualname__" in attrs:
            new_attrs["__qualname__"] = attrs.pop("__qualname__")
        meta = declared_meta = attrs.pop("Meta", None)
        contributable = {}
        for key, value in list(attrs.items()):
            if hasattr(value, "contribute_to_class") and not isinstance(value, type):
                contributable[key] = value
            else:
                new_attrs[key] = value
        new_class = super().__new__(mcs, name, bases, new_attrs, **kwargs)

        abstract = getattr(meta, "abstract", False)
        base_meta = getattr(new_class, "_meta", None)
        app_label = getattr(meta, "app_label", None)
        if app_label is None:
            if base_meta is not None and base_meta.abstract and base_meta.app_label and not abstract:
                app_label = None
            app_label = registry.app_label_for_module(module)
        if meta is None and base_meta is not None and base_meta.abstract:
            meta = _inherited_meta(base_meta)
        elif meta is not None and base_meta is not None and base_meta.abstract and not hasattr(meta, "abstract"):
            meta = _merge_meta(meta, base_meta)
        opts = Options(meta, app_label)
        opts.contribute_to_class(new_class, "_meta")
        if abstract:
            opts.abstract = True

        if not abstract:
            new_class.DoesNotExist = _subclass_exception(
                "DoesNotExist",
                tuple(p.DoesNotExist for p in parents if hasattr(p, "_meta") and not p._meta.abstract)
                or (ObjectDoesNotExist,),
                module,
                new_class,
            )
            new_class.MultipleObjectsReturned = _subclass_exception(
                "MultipleObjectsReturned",
                tuple(
                    p.MultipleObjectsReturned
                    for p in parents
                    if hasattr(p, "_meta") and not p._meta.abstract
                )
                or (MultipleObjectsReturned,),
                module,
                new_class,
            )

        concrete_parents = [p for p in parents if hasattr(p, "_meta") and not p._meta.abstract]
        if opts.proxy:
            if len(concrete_parents) != 1:
                raise ImproperlyConfigured(
                    f"proxy model {name} must inherit from exactly one concrete model"
                )
            base = concrete_parents[0]
            opts.concrete_model = base._meta.concrete_model
            opts.proxy_for_model = base
            opts.db_table = base._meta.db_table
        elif concrete_parents:
            raise ImproperlyConfigured(
                f"{name}: multi-table inheritance (subclassing the concrete model "
                f"{concrete_parents[0].__name__}) is not supported; make "
                f"{concrete_parents[0].__name__} abstract (Meta.abstract = True) or use "
                "Meta.proxy = True"
            )
        else:
            opts.concrete_model = new_class

        try:
            for attr_name, value in contributable.items():
                new_class.add_to_class(attr_name, value)
            if opts.proxy:
                _setup_proxy(new_class)
        except (ImproperlyConfigured, FieldError):
            registry.forget_relations(new_class)
            raise

        if not opts.proxy:
            # Fields of abstract parents are copied into each concrete child.
            declared = {field.name for field in opts.local_fields} | {
                field.name for field in opts.local_many_to_many
            } | set(contributable)
            for parent in reversed(new_class.__mro__[1:]):
                parent_meta = parent.__dict__.get("_meta")
                if parent_meta is None or not parent_meta.abstract:
                    continue
                for field in parent_meta.local_fields + parent_meta.local_many_to_many + parent_meta.private_fields:
                    if field.name in declared or _shadowed(new_class, field.name):
                        continue
                    declared.add(field.name)
                    new_class.add_to_class(field.name, copy.deepcopy(field))
            for parent in reversed(new_class.__mro__[1:]):
                parent_meta = parent.__dict__.get("_meta")
                if parent_meta is None or not parent_meta.abstract:
                    continue
                for index in parent_meta.indexes:
                    if not any(getattr(i, "name", None) == getattr(index, "name", object()) for i in opts.indexes):
                        opts.indexes.append(copy.copy(index))
                for constraint in parent_meta.constraints:
                    if not any(c.name == constraint.name for c in opts.constraints):
                        opts.constraints.append(copy.copy(constraint))
            _interpolate_names(opts)

        if abstract:
            new_class._meta.abstract = True
            _collect_managers(new_class, parents)
            # As Django: a child may extend it (``class Meta(Base.Meta)``) without being abstract.
            declared_meta.abstract = False
            new_class.Meta = declared_meta
            return new_class

        if opts.pk is None and not opts.proxy:
            auto = _default_auto_field()(verbose_name="ID", primary_key=True, auto_created=True)
            new_class.add_to_class("id", auto)
            opts.local_fields.sort()
        opts.setup_table()
        _collect_managers(new_class, parents)
        try:
            _check_model(new_class)
        except ImproperlyConfigured:
            registry.forget_relations(new_class)
            raise
        registry.register_model(opts.app_label, new_class)
        new_class._prepare_row_factory_cache()
        signals.class_prepared.send(sender=new_class)
        return new_class

    def add_to_class(cls, name: str, value: Any) -> None:
        if hasattr(value, "contribute_to_class") and not isinstance(value, type):
            value.contribute_to_class(cls, name)
        else:
            setattr(cls, name, value)

    @property
    def _base_manager(cls):
        return cls._meta.base_manager

    @property
    def _default_manager(cls):
        return cls._meta.default_manager


def _setup_proxy(cls) -> None:
    """Give proxy model ``cls`` the fields of the model it proxies, after its own generic relations.

    A proxy adds no column: fields declared on it (the class body refuses them
    as they come, see ``Options.add_field``) or on an abstract parent raise
    ``FieldError``. Private fields (generic relations) are allowed: the proxy
    keeps its own and those of its abstract parents, and shares its parent's.
    """
    opts = cls._meta
    parent_opts = opts.proxy_for_model._meta
    declared = {field.name for field in opts.private_fields}
    for parent in reversed(cls.__mro__[1:]):
        parent_meta = parent.__dict__.get("_meta")
        if parent_meta is None or not parent_meta.abstract or issubclass(opts.proxy_for_model, parent):
            continue
        concrete = [field.name for field in parent_meta.local_fields + parent_meta.local_many_to_many]
        if concrete:
            raise FieldError(proxy_field_message(opts, concrete, origin=parent.__name__))
        for field in parent_meta.private_fields:
            if field.name not in declared and not _shadowed(cls, field.name):
                declared.add(field.name)
                cls.add_to_class(field.name, copy.deepcopy(field))
    own_private = list(opts.private_fields)
    opts.local_fields = parent_opts.local_fields
    opts.local_many_to_many = parent_opts.local_many_to_many
    opts.private_fields = [
        *(field for field in parent_opts.private_fields if field.name not in declared),
        *own_private,
    ]
    opts.pk = parent_opts.pk
    parent_opts.add_proxy(opts)
    opts._expire_cache()


def _shadowed(cls, name: str) -> bool:
    """Whether ``name`` is a plain attribute of ``cls`` itself (it hides an inherited field)."""
    return name in cls.__dict__ and not hasattr(cls.__dict__[name], "field")


def _inherited_meta(base_meta: Options):
    attrs = {
        key: copy.copy(value)
        for key, value in base_meta.original_attrs.items()
        if key not in ("abstract", "db_table", "proxy")
    }
    return type("Meta", (), attrs)


def _merge_meta(meta, base_meta: Options):
    attrs = {
        key: copy.copy(value)
        for key, value in base_meta.original_attrs.items()
        if key not in ("abstract", "db_table", "proxy")
    }
    attrs.update({key: value for key, value in meta.__dict__.items() if not key.startswith("__")})
    return type("Meta", (), attrs)


def _interpolate_names(opts: Options) -> None:
    replacements = {"app_label": opts.app_label, "class": opts.model_name}
    for index in opts.indexes:
        if getattr(index, "name", None) and "%(" in index.name:
            index.name = index.name % replacements
    for constraint in opts.constraints:
        if "%(" in constraint.name:
            constraint.name = constraint.name % replacements


def _collect_managers(cls, parents) -> None:
    from orm.manager import Manager

    opts = cls._meta
    managers = []
    seen = set()
    for klass in cls.__mro__:
        for attr_name, value in list(vars(klass).items()):
            if isinstance(value, Manager) and attr_name not in seen:
                seen.add(attr_name)
                if klass is not cls:
                    value = copy.copy(value)
                    value._set_creation_counter_from(vars(klass)[attr_name])
                    setattr(cls, attr_name, value)
                value.name = attr_name
                value.model = cls
                managers.append(value)
    managers.sort(key=lambda manager: manager.creation_counter)
    if not managers and not opts.abstract:
        manager = Manager()
        manager.name = "objects"
        manager.model = cls
        manager.auto_created = True
        if "objects" in cls.__dict__ or any("objects" in vars(k) for k in cls.__mro__[1:-1] if isinstance(k, ModelBase)):
            raise ImproperlyConfigured(
                f"{cls.__name__}: 'objects' is taken by a field or attribute; declare a manager"
            )
        cls.objects = manager
        managers.append(manager)
    opts.managers = managers


def _check_model(cls) -> None:
    opts = cls._meta
    problems: list[str] = []
    columns: dict[str, str] = {}
    for field in opts.local_fields:
        problems.extend(field.check())
        if field.column:
            if field.column in columns:
                problems.append(
                    f"{opts.object_name}.{field.name}: column {field.column!r} is already used "
                    f"by {opts.object_name}.{columns[field.column]}; set db_column to a unique name"
                )
            columns[field.column] = field.name
    for field in opts.local_many_to_many + opts.private_fields:
        if hasattr(field, "check"):
            problems.extend(field.check())
    field_names = {field.name for field in opts.local_fields + opts.local_many_to_many + opts.private_fields}
    attnames = {field.attname for field in opts.local_fields}
    for together in opts.unique_together:
        for name in together:
            if name not in field_names and name not in attnames:
                problems.append(
                    f"{opts.object_name}.Meta.unique_together refers to unknown field {name!r}"
                )
    for entry in opts.ordering:
        if not isinstance(entry, str) or entry == "?":
            continue
        head = entry.lstrip("-+").split("__", 1)[0]
        if head != "pk" and head not in field_names and head not in attnames and "__" not in entry:
            problems.append(f"{opts.object_name}.Meta.ordering refers to unknown field {head!r}")
    index_names = set()
    for index in opts.indexes:
        if not getattr(index, "name", None):
            index.set_name_with_model(cls)
        if index.name in index_names:
            problems.append(f"{opts.object_name}: duplicate index name {index.name!r}")
        index_names.add(index.name)
        for name in index.field_names:
            if name not in field_names and name not in attnames:
                problems.append(
                    f"{opts.object_name}: index {index.name!r} refers to unknown field {name!r}"
                )
    for constraint in opts.constraints:
        for name in getattr(constraint, "fields", ()):
            if name not in field_names and name not in attnames:
                problems.append(
                    f"{opts.object_name}: constraint {constraint.name!r} refers to unknown field {name!r}"
                )
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
