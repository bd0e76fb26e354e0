"""``ForeignKey`` and ``OneToOneField``: a ``<name>_id`` column pointing at another table."""

from __future__ import annotations

from typing import Any

from associations.descriptors import (
    ForeignKeyDeferredAttribute,
    ForwardManyToOneDescriptor,
    ForwardOneToOneDescriptor,
    ReverseManyToOneDescriptor,
    ReverseOneToOneDescriptor,
)
from associations.fields.base import RelatedField
from associations.reverse import ManyToOneRel, OneToOneRel, WrongModelInstance
from orm.exceptions import ImproperlyConfigured, ValidationError
from orm.query.joins import PathInfo
from orm.routers import router

__all__ = ["ForeignKey", "OneToOneField"]

_NOT_CACHED = object()


class ForeignKey(RelatedField):
    """A many-to-one relation: ``author = orm.ForeignKey(Author, on_delete=orm.CASCADE)``."""

    many_to_one = True
    rel_class = ManyToOneRel
    descriptor_class = ForeignKeyDeferredAttribute
    descriptor_attribute: Any = ForwardManyToOneDescriptor
    reverse_descriptor_class: Any = ReverseManyToOneDescriptor
    empty_strings_allowed = False
    import_path = "orm.ForeignKey"
    default_error_messages = {"invalid": "%(model)s instance with %(field)s %(value)r does not exist."}

    def __init__(
        self,
        to,
        on_delete=None,
        related_name: str | None = None,
        related_query_name: str | None = None,
        limit_choices_to: Any = None,
        parent_link: bool = False,
        to_field: str | None = None,
        db_constraint: bool = True,
        **kwargs,
    ):
        kwargs.setdefault("db_index", True)
        super().__init__(
            to,
            related_name=related_name,
            related_query_name=related_query_name,
            limit_choices_to=limit_choices_to,
            **kwargs,
        )
        if on_delete is not None and not callable(on_delete):
            raise TypeError(f"{type(self).__name__}: on_delete must be callable (e.g. orm.CASCADE), got {on_delete!r}")
        self.on_delete = on_delete
        self.to_field = to_field
        self.db_constraint = db_constraint
        self.parent_link = parent_link
        self.remote_field = self.rel_class(
            self,
            to,
            field_name=to_field,
            related_name=related_name,
            related_query_name=related_query_name,
            limit_choices_to=limit_choices_to,
            on_delete=on_delete,
        )

    def contribute_to_class(self, cls, name: str) -> None:
        if self.on_delete is None:
            raise ImproperlyConfigured(
                f"{cls.__name__}.{name}: on_delete is required (e.g. on_delete=orm.CASCADE; "
                "or orm.PROTECT, orm.SET_NULL with null=True, orm.DO_NOTHING)"
            )
        super().contribute_to_class(cls, name)

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def get_internal_type(self) -> str:
        return "ForeignKey"

    # -- target -----------------------------------------------------------------------

    @property
    def target_field(self):
        """The field of the target model this key stores (its pk unless ``to_field``)."""
        model = self._require_target()
        if self.to_field:
            return model._meta.get_field(self.to_field)
        return model._meta.pk

    def check(self) -> list[str]:
        problems = super().check()
        if self.remote_field.on_delete is not None and getattr(self.on_delete, "__name__", "") == "SET_NULL" and not self.null:
            problems.append(f"{self}: on_delete=SET_NULL needs null=True")
        if getattr(self.on_delete, "__name__", "") == "SET_DEFAULT" and not self.has_default():
            problems.append(f"{self}: on_delete=SET_DEFAULT needs a default")
        return problems

    # -- values -----------------------------------------------------------------------

    def to_python(self, value):
        return self.target_field.to_python(value)

    def get_prep_value(self, value):
        if hasattr(value, "_meta"):
            value = getattr(value, self.target_field.attname)
        return self.target_field.get_prep_value(value)

    def get_db_prep_value(self, value, connection, prepared: bool = False):
        if hasattr(value, "_meta"):
            value = getattr(value, self.target_field.attname)
        return self.target_field.get_db_prep_value(value, connection, prepared)

    def get_db_prep_save(self, value, connection):
        if value == "" and not self.target_field.empty_strings_allowed:
            value = None
        return self.get_db_prep_value(value, connection)

    def from_db_converter(self, connection):
        return self.target_field.from_db_converter(connection)

    def get_default(self):
        value = super().get_default()
        if hasattr(value, "_meta"):
            return getattr(value, self.target_field.attname)
        return value

    def validate(self, value, model_instance) -> None:
        """Django's checks, then: the target row exists and passes ``limit_choices_to``.

        The lookup goes through the target's base manager on the instance's
        database (``router.db_for_read`` with the instance as hint); no query
        is made for ``None``.
        """
        if self.parent_link:
            return
        super().validate(value, model_instance)
        if value is None:
            return
        model = self._require_target()
        target = self.target_field
        using = router.db_for_read(model, instance=model_instance)
        queryset = model._base_manager.using(using).filter(**{target.attname: value})
        limit = self.get_limit_choices_to()
        if limit:
            queryset = queryset.complex_filter(limit)
        if not queryset.exists():
            raise ValidationError(
                self.error_messages["invalid"]
                % {"model": model._meta.verbose_name, "field": target.name, "value": value},
                code="invalid",
            )

    # -- schema -----------------------------------------------------------------------

    def db_params(self) -> dict[str, Any]:
        params = dict(self.target_field.db_params())
        params["column"] = self.column
        return params

    def db_type(self, connection):
        return self.target_field.rel_db_type(connection)

    def rel_db_type(self, connection):
        return self.db_type(connection)

    def db_check(self, connection):
        return None

    def column_description(self, connection, *, references=None):
        """The ``<name>_id`` column, with its ``REFERENCES`` clause unless ``db_constraint=False``."""
        if references is None and self.db_constraint:
            from backends.schema import ForeignKeyRef

            target = self.target_field
            references = ForeignKeyRef(
                target.model._meta.db_table,
                target.column,
                deferrable=bool(connection.dialect.supports_deferrable_constraints),
            )
        return super().column_description(connection, references=references)

    # -- query layer ------------------------------------------------------------------

    def get_path_info(self, filtered_relation=None) -> list[PathInfo]:
        """One forward hop: this table to the target's (whose model may be a proxy, as Django)."""
        target = self.target_field
        return [
            PathInfo(
                from_opts=self.model._meta,
                to_opts=self.remote_field.model._meta,
                join_fields=((self, target),),
                target_fields=(target,),
                join_field=self,
                m2m=False,
                direct=True,
                nullable=self.null,
            )
        ]

    def get_reverse_path_info(self, filtered_relation=None) -> list[PathInfo]:
        """One reverse hop: the target's table to this one (multi-valued unless one-to-one)."""
        target = self.target_field
        opts = self.model._meta
        return [
            PathInfo(
                from_opts=self.remote_field.model._meta,
                to_opts=opts,
                join_fields=((target, self),),
                target_fields=(opts.pk,),
                join_field=self.remote_field,
                m2m=not self.one_to_one,
                direct=False,
                nullable=True,
            )
        ]

    @property
    def path_infos(self) -> list[PathInfo]:
        return self.get_path_info()

    def check_related_instance(self, value) -> None:
        """``WrongModelInstance`` (a TypeError and ValueError) naming both models."""
        model = self._require_target()
        if not isinstance(value, model._meta.concrete_model):
            raise WrongModelInstance(
                f"{self.model._meta.object_name}.{self.name} must be a {model._meta.object_name} "
                f"instance, got a {type(value).__name__} ({value!r})"
            )

    # -- per-instance cache -----------------------------------------------------------

    # ``post.author_id`` is a plain attribute (no data descriptor, so no ``__dict__``
    # per loaded row): setting it cannot drop the cached ``post.author``. Every
    # reader of the forward cache checks the cached object against the key instead.

    def cache_is_current(self, instance, related) -> bool:
        """Whether ``related``, cached as ``instance.<name>``, still matches ``instance.<attname>``.

        A cached ``None`` matches a ``None`` key only. An object assigned while
        unsaved (the key became ``None``) stays current, once saved, until the
        key is set to something else, as it would if ``__set__`` dropped it.
        """
        key = getattr(instance, self.attname)  # type: ignore[arg-type]  # set by set_attributes_from_name
        if related is None:
            return key is None
        if getattr(related, self.target_field.attname) == key:
            return True
        return key is None and instance._state.fields_cache.get(self.unsaved_cache_key) is related

    @property
    def unsaved_cache_key(self) -> str:
        """The ``fields_cache`` key remembering an object assigned while unsaved (not a field name)."""
        return f"{self.name}:unsaved"

    def remember_unsaved(self, instance, related) -> None:
        """Note ``related`` (or forget any, for ``None``) as assigned to ``instance`` while unsaved."""
        cache = instance._state.fields_cache
        if related is not None:
            cache[self.unsaved_cache_key] = related
        elif cache:
            cache.pop(self.unsaved_cache_key, None)

    def get_cached_value(self, instance, default: Any = ...):
        """The cached related object; a stale one (the key changed since) counts as missing."""
        cache = instance._state.fields_cache
        if self.name in cache:
            related = cache[self.name]
            if self.cache_is_current(instance, related):
                return related
            del cache[self.name]
        if default is ...:
            raise KeyError(self.name)
        return default

    def is_cached(self, instance) -> bool:
        """Whether a current related object is cached (see `get_cached_value`)."""
        return self.get_cached_value(instance, _NOT_CACHED) is not _NOT_CACHED

    def prepare_for_save(self, instance) -> None:
        """Before ``save()``: refuse an unsaved related object; copy a late-assigned pk."""
        related = self.get_cached_value(instance, None)
        if related is None:
            return
        if related.pk is None:
            raise ValueError(
                f"{instance._meta.object_name}.save(): the related {related._meta.object_name} in "
                f"'{self.name}' is unsaved (its pk is None); save the {related._meta.object_name} "
                f"first, then save the {instance._meta.object_name}"
            )
        value = getattr(related, self.target_field.attname)
        if instance.__dict__.get(self.attname) is None:
            instance.__dict__[self.attname] = value
            self.remember_unsaved(instance, None)
        elif instance.__dict__.get(self.attname) != value:
            self.delete_cached_value(instance)

    # -- deconstruction ---------------------------------------------------------------

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("db_index", None)
        if not self.db_index:
            kwargs["db_index"] = False
        kwargs.update(self._relation_kwargs())
        kwargs["on_delete"] = self.on_delete
        if self.to_field:
            kwargs["to_field"] = self.to_field
        if not self.db_constraint:
            kwargs["db_constraint"] = False
        return name, self.import_path, args, kwargs


class OneToOneField(ForeignKey):
    """A unique foreign key; the reverse side is one object (``user.profile``)."""

    many_to_one = False
    one_to_one = True
    rel_class = OneToOneRel
    descriptor_attribute = ForwardOneToOneDescriptor
    reverse_descriptor_class = ReverseOneToOneDescriptor
    import_path = "orm.OneToOneField"

    def __init__(self, to, on_delete=None, to_field=None, **kwargs):
        kwargs["unique"] = True
        super().__init__(to, on_delete, to_field=to_field, **kwargs)

    def get_internal_type(self) -> str:
        return "OneToOneField"

    def set_remote_cached_value(self, related_obj, instance) -> None:
        """After ``select_related``: ``related_obj.<reverse accessor>`` is ``instance``."""
        self.remote_field.set_cached_value(related_obj, instance)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("unique", None)
        return name, path, args, kwargs
