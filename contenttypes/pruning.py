"""Removing content types whose model no longer exists (``manouche contenttypes prune``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from contenttypes.fields import GenericForeignKey
from contenttypes.models import ContentType
from orm.exceptions import ImproperlyConfigured
from orm.registry import registry
from orm.transaction import atomic

__all__ = ["PrunedContentType", "prune_content_types"]


@dataclass(frozen=True)
class PrunedContentType:
    """A stale content type and the generic rows pointing at it (``{"app.Model": count}``)."""

    id: int
    app_label: str
    model: str
    generic_objects: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        rows = ", ".join(f"{count} {label}" for label, count in sorted(self.generic_objects.items()))
        return f"{self.app_label}.{self.model}" + (f" ({rows})" if rows else "")


def _generic_foreign_keys() -> list[tuple]:
    """``(model, content type field)`` for every generic foreign key of the installed models."""
    found = []
    for model in registry.get_models():
        if not registry.is_in_project(model._meta.app_label):
            continue
        for private in model._meta.private_fields:
            if not isinstance(private, GenericForeignKey):
                continue
            try:
                ct_field, _fk_field = private.resolve_fields()
            except ImproperlyConfigured:
                continue
            if (model, ct_field) not in found:
                found.append((model, ct_field))
    return found


def prune_content_types(using: str = "default", *, dry_run: bool = False) -> list[PrunedContentType]:
    """Content types of ``using`` whose model is gone; unless ``dry_run``, delete them.

    Deleting a content type also deletes the rows whose generic foreign key
    points at it (and whatever cascades from those). Returns what would be
    (``dry_run=True``) or was removed, ordered by label.
    """
    manager = ContentType.objects.db_manager(using)
    stale = [
        content_type
        for content_type in manager.using(using).order_by("app_label", "model")
        if content_type.model_class() is None
    ]
    if not stale:
        return []
    generic = _generic_foreign_keys()
    removed = []
    with atomic(using=using):
        for content_type in stale:
            pk = content_type.pk
            counts: dict[str, int] = {}
            for model, ct_field in generic:
                rows = model._base_manager.using(using).filter(**{ct_field.attname: content_type.pk})
                if dry_run:
                    number = rows.count()
                    if number:
                        counts[model._meta.label] = counts.get(model._meta.label, 0) + number
                else:
                    _total, per_label = rows.delete()
                    for label, number in per_label.items():
                        counts[label] = counts.get(label, 0) + number
            if not dry_run:
                _total, per_label = content_type.delete(using=using)
                for label, number in per_label.items():
                    if label != ContentType._meta.label:
                        counts[label] = counts.get(label, 0) + number
            removed.append(
                PrunedContentType(pk, content_type.app_label, content_type.model, counts)
            )
    if not dry_run:
        manager.clear_cache()
    return removed

