"""Content type rows for installed models: created after ``migrate`` (``post_migrate``)."""

from __future__ import annotations

from contenttypes.models import ContentType
from orm import signals
from orm.connections import connections
from orm.registry import AppConfig, registry
from orm.routers import router

__all__ = ["create_content_types"]


def create_content_types(using: str = "default", models=None) -> list[ContentType]:
    """Create the missing content types of ``models`` (default: every installed model).

    Returns the content types created. Junction models of many-to-many fields
    get none, as in Django.
    """
    if models is None:
        models = registry.get_models()
    manager = ContentType.objects.db_manager(using)
    existing = set(manager.using(using).values_list("app_label", "model"))
    missing = []
    for model in models:
        opts = model._meta
        key = (opts.app_label, opts.model_name)
        if opts.abstract or opts.auto_created or key in existing:
            continue
        existing.add(key)
        missing.append(ContentType(app_label=key[0], model=key[1]))
    if missing:
        manager.using(using).bulk_create(missing, ignore_conflicts=True)
    return missing


def _create_after_migrate(sender=None, using=None, app_config=None, **kwargs) -> None:
    """``post_migrate`` receiver: content types for the migrated app's models (or all)."""
    using = using or kwargs.get("database") or "default"
    if not registry.is_installed("contenttypes"):
        return
    if not router.allow_migrate_model(using, ContentType):
        return
    if not connections[using].introspection.has_table(ContentType._meta.db_table):
        return  # contenttypes is not migrated (yet, or any more) on this database
    if app_config is None and isinstance(sender, AppConfig):
        app_config = sender
    models = app_config.get_models() if app_config is not None else None
    create_content_types(using, models)


signals.post_migrate.connect(_create_after_migrate, weak=False, dispatch_uid="contenttypes.create_content_types")
