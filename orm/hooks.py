"""Where ``associations`` plugs relation behaviour into ``orm`` without ``orm`` importing it.

``associations`` sets these when it is imported (``orm/__init__`` imports it last).
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["collector_class", "prefetch_related_objects", "check_installed_models"]

# The class that collects what a delete reaches (CASCADE, PROTECT, ...):
# ``collector_class(using, origin).collect(objs_or_queryset)`` then ``.delete()``.
collector_class: Any = None

# ``prefetch_related_objects(instances, *lookups)``: fill the prefetch caches.
prefetch_related_objects: Callable[..., None] | None = None

# ``check_installed_models(app_labels)``: raise ``ImproperlyConfigured`` for a relation
# of an installed app whose target model never appeared (SPEC §10), once the apps are loaded.
check_installed_models: Callable[..., None] | None = None
