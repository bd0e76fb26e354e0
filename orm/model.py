"""``orm.Model``: the instance API (init, save, delete, refresh, validation, pickling).

The metaclass that builds each model class lives in ``orm/model_base.py``.
"""

from __future__ import annotations

import copy
from typing import Any

from orm import signals
from orm.connections import connections
from orm.exceptions import (
    DatabaseError,
    FieldDoesNotExist,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ValidationError,
)
from orm.fields import DatabaseDefault, DeferredAttribute
from orm.model_base import ModelBase
from orm.model_init import init_function
from orm.options import Options
from orm.query.async_api import AsyncModelMethods
from orm.query.q import Q
from orm.registry import registry
from orm.routers import router

__all__ = ["Model", "ModelBase", "ModelState"]


class ModelState:
    """Per-instance bookkeeping: new or loaded, which database, cached relations."""

    __slots__ = ("adding", "db", "fields_cache")

    def __init__(self, adding: bool = True, db: str | None = None):
        self.adding = adding
        self.db = db
        self.fields_cache: dict[str, Any] = {}

    def __getstate__(self):
        return {"adding": self.adding, "db": self.db, "fields_cache": dict(self.fields_cache)}

    def __setstate__(self, state):
        self.adding = state["adding"]
        self.db = state["db"]
        self.fields_cache = state["fields_cache"]


def _related_preparers(cls) -> list:
    """The ``prepare_for_save`` methods of ``cls``'s relation fields (cached on ``_meta``)."""
    opts = cls._meta
    fields = opts.concrete_fields
    cached = opts.__dict__.get("_prepare_for_save_cache")
    if cached is None or cached[0] is not fields:
        prepares = [
            field.prepare_for_save for field in fields
            if field.is_relation and getattr(field, "prepare_for_save", None) is not None
        ]
        cached = opts._prepare_for_save_cache = (fields, prepares)
    return cached[1]


_persistence_functions: tuple = ()


def _persistence():
    """(insert_instance, update_instance), imported on first use (orm.query imports this module)."""
    global _persistence_functions
    if not _persistence_functions:
        from orm.query.persistence import insert_instance, update_instance

        _persistence_functions = (insert_instance, update_instance)
    return _persistence_functions


_MISSING = object()
_pre_init = signals.pre_init
_post_init = signals.post_init


def _init_function(cls, fields):
    """The generated ``init(instance, kwargs)`` of ``cls`` (see orm/model_init.py)."""
    return init_function(cls, fields, Model.__init__)


#: Key of ``instance.__dict__`` holding the database alias of a loaded row until its
#: ``_state`` is first used (see _NewInstanceState).
LOADED_FROM = "_state_db"


class _NewInstanceState:
    """``instance._state`` of an object made by ``__init__``: created on first use.

    A new object often never needs its state before it is saved (``bulk_create``
    of many objects, say); not allocating it up front keeps object creation
    cheap. Assigning ``instance._state`` stores it in the instance as usual.
    """

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        data = instance.__dict__
        # Rows loaded by the generated loaders (orm/query/row_factory.py) carry only the
        # alias: an instance whose __dict__ holds plain values is not tracked by the GC.
        db = data.pop(LOADED_FROM, _MISSING)
        if db is _MISSING:
            state = data["_state"] = ModelState()
            return state
        state = data["_state"] = ModelState(False, db)
        # Related objects a select_related loader left beside the values (``(key of
        # __dict__, fields_cache key)`` pairs, see orm/query/row_factory.py).
        for name, key in type(instance)._loaded_related:
            if name in data:
                state.fields_cache[key] = data.pop(name)
        return state


def mark_saved(instances, using: str) -> None:
    """Mark freshly written instances as saved to ``using`` (``_state.adding`` false).

    An instance whose state was never used gets only the alias, as a loaded
    row does: its state is built on first use (see _NewInstanceState).
    """
    for instance in instances:
        data = instance.__dict__
        state = data.get("_state")
        if state is None:
            data[LOADED_FROM] = using
        else:
            state.adding = False
            state.db = using


class Model(AsyncModelMethods, metaclass=ModelBase):
    """Base class of every model (see SPEC §3)."""

    _state = _NewInstanceState()
    _loaded_related: tuple[tuple[str, str], ...] = ()
    _meta: Options
    DoesNotExist: type[ObjectDoesNotExist]
    MultipleObjectsReturned: type[MultipleObjectsReturned]

    def __init__(self, *args, **kwargs):
        cls = type(self)
        opts = cls._meta
        known = opts.__dict__
        cached = known.get("_init_function_cache")
        if (
            cached is not None and not args and cached[0] is known.get("concrete_fields")
            and not _pre_init._receivers and not _post_init._receivers
        ):
            # Keywords only, no init signals connected, fields unchanged since the
            # function was generated (it is never generated for an abstract model).
            kwargs = cached[1](self, kwargs)
            if kwargs:
                self._set_remaining_kwargs(kwargs)
            return
        if opts.abstract:
            raise TypeError(f"{cls.__name__} is abstract and cannot be instantiated")
        send_init = signals.pre_init.has_listeners(cls)
        if send_init:
            signals.pre_init.send(sender=cls, args=args, kwargs=kwargs)
        fields = opts.concrete_fields
        if not args:
            cached = opts.__dict__.get("_init_function_cache")
            if cached is not None and cached[0] is fields:
                kwargs = cached[1](self, kwargs)
            else:
                kwargs = _init_function(cls, fields)(self, kwargs)
        elif len(args) > len(fields):
            raise TypeError(f"{cls.__name__}() takes at most {len(fields)} positional arguments")
        data = self.__dict__
        for field, value in zip(fields, args):
            if field.name in kwargs:
                raise TypeError(f"{cls.__name__}() got multiple values for {field.name!r}")
            data[field.attname] = value
        for field in fields[len(args):] if args else ():
            is_related_object = False
            if field.is_relation and field.name in kwargs:
                value = kwargs.pop(field.name)
                is_related_object = True
            elif field.attname in kwargs:
                value = kwargs.pop(field.attname)
            elif field.name in kwargs and field.name != field.attname:
                value = kwargs.pop(field.name)
            else:
                value = field.get_default()
            if is_related_object:
                setattr(self, field.name, value)
            else:
                data[field.attname] = value
        if kwargs:
            self._set_remaining_kwargs(kwargs)
        if send_init or signals.post_init.has_listeners(cls):
            signals.post_init.send(sender=cls, instance=self)

    def _set_remaining_kwargs(self, kwargs) -> None:
        """Assign keywords that are not fields (properties, descriptors); TypeError for the rest."""
        cls = type(self)
        opts = cls._meta
        for name in list(kwargs):
            attribute = getattr(cls, name, None)
            if isinstance(attribute, property) and attribute.fset is not None or (
                attribute is not None and hasattr(attribute, "__set__") and not isinstance(attribute, property)
            ) or isinstance(attribute, DeferredAttribute):  # an attname given with its relation's name
                setattr(self, name, kwargs.pop(name))
        if kwargs:
            valid = sorted(
                {f.name for f in opts.concrete_fields}
                | {f.attname for f in opts.concrete_fields}
                | {f.name for f in opts.private_fields}
            )
            unknown = ", ".join(repr(name) for name in kwargs)
            raise TypeError(
                f"{cls.__name__}() got unexpected keyword argument(s) {unknown}; "
                f"valid fields: {', '.join(valid)}"
            )

    @classmethod
    def _prepare_row_factory_cache(cls) -> None:
        from orm.query.row_factory import prepare_model  # orm.query imports this module

        prepare_model(cls)

    @classmethod
    def from_db(cls, db: str | None, field_names, values):
        """An instance built from a database row, without running ``__init__``."""
        instance = cls.__new__(cls)
        instance.__dict__.update(zip(field_names, values))
        state = ModelState(False, db)
        instance._state = state
        if signals.post_init.has_listeners(cls):
            signals.post_init.send(sender=cls, instance=instance)
        return instance

    # -- identity -----------------------------------------------------------------

    def _get_pk_val(self, meta=None):
        meta = meta or self._meta
        return self.__dict__.get(meta.pk.attname)

    def _set_pk_val(self, value):
        setattr(self, self._meta.pk.attname, value)

    pk = property(_get_pk_val, _set_pk_val)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"

    def __str__(self) -> str:
        return f"{type(self).__name__} object ({self.pk})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        if self._meta.concrete_model is not other._meta.concrete_model:
            return False
        my_pk = self.pk
        if my_pk is None:
            return self is other
        return my_pk == other.pk

    def __hash__(self) -> int:
        if self.pk is None:
            raise TypeError("Model instances without a primary key value are unhashable")
        return hash((self._meta.concrete_model, self.pk))

    def __reduce__(self):
        return (_unpickle_model, (self._meta.label,), self.__getstate__())

    def __getstate__(self):
        model_state = copy.copy(self._state)
        state = self.__dict__.copy()
        state["_state"] = model_state
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _get_field_display(self, field) -> str:
        value = getattr(self, field.attname)
        for key, label in field.flatchoices:
            if key == value:
                return str(label)
        return "" if value is None else str(value)

    def _get_next_or_previous_by_FIELD(self, field, is_next: bool, **kwargs):
        """``get_next_by_<date field>()`` / ``get_previous_by_...``: the neighbour in that order.

        As Django: ties on the date are broken by primary key; ``kwargs`` filter
        the candidates; the default manager on this object's database is used.
        """
        if self.pk is None:
            raise ValueError("get_next/get_previous cannot be used on unsaved objects.")
        op = "gt" if is_next else "lt"
        order = "" if is_next else "-"
        value = getattr(self, field.attname)
        same_date_after = Q(**{field.name: value, f"pk__{op}": self.pk})
        manager = type(self)._default_manager.db_manager(self._state.db)
        candidates = manager.filter(**kwargs).filter(Q(**{f"{field.name}__{op}": value}) | same_date_after)
        found = candidates.order_by(f"{order}{field.name}", f"{order}pk")[:1]
        for obj in found:
            return obj
        raise self.DoesNotExist(f"{self._meta.object_name} matching query does not exist.")

    def get_deferred_fields(self) -> set[str]:
        """Attribute names not loaded (``only()``/``defer()``)."""
        return {field.attname for field in self._meta.concrete_fields if field.attname not in self.__dict__}

    def serializable_value(self, field_name: str):
        try:
            field = self._meta.get_field(field_name)
        except FieldDoesNotExist:
            return getattr(self, field_name)
        return getattr(self, field.attname)

    # -- saving -------------------------------------------------------------------

    def save(self, force_insert: bool = False, force_update: bool = False, using: str | None = None, update_fields=None) -> None:
        """Insert or update this row (``update_fields`` limits an update to those fields)."""
        opts = self._meta
        if force_insert and (force_update or update_fields):
            raise ValueError("cannot force both insert and updating in model saving")
        self._prepare_related_fields_for_save()
        using = using or router.db_for_write(type(self), instance=self)
        if update_fields is not None:
            if not update_fields:
                return
            names = set()
            for name in update_fields:
                try:
                    field = opts.get_field(name)
                except FieldDoesNotExist:
                    raise ValueError(
                        f"{opts.object_name}.save(update_fields=...): unknown field {name!r}"
                    ) from None
                if not field.concrete or field.many_to_many or field.primary_key:
                    raise ValueError(
                        f"{opts.object_name}.save(update_fields=...): {name!r} is not a concrete "
                        "non-primary-key field"
                    )
                names.add(field.name)
            update_fields = frozenset(names)
        elif not force_insert and not self._state.adding and self._state.db == using:
            deferred = self.get_deferred_fields()
            if deferred:
                update_fields = frozenset(
                    field.name for field in opts.concrete_fields
                    if not field.primary_key and field.attname not in deferred
                )
        self.save_base(using=using, force_insert=force_insert, force_update=force_update, update_fields=update_fields)

    def _prepare_related_fields_for_save(self) -> None:
        known = self._meta.__dict__
        cached = known.get("_prepare_for_save_cache")
        # The cache of _related_preparers, valid while concrete_fields is the same list.
        if cached is not None and cached[0] is known.get("concrete_fields"):
            preparers = cached[1]
        else:
            preparers = _related_preparers(type(self))
        for prepare in preparers:
            prepare(self)

    def save_base(self, using=None, force_insert=False, force_update=False, update_fields=None, raw=False) -> None:
        cls = type(self)
        opts = cls._meta
        pre_save, post_save = signals.pre_save, signals.post_save
        if pre_save._receivers:
            origin = opts.concrete_model if opts.proxy else cls
            if pre_save.has_listeners(origin) or (opts.proxy and pre_save.has_listeners(cls)):
                pre_save.send(sender=cls, instance=self, raw=raw, using=using, update_fields=update_fields)
        if post_save._receivers and post_save.has_listeners(cls):
            from orm.transaction import atomic

            with atomic(using=using, savepoint=False):
                updated = self._save_table(using, force_insert, force_update, update_fields)
        else:
            try:
                updated = self._save_table(using, force_insert, force_update, update_fields)
            except Exception as error:
                from orm.transaction import mark_for_rollback_on_error

                mark_for_rollback_on_error(using, error)
                raise
        mark_saved((self,), using)
        if post_save._receivers and post_save.has_listeners(cls):
            post_save.send(
                sender=cls, instance=self, created=not updated, update_fields=update_fields, raw=raw, using=using
            )

    def _save_table(self, using, force_insert, force_update, update_fields) -> bool:
        """Run the UPDATE or INSERT; True when an existing row was updated."""
        insert_instance, update_instance = _persistence()
        opts = self._meta
        pk_value = self.pk
        data = self.__dict__
        state = data.get("_state")
        # Without a state yet, the instance is new unless it was loaded (see _NewInstanceState).
        adding = state.adding if state is not None else LOADED_FROM not in data
        if pk_value is None and opts.pk.has_default() and adding:
            pk_value = opts.pk.get_default()
            setattr(self, opts.pk.attname, pk_value)
        connection = connections[using]
        if pk_value is not None and not force_insert:
            non_pk = [field for field in opts.concrete_fields if not field.primary_key]
            if update_fields:
                non_pk = [field for field in non_pk if field.name in update_fields or field.attname in update_fields]
            # A new instance whose pk came from a default is inserted straight away.
            try_update = not (adding and opts.pk.has_default())
            if try_update or force_update or update_fields:
                values = [(field, field.pre_save(self, False)) for field in non_pk]
                rows = update_instance(self, values, connection) if values else (
                    1 if type(self)._base_manager.using(using).filter(pk=pk_value).exists() else 0
                )
                if rows:
                    return True
                # Django raises DatabaseError here: the update affected no rows.
                if force_update:
                    raise DatabaseError(
                        f"{opts.object_name}.save(force_update=True) found no row with pk={pk_value!r}"
                    )
                if update_fields:
                    raise DatabaseError(
                        f"{opts.object_name}.save(update_fields=...) found no row with pk={pk_value!r}"
                    )
        insert_instance(self, connection)
        return False

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, using: str | None = None, keep_parents: bool = False):
        """Delete this row (and what cascades from it); returns ``(total, {label: count})``."""
        if self.pk is None:
            raise ValueError(
                f"{self._meta.object_name} object can't be deleted because its "
                f"{self._meta.pk.attname} attribute is set to None"
            )
        from orm.query.deletion import delete_objects

        using = using or router.db_for_write(type(self), instance=self)
        return delete_objects([self], using)

    delete.alters_data = True  # type: ignore[attr-defined]

    def refresh_from_db(self, using: str | None = None, fields=None, from_queryset=None) -> None:
        """Reload field values (all, or ``fields``) from the database."""
        opts = self._meta
        if fields is not None:
            fields = list(fields)
            if not fields:
                return
        queryset = from_queryset if from_queryset is not None else type(self)._base_manager.get_queryset()
        # As Django: the routers are asked first, with this instance as hint; without an
        # answer, the database the instance came from.
        queryset = queryset.using(using or queryset._db or router.db_for_read(type(self), instance=self))
        queryset = queryset.filter(pk=self.pk)
        if fields is not None:
            attnames = []
            for name in fields:
                field = opts.get_field(name)
                if field.concrete and field.column:
                    attnames.append(field.attname)
            queryset = queryset.only(*attnames)
        try:
            fresh = queryset.get()
        except self.DoesNotExist:
            raise self.DoesNotExist(
                f"{opts.object_name} with pk={self.pk!r} no longer exists"
            ) from None
        for field in opts.concrete_fields:
            if field.attname in fresh.__dict__ and (fields is None or field.attname in fields or field.name in fields):
                self.__dict__[field.attname] = fresh.__dict__[field.attname]
                if field.is_relation and field.name in self._state.fields_cache:
                    cached = self._state.fields_cache[field.name]
                    if cached is None or getattr(cached, "pk", None) != fresh.__dict__[field.attname]:
                        del self._state.fields_cache[field.name]
        if fields is None:
            self._state.fields_cache.clear()
            for relation in opts.related_objects:
                self._state.fields_cache.pop(relation.get_cache_name(), None) if hasattr(relation, "get_cache_name") else None
            prefetched = self.__dict__.get("_prefetched_objects_cache")
            if prefetched:
                prefetched.clear()
        self._state.db = fresh._state.db

    # -- validation ---------------------------------------------------------------

    def clean(self) -> None:
        """Model-wide validation hook; raise ``ValidationError`` here."""

    def clean_fields(self, exclude=None) -> None:
        """Validate each field; ``ValidationError`` with a message per failing field."""
        exclude = set(exclude or ())
        errors: dict[str, list[str]] = {}
        for field in self._meta.concrete_fields:
            if field.name in exclude or field.attname in exclude:
                continue
            raw = getattr(self, field.attname)
            if raw is DatabaseDefault:
                continue
            if field.blank and raw in field.empty_values:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            if field.primary_key and raw is None and field.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"):
                continue
            try:
                cleaned = field.clean(raw, self)
            except ValidationError as error:
                errors.setdefault(field.name, []).extend(error.messages)
            else:
                if not field.is_relation:
                    self.__dict__[field.attname] = cleaned
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None) -> None:
        """Check unique fields and ``unique_together`` against the database."""
        exclude = set(exclude or ())
        opts = self._meta
        errors: dict[str, list[str]] = {}
        checks: list[tuple[str, ...]] = []
        for field in opts.concrete_fields:
            if field.unique and field.name not in exclude and not field.primary_key:
                checks.append((field.name,))
        checks.extend(t for t in opts.unique_together if not exclude.intersection(t))
        for constraint in opts.constraints:
            fields = getattr(constraint, "fields", ())
            if fields and getattr(constraint, "condition", None) is None and not exclude.intersection(fields):
                checks.append(tuple(fields))
        manager = type(self)._base_manager
        for names in checks:
            lookup = {}
            skip = False
            for name in names:
                field = opts.get_field(name)
                value = getattr(self, field.attname)
                if value is None or value is DatabaseDefault:
                    skip = True
                    break
                lookup[field.attname] = value
            if skip:
                continue
            queryset = manager.using(self._state.db or router.db_for_read(type(self), instance=self)).filter(**lookup)
            if not self._state.adding and self.pk is not None:
                queryset = queryset.exclude(pk=self.pk)
            if queryset.exists():
                key = names[0] if len(names) == 1 else ValidationError.NON_FIELD_ERRORS
                label = ", ".join(names)
                errors.setdefault(key, []).append(
                    f"{str(opts.verbose_name).capitalize()} with this {label} already exists."
                )
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None) -> None:
        """Check ``CheckConstraint`` conditions in Python where they can be evaluated."""
        errors: dict[str, list[str]] = {}
        for constraint in self._meta.constraints:
            validate = getattr(constraint, "validate", None)
            if validate is None:
                continue
            try:
                validate(type(self), self, exclude=exclude)
            except ValidationError as error:
                error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def full_clean(self, exclude=None, validate_unique: bool = True, validate_constraints: bool = True) -> None:
        """``clean_fields()``, ``clean()``, ``validate_unique()``; one ValidationError for all."""
        errors: dict[str, list[str]] = {}
        exclude = set(exclude or ())
        try:
            self.clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            self.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if validate_unique:
            try:
                self.validate_unique(exclude=exclude | set(errors))
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if validate_constraints:
            try:
                self.validate_constraints(exclude=exclude | set(errors))
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _unpickle_model(label: str):
    model = registry.get_model(label, require_ready=False)
    return model.__new__(model)

