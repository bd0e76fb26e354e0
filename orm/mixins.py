"""Abstract models for common needs: ``TimestampedModel`` and ``SoftDeleteModel``."""

from __future__ import annotations

import datetime
from typing import Any

from orm.fields import DateTimeField
from orm.manager import Manager
from orm.model import Model

__all__ = ["TimestampedModel", "SoftDeleteModel", "SoftDeleteManager", "SoftDeleteQuerySet"]


class TimestampedModel(Model):
    """Adds ``created_at`` (set on insert) and ``updated_at`` (set on every save)."""

    created_at = DateTimeField(auto_now_add=True)
    updated_at = DateTimeField(auto_now=True)

    class Meta:
        abstract = True


from orm.query.queryset import QuerySet  # noqa: E402


class SoftDeleteQuerySet(QuerySet):
    """A QuerySet whose ``delete()`` marks rows deleted instead of removing them."""

    def delete(self):
        """Soft-delete: set ``deleted_at``; returns ``(count, {label: count})``."""
        count = self.update(deleted_at=datetime.datetime.now(datetime.timezone.utc))
        return count, ({self.model._meta.label: count} if count else {})

    def hard_delete(self):
        """Really delete the rows."""
        return QuerySet.delete(self)

    def restore(self) -> int:
        """Clear ``deleted_at`` on the rows."""
        return self.update(deleted_at=None)


class SoftDeleteManager(Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """Hides soft-deleted rows."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class _AllObjectsManager(Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """Shows every row, deleted or not."""


class SoftDeleteModel(Model):
    """``delete()`` sets ``deleted_at``; ``objects`` hides those rows, ``all_objects`` shows them."""

    deleted_at: Any = DateTimeField(null=True, blank=True, default=None)

    objects = SoftDeleteManager()
    all_objects = _AllObjectsManager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def delete(self, using=None, keep_parents=False):
        """Mark this row deleted (``deleted_at`` = now); returns ``(1, {label: 1})``."""
        self.deleted_at = datetime.datetime.now(datetime.timezone.utc)
        self.save(using=using, update_fields=["deleted_at"])
        return 1, {self._meta.label: 1}

    def hard_delete(self, using=None):
        """Really delete the row (with cascades)."""
        return Model.delete(self, using=using)

    def restore(self, using=None) -> None:
        """Undo a soft delete (saves ``deleted_at = NULL``)."""
        self.deleted_at = None
        self.save(using=using, update_fields=["deleted_at"])
