"""``ManyToManyField``: a junction table, created automatically or given as ``through=``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from associations.descriptors import ManyToManyDescriptor
from associations.fields.base import RECURSIVE_RELATIONSHIP_CONSTANT, RelatedField, split_reference
from associations.reverse import ManyToManyRel
from orm.exceptions import ImproperlyConfigured
from orm.query.joins import PathInfo

__all__ = ["ManyToManyField", "create_junction_model", "JunctionSide", "junction_table"]


def _m2m_descriptor(field):
    return ManyToManyDescriptor(field.remote_field, reverse=False)


def _m2m_reverse_descriptor(related):
    return ManyToManyDescriptor(related, reverse=True)


class ManyToManyField(RelatedField):
    """``tags = orm.ManyToManyField(Tag)``: ``post.tags.add(tag)``, ``Post.objects.filter(tags__name=...)``."""

    many_to_many = True
    concrete = False
    rel_class = ManyToManyRel
    descriptor_attribute: Any = staticmethod(_m2m_descriptor)
    reverse_descriptor_class = staticmethod(_m2m_reverse_descriptor)
    import_path = "orm.ManyToManyField"

    def __init__(
        self,
        to,
        related_name: str | None = None,
        related_query_name: str | None = None,
        limit_choices_to: Any = None,
        symmetrical: bool | None = None,
        through=None,
        through_fields: tuple[str, str] | None = None,
        db_constraint: bool = True,
        db_table: str | None = None,
        **kwargs,
    ):
        if through is not None and db_table is not None:
            raise ValueError("ManyToManyField: give db_table or through, not both")
        if kwargs.get("null"):
            kwargs.pop("null")  # null has no meaning for a many-to-many relation
        super().__init__(
            to,
            related_name=related_name,
            related_query_name=related_query_name,
            limit_choices_to=limit_choices_to,
            **kwargs,
        )
        self.db_table = db_table
        self.db_constraint = db_constraint
        self._through_reference = through
        self._symmetrical = symmetrical
        self.remote_field = ManyToManyRel(
            self,
            to,
            related_name=related_name,
            related_query_name=related_query_name,
            limit_choices_to=limit_choices_to,
            through=through,
            through_fields=through_fields,
            symmetrical=bool(symmetrical),
            db_constraint=db_constraint,
        )

    def set_attributes_from_name(self, name: str) -> None:
        super().set_attributes_from_name(name)
        self.column = None

    def get_internal_type(self) -> str:
        return "ManyToManyField"

    def db_type(self, connection):
        return None

    def db_check(self, connection):
        return None

    def contribute_to_class(self, cls, name: str) -> None:
        super().contribute_to_class(cls, name)
        if cls._meta.abstract:
            return
        rel = self.remote_field
        if self._through_reference is None:
            rel.through = create_junction_model(self, cls)
        else:
            self.resolve_related(cls, self._through_reference, self._on_through_resolved)

    def _on_target_resolved(self, model) -> None:
        rel = self.remote_field
        self_referential = model is self.model or model._meta.label == self.model._meta.label
        # As in Django: a many-to-many to "self" is symmetrical unless told otherwise.
        rel.symmetrical = self_referential if self._symmetrical is None else bool(self._symmetrical)
        if rel.symmetrical and self._related_name is None:
            rel.related_name = f"{self.name}_rel_+"
        super()._on_target_resolved(model)

    def _on_through_resolved(self, model) -> None:
        self.remote_field.through = model
        self.resolve_related(self.model, self.remote_field.model, lambda target: self._check_through())

    def _check_through(self) -> None:
        """A ``through`` model needs a foreign key to each side (``through_fields`` picks them)."""
        self.m2m_source_field()
        self.m2m_target_field()

    @property
    def through(self):
        return self.remote_field.through

    # -- junction fields --------------------------------------------------------------

    def _junction_field(self, which: int):
        # Every related manager asks for both sides; finding them walks the junction's fields.
        through = self.remote_field.through
        cache = self.__dict__.setdefault("_junction_field_cache", {})
        try:
            return cache[which, through]
        except (KeyError, TypeError):
            pass
        field = self._find_junction_field(which)
        cache[which, through] = field
        return field

    def _find_junction_field(self, which: int):
        through = self.remote_field.through
        owner = self.model
        if through is None or isinstance(through, str):
            raise ImproperlyConfigured(
                f"{owner._meta.object_name}.{self.name}: the through model {self._through_reference!r} "
                "was never defined; define it or fix the reference"
            )
        names = self.remote_field.through_fields
        opts = through._meta
        wanted = owner._meta.label.lower() if which == 0 else self.related_label().lower()
        if names:
            field = opts.get_field(names[which])
            if field.related_label().lower() != wanted:
                raise ImproperlyConfigured(
                    f"{owner._meta.object_name}.{self.name}: through_fields[{which}] "
                    f"{names[which]!r} of {opts.object_name} does not point at {wanted}"
                )
            return field
        candidates = [
            field for field in opts.fields
            if field.is_relation and field.many_to_one or field.one_to_one and field.is_relation
        ]
        candidates = [field for field in candidates if field.related_label().lower() == wanted]
        if self.related_label().lower() == owner._meta.label.lower():
            if len(candidates) >= 2:
                return candidates[which]
        elif len(candidates) == 1:
            return candidates[0]
        side = "source" if which == 0 else "target"
        raise ImproperlyConfigured(
            f"{owner._meta.object_name}.{self.name}: the through model {opts.object_name} needs "
            f"exactly one foreign key to {wanted} (the {side} side), found {len(candidates)}; add it "
            "or name the two keys with through_fields=('source', 'target')"
        )

    def m2m_source_field(self):
        """The junction's foreign key to the model holding this field."""
        return self._junction_field(0)

    def m2m_target_field(self):
        """The junction's foreign key to the target model."""
        return self._junction_field(1)

    def m2m_db_table(self) -> str:
        return self.remote_field.through._meta.db_table

    def junction_table_description(self, connection):
        """The auto-created junction as a ``backends.schema.Table`` (``None`` for a user ``through``)."""
        through = self.remote_field.through
        if through is None or isinstance(through, str) or not through._meta.auto_created:
            return None
        opts = through._meta
        return junction_table(
            opts.db_table,
            opts.pk.column_description(connection),
            self.m2m_source_field().column_description(connection),
            self.m2m_target_field().column_description(connection),
            connection,
        )

    def junction_table_from_state(self, connection, source, target, id_column):
        """The auto-created junction described from plain data, for migration states.

        Migration states hold unbound fields whose targets are strings, so the
        resolved sides come in as `JunctionSide` values (or plain
        ``(model_name, table, pk_column, pk_rel_type)`` tuples); ``id_column`` is
        the junction's primary key column. Returns ``None`` when ``through=`` is
        given. The result equals `junction_table_description` of the live field.
        """
        if self._through_reference is not None:
            return None
        source, target = (
            side if isinstance(side, JunctionSide) else JunctionSide(*side) for side in (source, target)
        )
        from backends.schema import Column, ForeignKeyRef

        from_name, to_name = junction_field_names(source.model_name, target.model_name)
        deferrable = bool(connection.dialect.supports_deferrable_constraints)
        columns = []
        for name, side in ((from_name, source), (to_name, target)):
            reference = (
                ForeignKeyRef(side.table, side.pk_column, deferrable=deferrable)
                if self.db_constraint else None
            )
            columns.append(Column(f"{name}_id", side.pk_rel_type, null=False, references=reference))
        table = self.db_table or f"{source.table}_{self.name}"
        return junction_table(table, id_column, columns[0], columns[1], connection)

    # -- query layer ------------------------------------------------------------------

    def _path(self, reverse: bool) -> list[PathInfo]:
        source = self.m2m_source_field()
        target = self.m2m_target_field()
        first, second = (target, source) if reverse else (source, target)
        return [first.get_reverse_path_info()[0], second.get_path_info()[0]]

    def get_path_info(self, filtered_relation=None) -> list[PathInfo]:
        """Two hops: this table to the junction (multi-valued), the junction to the target."""
        self._require_target()
        return self._path(reverse=False)

    def get_reverse_path_info(self, filtered_relation=None) -> list[PathInfo]:
        self._require_target()
        return self._path(reverse=True)

    @property
    def path_infos(self) -> list[PathInfo]:
        return self.get_path_info()

    def check_related_instance(self, value) -> None:
        model = self._require_target()
        if not isinstance(value, model._meta.concrete_model):
            raise TypeError(
                f"{self.model._meta.object_name}.{self.name} holds {model._meta.object_name} "
                f"instances, got a {type(value).__name__} ({value!r})"
            )

    def value_from_object(self, obj):
        return [] if obj.pk is None else list(getattr(obj, self.attname).all())

    # -- deconstruction ---------------------------------------------------------------

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        for key in ("db_index", "null"):
            kwargs.pop(key, None)
        kwargs.update(self._relation_kwargs())
        if self._through_reference is not None:
            reference = self._through_reference
            if isinstance(reference, str):
                if self.model is not None and "." not in reference:
                    reference = f"{self.model._meta.app_label}.{reference}"
                kwargs["through"] = reference
            else:
                kwargs["through"] = reference._meta.label
        if self.remote_field.through_fields:
            kwargs["through_fields"] = tuple(self.remote_field.through_fields)
        if self.db_table is not None:
            kwargs["db_table"] = self.db_table
        if not self.db_constraint:
            kwargs["db_constraint"] = False
        if self._symmetrical is not None:
            kwargs["symmetrical"] = self._symmetrical
        return name, self.import_path, args, kwargs


def _short_name(table: str, columns: list[str], suffix: str, limit: int) -> str:
    name = f"{table}_{'_'.join(columns)}_{suffix}"
    if len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: limit - len(suffix) - 10]}_{digest}_{suffix}"


@dataclass(frozen=True)
class JunctionSide:
    """One side of an auto-created junction, as plain data: the model and its primary key."""

    model_name: str  # lowercased
    table: str
    pk_column: str
    pk_rel_type: str  # the column type a foreign key to that primary key has


def junction_field_names(source_model_name: str, target_model_name: str) -> tuple[str, str]:
    """The junction's two foreign key names: ``(post, tag)``, or ``(from_x, to_x)`` for ``x``-to-``x``."""
    if source_model_name == target_model_name:
        return f"from_{source_model_name}", f"to_{target_model_name}"
    return source_model_name, target_model_name


def junction_table(name, id_column, source_column, target_column, connection):
    """The table of an auto-created junction: its columns, an index on the target, the unique pair.

    The source column needs no index of its own: it leads the unique pair's index.
    """
    from backends.schema import Constraint, Index, Table

    limit = connection.dialect.max_name_length
    pair = (source_column.name, target_column.name)
    return Table(
        name=name,
        columns=(id_column, source_column, target_column),
        indexes=(Index(_short_name(name, [target_column.name], "idx", limit), (target_column.name,)),),
        constraints=(Constraint(_short_name(name, list(pair), "uniq", limit), "unique", pair),),
    )


def create_junction_model(field, owner):
    """The auto-created model of ``owner.<field>``'s junction table (``Post_tags``)."""
    import orm
    from associations.deletion import CASCADE
    from associations.fields.foreign import ForeignKey

    opts = owner._meta
    reference = field.remote_field.model
    if isinstance(reference, str) and reference != RECURSIVE_RELATIONSHIP_CONSTANT:
        app_label, model_name = split_reference(reference, opts.app_label)
        target_name = model_name.lower()
        to = f"{app_label}.{model_name}"
    elif reference == RECURSIVE_RELATIONSHIP_CONSTANT or reference is owner:
        target_name = opts.model_name
        to = owner
    else:
        target_name = reference._meta.model_name
        to = reference
    from_name, target_name = junction_field_names(opts.model_name, target_name)
    name = f"{opts.object_name}_{field.name}"
    meta = type("Meta", (), {
        "app_label": opts.app_label,
        "db_table": field.db_table or f"{opts.db_table or f'{opts.app_label}_{opts.model_name}'}_{field.name}",
        "auto_created": owner,
        "unique_together": [(from_name, target_name)],
        "verbose_name": f"{opts.object_name}-{field.name} relationship",
    })
    return type(name, (orm.Model,), {
        "Meta": meta,
        "__module__": owner.__module__,
        from_name: ForeignKey(
            owner, on_delete=CASCADE, related_name=f"{name}+", db_constraint=field.db_constraint
        ),
        target_name: ForeignKey(
            to, on_delete=CASCADE, related_name=f"{name}+", db_constraint=field.db_constraint
        ),
    })
