"""``GenericRelation``: the reverse side of a generic foreign key (``post.comments``).

It adds no column. It gives a related manager, lets queries join across it
(``Post.objects.filter(comments__text__contains="x")``, ``Count("comments")``),
and tells the on-delete collector which generic rows go with a deleted target
(``bulk_related_objects``).
"""

from __future__ import annotations

import copy
from functools import cached_property
from typing import Any

from contenttypes.fields import GenericForeignKey, content_type_manager, is_content_type_reference
from contenttypes.object_ids import key_column_sql, needs_cast, object_id_kind, to_object_id
from orm.exceptions import FieldDoesNotExist, ImproperlyConfigured
from orm.query.joins import PathInfo
from orm.query.q import Q
from orm.registry import registry
from orm.routers import router
from orm.transaction import atomic

__all__ = ["GenericRelation", "GenericRel", "GenericRelatedObjectsDescriptor"]


class GenericRel:
    """A ``GenericRelation`` seen from the model holding the generic foreign key.

    Registered on that model only when ``related_query_name`` is given, so
    that ``Comment.objects.filter(post__title="x")`` works.
    """

    is_relation = True
    concrete = False
    auto_created = True
    editable = False
    primary_key = False
    column = None
    attname = None
    null = True
    empty_strings_allowed = False
    many_to_many = False
    many_to_one = True
    one_to_many = False
    one_to_one = False
    on_delete = None
    related_name = None
    symmetrical = False
    multiple = False
    limit_choices_to = None

    def __init__(self, field, to, related_query_name: str | None = None):
        self.field = field
        self.model = to
        self.related_query_name = related_query_name

    def __repr__(self) -> str:
        return f"<GenericRel: {self.field}>"

    @property
    def related_model(self):
        return self.field.model

    @property
    def hidden(self) -> bool:
        return self.related_query_name is None

    @property
    def query_name(self) -> str:
        if self.related_query_name:
            opts = self.field.model._meta
            return self.related_query_name % {"class": opts.model_name, "model_name": opts.model_name, "app_label": opts.app_label}
        return f"_{self.field.model._meta.model_name}_{self.field.name}_+"

    @property
    def name(self) -> str:
        return self.query_name

    def get_accessor_name(self) -> None:
        return None

    def get_cache_name(self) -> str:
        return self.query_name

    @property
    def target_field(self):
        return self.field.model._meta.pk

    def get_path_info(self, filtered_relation=None) -> list[PathInfo]:
        return self.field.get_reverse_path_info(filtered_relation)

    def get_internal_type(self) -> str:
        return "GenericRelation"

    def check_related_instance(self, value) -> None:
        expected = self.field.model
        if not isinstance(value, expected._meta.concrete_model):
            raise TypeError(
                f"{self.model._meta.object_name}.{self.query_name} filters on "
                f"{expected._meta.object_name} instances, got a {type(value).__name__} ({value!r})"
            )


class GenericRelation:
    """The generic rows pointing at a model: ``comments = GenericRelation(Comment)``.

    ``content_type_field`` and ``object_id_field`` name the two fields of the
    related model behind its ``GenericForeignKey``; ``related_query_name``
    lets the related model filter back (``Comment.objects.filter(post__title=...)``).
    """

    auto_created = False
    concrete = False
    editable = False
    hidden = False
    is_relation = True
    many_to_many = False
    many_to_one = False
    one_to_many = True
    one_to_one = False
    column = None
    primary_key = False
    null = True
    blank = True
    serialize = False

    def __init__(
        self,
        to,
        object_id_field: str = "object_id",
        content_type_field: str = "content_type",
        for_concrete_model: bool = True,
        related_query_name: str | None = None,
        limit_choices_to: Any = None,
    ):
        if not isinstance(to, str) and not (isinstance(to, type) and hasattr(to, "_meta")):
            raise TypeError(f"GenericRelation: the first argument must be a model class or 'app_label.Model', got {to!r}")
        self.to = to
        self.object_id_field_name = object_id_field
        self.content_type_field_name = content_type_field
        self.for_concrete_model = for_concrete_model
        self.related_query_name = related_query_name
        self.limit_choices_to = limit_choices_to
        self.name: str | None = None
        self.attname: str | None = None
        self.model: Any = None
        self.remote_field = GenericRel(self, to, related_query_name)
        self._resolved: tuple | None = None

    def __repr__(self) -> str:
        return f"<contenttypes.GenericRelation: {self.name}>"

    def __str__(self) -> str:
        if self.model is not None:
            return f"{self.model._meta.label}.{self.name}"
        return str(self.name)

    def __deepcopy__(self, memo):
        # Abstract models hand each child a copy, which needs its own reverse relation.
        obj = copy.copy(self)
        obj.remote_field = GenericRel(obj, self.to, self.related_query_name)
        obj._resolved = None
        memo[id(self)] = obj
        return obj

    @property
    def related_model(self):
        """The model holding the generic foreign key (``None`` until a string reference resolves)."""
        model = self.remote_field.model
        return None if isinstance(model, str) else model

    # -- class set-up -------------------------------------------------------------

    def contribute_to_class(self, cls, name: str, private_only: bool = False) -> None:
        """Bind to ``cls`` as a private field, add the accessor, resolve the related model."""
        self.name = self.attname = name
        self.model = cls
        cls._meta.add_field(self, private=True)
        setattr(cls, name, GenericRelatedObjectsDescriptor(self))
        if cls._meta.abstract:
            return
        reference = self.to
        if isinstance(reference, str):
            app_label, _, model_name = reference.rpartition(".")
            registry.lazy_model_operation(self._on_target_resolved, app_label or cls._meta.app_label, model_name)
        else:
            self._on_target_resolved(reference)

    def _on_target_resolved(self, model) -> None:
        self.remote_field.model = model
        self._resolved = None
        if self.related_query_name:
            model._meta.add_related_object(self.remote_field)

    def check(self) -> list[str]:
        """Nothing to check until the related model exists (see ``resolve_fields``)."""
        return []

    def resolve_fields(self) -> tuple:
        """``(content type field, object id field)`` of the related model; ``ImproperlyConfigured`` if wrong."""
        resolved = self._resolved
        if resolved is not None:
            return resolved
        related = self.related_model
        if related is None:
            raise ImproperlyConfigured(
                f"{self}: the related model {self.remote_field.model!r} was never defined; "
                "define it or point GenericRelation at an existing model ('app_label.Model')"
            )
        opts = related._meta
        problems = []
        try:
            ct_field = opts.get_field(self.content_type_field_name)
        except FieldDoesNotExist:
            ct_field = None
            problems.append(f"{opts.object_name} has no content type field {self.content_type_field_name!r}")
        else:
            target = getattr(ct_field.remote_field, "model", None) if ct_field.is_relation else None
            if not ct_field.many_to_one or not is_content_type_reference(target):
                problems.append(f"{opts.object_name}.{ct_field.name} is not a ForeignKey to contenttypes.ContentType")
        try:
            fk_field = opts.get_field(self.object_id_field_name)
        except FieldDoesNotExist:
            fk_field = None
            problems.append(f"{opts.object_name} has no object id field {self.object_id_field_name!r}")
        if problems:
            raise ImproperlyConfigured(
                f"{self}: " + "; ".join(problems) + " (pass content_type_field= and object_id_field= "
                f"naming the fields behind {opts.object_name}'s GenericForeignKey)"
            )
        resolved = self._resolved = (ct_field, fk_field)
        return resolved

    def generic_foreign_key(self) -> GenericForeignKey | None:
        """The related model's ``GenericForeignKey`` over the same two fields, if it has one."""
        for field in self.related_model._meta.private_fields:
            if (
                isinstance(field, GenericForeignKey)
                and field.ct_field == self.content_type_field_name
                and field.fk_field == self.object_id_field_name
            ):
                return field
        return None

    # -- content type -------------------------------------------------------------

    def _target_opts(self):
        opts = self.model._meta
        return opts.concrete_model._meta if self.for_concrete_model else opts

    def get_content_type(self, using: str | None = None):
        """The content type of the model holding this relation, on database ``using``."""
        return content_type_manager(using).get_for_model(self.model, for_concrete_model=self.for_concrete_model)

    # -- query layer --------------------------------------------------------------

    def _join_condition(self, reverse: bool):
        """``extra_condition`` of the join: the content type match (and a cast key match)."""

        def condition(compiler, connection, alias, parent_alias):
            from contenttypes.models import ContentType

            ct_field, fk_field = self.resolve_fields()
            quote = compiler.quote_name
            generic_alias, target_alias = (parent_alias, alias) if reverse else (alias, parent_alias)
            pk = self.model._meta.pk
            parts = []
            if needs_cast(pk, fk_field):
                parts.append(
                    f"{key_column_sql(connection, quote, target_alias, pk, fk_field)} = "
                    f"{quote(generic_alias)}.{quote(fk_field.column)}"
                )
            ct_opts = ContentType._meta
            # A subquery rather than a cached id: compiling a query never reads or writes rows.
            parts.append(
                f"{quote(generic_alias)}.{quote(ct_field.column)} = (SELECT {quote(ct_opts.pk.column)} "
                f"FROM {quote(ct_opts.db_table)} WHERE {quote(ct_opts.get_field('app_label').column)} = %s "
                f"AND {quote(ct_opts.get_field('model').column)} = %s)"
            )
            target = self._target_opts()
            return " AND ".join(parts), [target.app_label, target.model_name]

        return condition

    def _join_fields(self, reverse: bool) -> tuple:
        _ct_field, fk_field = self.resolve_fields()
        pk = self.model._meta.pk
        if needs_cast(pk, fk_field):
            return ()
        return ((fk_field, pk),) if reverse else ((pk, fk_field),)

    def get_path_info(self, filtered_relation=None) -> list[PathInfo]:
        """One hop from this model to the generic rows pointing at it (multi-valued)."""
        if self.related_model is None:
            self.resolve_fields()  # raises ImproperlyConfigured naming the missing model
        related_opts = self.related_model._meta
        return [
            PathInfo(
                from_opts=self.model._meta,
                to_opts=related_opts,
                join_fields=self._join_fields(reverse=False),
                target_fields=(related_opts.pk,),
                join_field=self,
                m2m=True,
                direct=False,
                nullable=True,
                extra_condition=self._join_condition(reverse=False),
                condition_key=("generic", self.model._meta.label, self.name),
            )
        ]

    def get_reverse_path_info(self, filtered_relation=None) -> list[PathInfo]:
        """One hop from a generic row to the object it points at (when it is of this model)."""
        opts = self.model._meta
        return [
            PathInfo(
                from_opts=self.related_model._meta,
                to_opts=opts,
                join_fields=self._join_fields(reverse=True),
                target_fields=(opts.pk,),
                join_field=self.remote_field,
                m2m=False,
                direct=False,
                nullable=True,
                extra_condition=self._join_condition(reverse=True),
                condition_key=("generic-reverse", opts.label, self.name),
            )
        ]

    @property
    def path_infos(self) -> list[PathInfo]:
        return self.get_path_info()

    @property
    def target_field(self):
        return self.related_model._meta.pk

    def check_related_instance(self, value) -> None:
        model = self.related_model
        if not isinstance(value, model._meta.concrete_model):
            raise TypeError(
                f"{self}: filters on {model._meta.object_name} instances, got a "
                f"{type(value).__name__} ({value!r})"
            )

    # -- deletion -----------------------------------------------------------------

    def bulk_related_objects(self, objs, using: str = "default"):
        """The generic rows pointing at ``objs`` (the collector deletes them with their target)."""
        ct_field, fk_field = self.resolve_fields()
        content_type = self.get_content_type(using)
        object_ids = [to_object_id(fk_field, obj) for obj in objs if obj.pk is not None]
        return self.related_model._base_manager.using(using).filter(
            **{ct_field.attname: content_type.pk, f"{fk_field.attname}__in": object_ids}
        )


class GenericRelatedObjectsDescriptor:
    """``post.comments``: a manager of the generic rows pointing at ``post``."""

    def __init__(self, field: GenericRelation):
        self.field = field

    @cached_property
    def related_manager_class(self):
        model = self.field.related_model
        if model is None:
            self.field.resolve_fields()
        return create_generic_related_manager(type(model._default_manager), self.field)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.related_manager_class(instance)

    def __set__(self, instance, value) -> None:
        raise TypeError(
            f"direct assignment to {type(instance).__name__}.{self.field.name} is not allowed; "
            f"use {self.field.name}.set(...) or {self.field.name}.add(...)"
        )


class _KnownTarget:
    """Lets rows loaded through ``post.comments`` know that ``content_object`` is ``post``."""

    def __init__(self, generic_fk: GenericForeignKey, ct_id, fk_field, ct_attname: str | None = None):
        self.generic_fk = generic_fk
        self.ct_id = ct_id
        self.attname = fk_field.attname
        # Set when rows of several content types come back together (mixed prefetch).
        self.ct_attname = ct_attname

    def set_cached_value(self, instance, target) -> None:
        if self.ct_attname is not None and instance.__dict__.get(self.ct_attname) != self.ct_id:
            return
        cache = instance._state.fields_cache
        cache[self.generic_fk.name] = target
        cache[self.generic_fk._key_cache_name()] = (self.ct_id, instance.__dict__.get(self.attname))


def create_generic_related_manager(superclass, rel_field: GenericRelation):
    """The manager class behind ``post.comments`` (a subclass of the related model's manager)."""

    def _content_type_of(cls, using: str):
        """The content type id ``cls``'s generic relation named like ``rel_field`` filters on: a
        prefetch through a generic key meets instances of several models."""
        if issubclass(cls, rel_field.model):
            return rel_field.get_content_type(using).pk
        field = next((f for f in cls._meta.private_fields if f.name == rel_field.name), None)
        if not isinstance(field, GenericRelation) or field.resolve_fields() != rel_field.resolve_fields():
            raise ValueError(
                f"cannot prefetch {rel_field.model.__name__}.{rel_field.name} on {cls.__name__} objects: "
                f"{cls.__name__} has no generic relation {rel_field.name!r} to the same "
                f"{rel_field.related_model.__name__} columns; prefetch them apart"
            )
        return field.get_content_type(using).pk


    class GenericRelatedObjectManager(superclass):
        # Its prefetch takes instances of several models at once (see _mixed_prefetch).
        prefetches_from_several_models = True

        def __init__(self, instance):
            super().__init__()
            self.instance = instance
            self.model = rel_field.related_model
            self.field = rel_field
            self.name = rel_field.name
            self.prefetch_cache_name = rel_field.name
            self.accessor_label = f"{type(instance).__name__}.{rel_field.name}"
            self.ct_field, self.fk_field = rel_field.resolve_fields()

        def __call__(self, *, manager):
            manager = getattr(self.model, manager)
            return create_generic_related_manager(type(manager), rel_field)(self.instance)

        def __repr__(self) -> str:
            return f"<GenericRelatedObjectManager: {self.accessor_label}>"

        @property
        def _read_db(self) -> str:
            # The routers first, with the instance as hint (Django's order); without an answer,
            # the instance's database.
            return self._db or router.db_for_read(self.model, instance=self.instance)

        @property
        def _write_db(self) -> str:
            return router.db_for_write(self.model, instance=self.instance)

        def _object_id(self):
            if self.instance.pk is None:
                raise ValueError(
                    f"{self.accessor_label}: {type(self.instance).__name__} instance needs a primary "
                    "key value before this relationship can be used; save it first"
                )
            return to_object_id(self.fk_field, self.instance)

        def _core_filters(self, using: str) -> dict:
            content_type = rel_field.get_content_type(using)
            return {self.ct_field.attname: content_type.pk, self.fk_field.attname: self._object_id()}

        def _apply_rel_filters(self, queryset):
            using = self._read_db
            queryset = queryset.using(using)
            queryset._defer_next_filter = False
            filters = self._core_filters(using)
            queryset = queryset.filter(**filters)
            generic_fk = rel_field.generic_foreign_key()
            if generic_fk is not None:
                known = _KnownTarget(generic_fk, filters[self.ct_field.attname], self.fk_field)
                queryset._known_related_objects = {known: {filters[self.fk_field.attname]: self.instance}}
            return queryset

        def _prefetched(self):
            return self.instance.__dict__.get("_prefetched_objects_cache", {}).get(self.prefetch_cache_name)

        def _remove_prefetched_objects(self) -> None:
            self.instance.__dict__.get("_prefetched_objects_cache", {}).pop(self.prefetch_cache_name, None)

        def get_queryset(self):
            cached = self._prefetched()
            if cached is not None:
                return cached
            return self._apply_rel_filters(super().get_queryset())

        def get_prefetch_querysets(self, instances, querysets=None):
            """The prefetch protocol: the generic rows of every instance in one query."""
            queryset = querysets[0] if querysets else super().get_queryset()
            using = queryset._db or self._db or router.db_for_read(self.model, instance=instances[0])
            queryset = queryset.using(using)
            fk_field = self.fk_field
            text_ids = object_id_kind(fk_field) == "text"
            generic_fk = rel_field.generic_foreign_key()
            content_types = {cls: _content_type_of(cls, using) for cls in {type(instance) for instance in instances}}
            if len(set(content_types.values())) > 1:
                return self._mixed_prefetch(queryset, instances, content_types, text_ids, generic_fk)
            content_type = rel_field.get_content_type(using)
            object_ids = {to_object_id(self.fk_field, instance) for instance in instances if instance.pk is not None}
            queryset = queryset.filter(
                **{self.ct_field.attname: content_type.pk, f"{self.fk_field.attname}__in": sorted(object_ids, key=repr)}
            )
            if generic_fk is not None:
                known = _KnownTarget(generic_fk, content_type.pk, fk_field)
                queryset._known_related_objects = {
                    known: {to_object_id(fk_field, instance): instance for instance in instances if instance.pk is not None}
                }

            def instance_key(instance):
                return to_object_id(fk_field, instance) if text_ids else fk_field.to_python(instance.pk)

            return (
                queryset,
                lambda obj: getattr(obj, fk_field.attname),
                instance_key,
                False,
                self.prefetch_cache_name,
                False,
            )

        def _mixed_prefetch(self, queryset, instances, content_types: dict, text_ids: bool, generic_fk):
            """The prefetch tuple for instances of several models (reached through a generic key):
            one query matching each row's content type as well as its object id."""
            fk_field, ct_attname = self.fk_field, self.ct_field.attname
            by_type: dict[Any, dict] = {}
            for instance in instances:
                if instance.pk is not None:
                    by_type.setdefault(content_types[type(instance)], {})[to_object_id(fk_field, instance)] = instance
            condition = Q()
            for ct_id, targets in by_type.items():
                condition |= Q(**{ct_attname: ct_id, f"{fk_field.attname}__in": sorted(targets, key=repr)})
            queryset = queryset.filter(condition)
            if generic_fk is not None:
                queryset._known_related_objects = {
                    _KnownTarget(generic_fk, ct_id, fk_field, ct_attname): targets for ct_id, targets in by_type.items()
                }

            def instance_key(instance):
                key = to_object_id(fk_field, instance) if text_ids else fk_field.to_python(instance.pk)
                return key, content_types[type(instance)]

            return (
                queryset,
                lambda obj: (getattr(obj, fk_field.attname), getattr(obj, ct_attname)),
                instance_key,
                False,
                self.prefetch_cache_name,
                False,
            )

        def _check(self, objs) -> None:
            for obj in objs:
                if not isinstance(obj, self.model._meta.concrete_model):
                    raise TypeError(
                        f"{self.accessor_label}: expected {self.model._meta.object_name} instances, "
                        f"got a {type(obj).__name__} ({obj!r})"
                    )

        def add(self, *objs, bulk: bool = True) -> None:
            """Point ``objs`` at this instance (one UPDATE when ``bulk``, else ``save()`` each)."""
            self._check(objs)
            self._remove_prefetched_objects()
            using = self._write_db
            filters = self._core_filters(using)
            if bulk:
                pks = []
                for obj in objs:
                    if obj._state.adding or obj.pk is None:
                        raise ValueError(
                            f"{self.accessor_label}.add(): {obj!r} is unsaved; save it first or use bulk=False"
                        )
                    pks.append(obj.pk)
                if pks:
                    self.model._base_manager.using(using).filter(pk__in=pks).update(**filters)
                for obj in objs:
                    obj.__dict__.update(filters)
            else:
                with atomic(using=using, savepoint=False):
                    for obj in objs:
                        obj.__dict__.update(filters)
                        obj.save(using=using)

        add.alters_data = True  # type: ignore[attr-defined]

        def remove(self, *objs, bulk: bool = True) -> None:
            """Delete ``objs`` (generic rows cannot point nowhere)."""
            self._check(objs)
            self._clear(self.model._base_manager.filter(pk__in=[obj.pk for obj in objs]), bulk)

        remove.alters_data = True  # type: ignore[attr-defined]

        def clear(self, *, bulk: bool = True) -> None:
            """Delete every generic row pointing at this instance."""
            self._clear(self.model._base_manager.all(), bulk)

        clear.alters_data = True  # type: ignore[attr-defined]

        def _clear(self, queryset, bulk: bool) -> None:
            self._remove_prefetched_objects()
            using = self._write_db
            queryset = queryset.using(using).filter(**self._core_filters(using))
            if bulk:
                queryset.delete()
            else:
                with atomic(using=using, savepoint=False):
                    for obj in queryset:
                        obj.delete(using=using)

        def set(self, objs, *, bulk: bool = True, clear: bool = False) -> None:
            """Make ``objs`` exactly the generic rows pointing here (others are deleted)."""
            objs = tuple(objs)
            self._check(objs)
            using = self._write_db
            with atomic(using=using, savepoint=False):
                if clear:
                    self.clear(bulk=bulk)
                    self.add(*objs, bulk=bulk)
                    return
                old = set(self._apply_rel_filters(self.model._base_manager.all()).using(using).values_list("pk", flat=True))
                keep = {obj.pk for obj in objs if obj.pk is not None}
                stale = old - keep
                if stale:
                    self._clear(self.model._base_manager.filter(pk__in=stale), bulk)
                self.add(*[obj for obj in objs if obj.pk not in old], bulk=bulk)

        set.alters_data = True  # type: ignore[attr-defined]

        def create(self, **kwargs):
            """Create a generic row pointing at this instance."""
            self._remove_prefetched_objects()
            using = self._write_db
            kwargs.update(self._core_filters(using))
            return super().get_queryset().using(using).create(**kwargs)

        create.alters_data = True  # type: ignore[attr-defined]

        def get_or_create(self, **kwargs):
            self._remove_prefetched_objects()
            using = self._write_db
            kwargs.update(self._core_filters(using))
            return super().get_queryset().using(using).get_or_create(**kwargs)

        get_or_create.alters_data = True  # type: ignore[attr-defined]

        def update_or_create(self, **kwargs):
            self._remove_prefetched_objects()
            using = self._write_db
            kwargs.update(self._core_filters(using))
            return super().get_queryset().using(using).update_or_create(**kwargs)

        update_or_create.alters_data = True  # type: ignore[attr-defined]

    GenericRelatedObjectManager.__name__ = "GenericRelatedObjectManager"
    GenericRelatedObjectManager.__qualname__ = f"{rel_field.model.__name__}.GenericRelatedObjectManager"
    return GenericRelatedObjectManager
