"""Relation fields: ``ForeignKey``, ``OneToOneField``, ``ManyToManyField``."""

from associations.fields.base import RelatedField, check_pending_references, unresolved_references
from associations.fields.foreign import ForeignKey, OneToOneField
from associations.fields.many import ManyToManyField

__all__ = [
    "RelatedField",
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
    "check_pending_references",
    "unresolved_references",
]
