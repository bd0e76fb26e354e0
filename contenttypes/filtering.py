"""``filter(content_object=obj)``: a generic foreign key compiled to its two columns.

``GenericForeignKey.contribute_to_class`` registers ``filter_generic_foreign_key``
in the model's ``_filter_hooks``; ``Query.build_filter`` calls it for lookups
starting with the field's name. Supported: ``exact`` (an instance or
``None``), ``in`` (instances of any models, or a QuerySet) and ``isnull``.
"""

from __future__ import annotations

from collections import defaultdict

from contenttypes.object_ids import object_id_kind, to_object_id
from orm.exceptions import FieldError
from orm.model import Model
from orm.query.expressions import Col
from orm.query.lookups import Exact, In, IsNull
from orm.query.query import Query
from orm.query.queryset import QuerySet
from orm.query.where import AND, OR, WhereNode

__all__ = ["filter_generic_foreign_key"]

_LOOKUPS = ("exact", "in", "isnull")


def filter_generic_foreign_key(query, parts, value, negated, can_reuse):
    """The WHERE node for ``<generic fk>__<lookup>=value`` on ``query``'s model."""
    from contenttypes.fields import GenericForeignKey

    field = query.get_meta().get_field(parts[0])
    if not isinstance(field, GenericForeignKey):
        raise FieldError(f"{query.get_meta().object_name}.{parts[0]} is not a generic foreign key")
    lookups = parts[1:] or ["exact"]
    if len(lookups) != 1 or lookups[0] not in _LOOKUPS:
        raise FieldError(
            f"{field}: unsupported lookup {'__'.join(parts[1:])!r} on a generic foreign key; "
            f"use one of {', '.join(_LOOKUPS)} (e.g. filter({parts[0]}=obj), "
            f"filter({parts[0]}__in=[a, b])), or filter on its columns "
            f"{field.ct_field!r} and {field.fk_field!r}"
        )
    ct_field, fk_field = field.resolve_fields()
    alias = query.get_initial_alias()
    ct_target = getattr(ct_field, "target_field", None) or _content_type_pk()
    ct_col = Col(alias, ct_field, output_field=ct_target)
    id_col = Col(alias, fk_field)
    lookup = lookups[0]
    if lookup == "isnull" or value is None:
        is_null = True if value is None else bool(value)
        if is_null:
            return WhereNode([IsNull(ct_col, True), IsNull(id_col, True)], connector=OR), set()
        return WhereNode([IsNull(ct_col, False), IsNull(id_col, False)]), set()
    if lookup == "exact":
        if not isinstance(value, Model):
            raise TypeError(
                f"{field}: filter({parts[0]}=...) takes a saved model instance or None, got {value!r}"
            )
        groups = _group_by_content_type(field, fk_field, [value])
    else:
        groups = _group_by_content_type(field, fk_field, value)
    branches = []
    for ct_id, object_ids in groups.items():
        branch = WhereNode([Exact(ct_col, ct_id)])
        if isinstance(object_ids, Query):
            branch.children.append(In(id_col, object_ids))
        elif isinstance(object_ids, QuerySet):
            branch.children.append(In(id_col, object_ids.values("pk").query.resolve_expression(query)))
        elif len(object_ids) == 1:
            branch.children.append(Exact(id_col, object_ids[0]))
        else:
            branch.children.append(In(id_col, object_ids))
        branches.append(branch)
    if not branches:
        node = WhereNode([In(id_col, [])])
    elif len(branches) == 1:
        node = branches[0]
    else:
        node = WhereNode(branches, connector=OR)
    if negated and (ct_field.null or fk_field.null):
        # NOT (...) must keep rows whose columns are NULL, as exclude() does for a foreign key.
        node = WhereNode([node, IsNull(ct_col, False), IsNull(id_col, False)], connector=AND)
    return node, set()


def _content_type_pk():
    from contenttypes.models import ContentType

    return ContentType._meta.pk


def _group_by_content_type(field, fk_field, values) -> dict:
    """``{content type id: [object ids] or a subquery of keys}`` for the targets in ``values``."""
    from contenttypes.fields import content_type_manager

    groups: dict = defaultdict(list)
    if isinstance(values, (QuerySet, Query)):
        # Query.build_filter has already turned a QuerySet into a subquery selecting its keys.
        model = values.model
        using = values.db if isinstance(values, QuerySet) else None
        content_type = content_type_manager(using).get_for_model(
            model, for_concrete_model=field.for_concrete_model
        )
        if object_id_kind(fk_field) == object_id_kind(model._meta.pk):
            return {content_type.pk: values}
        values = list(model._base_manager.using(using).filter(pk__in=values))
    if isinstance(values, (str, bytes, Model)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"{field}: the 'in' lookup takes a list of saved model instances or a QuerySet, got {values!r}"
        )
    for value in values:
        if not isinstance(value, Model):
            raise TypeError(f"{field}: expected saved model instances, got {value!r}")
        if value._state.adding or value.pk is None:
            raise ValueError(
                f"{field}: cannot filter on an unsaved {type(value).__name__} instance; save() it first"
            )
        content_type = field.get_content_type(obj=value)
        object_id = to_object_id(fk_field, value)
        if object_id not in groups[content_type.pk]:
            groups[content_type.pk].append(object_id)
    return dict(groups)
