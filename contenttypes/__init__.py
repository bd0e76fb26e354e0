"""The contenttypes app: ``ContentType`` and generic relations (SPEC §7).

Add ``"contenttypes"`` to ``apps`` so that its migration creates the table and
``migrate`` records a content type for every installed model::

    from contenttypes import ContentType, GenericForeignKey, GenericRelation
"""

from contenttypes.fields import GenericForeignKey
from contenttypes.models import ContentType, ContentTypeManager
from contenttypes.pruning import PrunedContentType, prune_content_types
from contenttypes.relations import GenericRelation
from contenttypes.sync import create_content_types

app_label = "contenttypes"

__all__ = [
    "ContentType",
    "ContentTypeManager",
    "GenericForeignKey",
    "GenericRelation",
    "PrunedContentType",
    "create_content_types",
    "prune_content_types",
]
