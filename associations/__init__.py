"""Relations between models: fields, reverse access, eager loading, on-delete, proxies.

``orm`` re-exports every name of ``__all__`` (``orm.ForeignKey``, ``orm.CASCADE``,
``orm.Prefetch`` ...), and importing this package plugs the on-delete collector
and ``prefetch_related`` into ``orm.hooks``.
"""

from associations.deletion import (
    CASCADE,
    DO_NOTHING,
    PROTECT,
    RESTRICT,
    SET,
    SET_DEFAULT,
    SET_NULL,
    Collector,
)
from associations.fields import (
    ForeignKey,
    ManyToManyField,
    OneToOneField,
    check_pending_references,
    unresolved_references,
)
from associations.prefetch import Prefetch, aprefetch_related_objects, prefetch_related_objects
from associations.proxy import AssociationProxy
from associations.reverse import ManyToManyRel, ManyToOneRel, OneToOneRel
from orm import hooks as _hooks

__all__ = [
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
    "CASCADE",
    "PROTECT",
    "RESTRICT",
    "SET_NULL",
    "SET_DEFAULT",
    "SET",
    "DO_NOTHING",
    "Prefetch",
    "prefetch_related_objects",
    "aprefetch_related_objects",
    "AssociationProxy",
    "Collector",
    "ManyToOneRel",
    "OneToOneRel",
    "ManyToManyRel",
]

_hooks.collector_class = Collector
_hooks.prefetch_related_objects = prefetch_related_objects
_hooks.check_installed_models = check_pending_references

# Not re-exported by orm (kept off __all__), but public here for the CLI's checks.
_ = (check_pending_references, unresolved_references)
