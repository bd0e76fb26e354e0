"""Reverse relations: what a relation field looks like from the model it points at.

``ManyToOneRel`` (a ``ForeignKey`` seen from its target), ``OneToOneRel`` and
``ManyToManyRel`` are Django's ``ForeignObjectRel`` objects. The field keeps one
as ``field.remote_field``; once the target is resolved it is registered on the
target's ``_meta`` (``opts.add_related_object``) so that lookups such as
``Author.objects.filter(posts__title="x")`` and the on-delete collector find it.
"""

from __future__ import annotations

from typing import Any


class WrongModelInstance(TypeError, ValueError):
    """An instance of another model where a relation expects its target.

    A ``ValueError`` as in Django (assigning or filtering with the wrong model),
    and a ``TypeError`` as it is one.
    """


__all__ = ["ForeignObjectRel", "ManyToOneRel", "OneToOneRel", "ManyToManyRel"]


class ForeignObjectRel:
    """The reverse side of a relation field (``field.remote_field``)."""

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
    many_to_one = False
    one_to_many = False
    one_to_one = False

    def __init__(
        self,
        field,
        to,
        related_name: str | None = None,
        related_query_name: str | None = None,
        limit_choices_to: Any = None,
        on_delete: Any = None,
    ):
        self.field = field
        self.model = to  # the target: a class once resolved, a reference string before
        self.related_name = related_name
        self.related_query_name = related_query_name
        self.limit_choices_to = limit_choices_to
        self.on_delete = on_delete
        self.symmetrical = False
        self.multiple = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.field.model._meta.label if self.field.model else '?'}.{self.field.name}>"

    # -- names ----------------------------------------------------------------------

    @property
    def related_model(self):
        """The model holding the forward field (``Post`` for ``Post.author``)."""
        return self.field.model

    @property
    def hidden(self) -> bool:
        """A ``related_name`` ending with ``+`` hides the reverse accessor."""
        related_name = self.related_name
        return bool(related_name) and str(related_name).endswith("+")

    @property
    def name(self) -> str:
        return self.query_name

    @property
    def query_name(self) -> str:
        """The name lookups use from the target side (``posts`` in ``posts__title``)."""
        if self.related_query_name:
            return self._interpolate(self.related_query_name)
        opts = self.field.model._meta
        if self.hidden:
            # Never typed by users; still resolvable so internal queries can use it.
            return f"_{opts.model_name}_{self.field.name}_+"
        if self.related_name:
            return self._interpolate(self.related_name)
        if opts.default_related_name:
            return self._interpolate(opts.default_related_name)
        return opts.model_name

    def get_accessor_name(self) -> str | None:
        """The attribute on the target (``author.posts``; default ``post_set``), None if hidden."""
        if self.hidden:
            return None
        if self.related_name:
            return self._interpolate(self.related_name)
        opts = self.field.model._meta
        if opts.default_related_name:
            return self._interpolate(opts.default_related_name)
        return opts.model_name + ("" if self.one_to_one else "_set")

    def get_cache_name(self) -> str:
        return self.get_accessor_name() or self.query_name

    def _interpolate(self, name: str) -> str:
        opts = self.field.model._meta
        return name % {"class": opts.model_name, "model_name": opts.model_name, "app_label": opts.app_label}

    # -- query layer ----------------------------------------------------------------

    @property
    def target_field(self):
        """The primary key of the model reached through this relation."""
        return self.field.model._meta.pk

    def get_path_info(self, filtered_relation=None) -> list:
        return self.field.get_reverse_path_info(filtered_relation)

    @property
    def path_infos(self) -> list:
        return self.get_path_info()

    def get_internal_type(self) -> str:
        return self.field.get_internal_type()

    def check_related_instance(self, value) -> None:
        """Filters with an instance: ``TypeError`` when it is not a ``related_model``."""
        expected = self.field.model
        if not isinstance(value, expected._meta.concrete_model):
            raise WrongModelInstance(
                f"{self.model._meta.object_name}.{self.query_name} filters on "
                f"{expected._meta.object_name} instances, got a {type(value).__name__} ({value!r})"
            )

    def get_lookup(self, name: str):
        return self.field.get_lookup(name) if hasattr(self.field, "get_lookup") else None

    # -- select_related caches (one-to-one reverse) ---------------------------------

    def get_cached_value(self, instance, default: Any = ...):
        try:
            return instance._state.fields_cache[self.get_cache_name()]
        except KeyError:
            if default is ...:
                raise
            return default

    def set_cached_value(self, instance, value) -> None:
        instance._state.fields_cache[self.get_cache_name()] = value

    def is_cached(self, instance) -> bool:
        return self.get_cache_name() in instance._state.fields_cache

    def delete_cached_value(self, instance) -> None:
        instance._state.fields_cache.pop(self.get_cache_name(), None)

    def set_remote_cached_value(self, related_obj, instance) -> None:
        """After ``select_related`` of a reverse one-to-one, ``related_obj.<field>`` is ``instance``."""
        self.field.set_cached_value(related_obj, instance)


class ManyToOneRel(ForeignObjectRel):
    """A ``ForeignKey`` seen from its target: ``author.post_set``."""

    one_to_many = True

    def __init__(self, field, to, field_name=None, **kwargs):
        super().__init__(field, to, **kwargs)
        self.field_name = field_name


class OneToOneRel(ManyToOneRel):
    """A ``OneToOneField`` seen from its target: ``user.profile`` (one object)."""

    one_to_many = False
    one_to_one = True

    def __init__(self, field, to, field_name=None, **kwargs):
        super().__init__(field, to, field_name, **kwargs)
        self.multiple = False


class ManyToManyRel(ForeignObjectRel):
    """A ``ManyToManyField`` seen from its target: ``tag.post_set``."""

    many_to_many = True

    def __init__(self, field, to, through=None, through_fields=None, symmetrical=False, db_constraint=True, **kwargs):
        super().__init__(field, to, **kwargs)
        self.through = through
        self.through_fields = through_fields
        self.symmetrical = symmetrical
        self.db_constraint = db_constraint
