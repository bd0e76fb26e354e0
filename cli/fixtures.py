"""dumpdata and loaddata: the rows of the configured apps as a JSON fixture, and back.

``dump_data`` writes models in dependency order (targets of foreign keys
first), rows by key; ``load_data`` loads every file in one transaction with
foreign key checks postponed to its end, so keys may point forward in a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from orm import serializers

__all__ = ["dump_data", "load_data", "select_models"]


def _models_of(label: str) -> list[Any]:
    from orm.registry import registry

    app_label, _, model_name = label.partition(".")
    try:
        if model_name:
            return [registry.get_model(app_label, model_name)]
        return registry.get_app_config(app_label).get_models()
    except LookupError as error:
        raise click.ClickException(f"{label}: {error}") from None


def select_models(labels: Iterable[str], exclude: Iterable[str], using: str = "default") -> list[Any]:
    """The models named by ``labels`` (all of the configured apps' if none), less ``exclude``.

    Only models with a table on ``using``: managed, not proxies, and allowed there
    by the routers' ``allow_migrate``, as Django's dumpdata.
    """
    from orm.registry import registry
    from orm.routers import router

    labels = list(labels)
    if labels:
        chosen = [model for label in labels for model in _models_of(label)]
    else:
        chosen = [model for config in registry.get_app_configs() for model in config.get_models()]
    excluded = {model for label in exclude for model in _models_of(label)}
    return [
        model for model in dict.fromkeys(chosen)
        if model not in excluded and not model._meta.auto_created
        and router.allow_migrate_model(using, model)
    ]


def dump_data(models: list[Any], using: str, indent: int | None, use_base_manager: bool = False) -> str:
    """The rows of ``models`` on ``using`` as a JSON fixture, each model after its foreign keys' targets.

    Rows come from each model's default manager (its base manager with
    ``use_base_manager``, so rows a custom manager hides are dumped too).
    """
    objects = (
        obj
        for model in serializers.sort_dependencies(models)
        for obj in (model._base_manager if use_base_manager else model._default_manager)
        .using(using)
        .order_by(model._meta.pk.name)
    )
    return serializers.serialize("json", objects, indent=indent)


def load_data(paths: Iterable[str], using: str) -> tuple[int, int]:
    """Save every object of the fixture files at ``paths`` on ``using``, all or nothing.

    Returns how many objects were saved and how many the files hold: an object
    whose model the routers' ``allow_migrate`` keeps off ``using`` is skipped,
    as by Django's loaddata. Raises ``click.ClickException`` naming the file and the object's index for a
    bad fixture, a failed save or a foreign key pointing at no row.
    """
    from orm.exceptions import IntegrityError

    saved = found = 0
    models: set[Any] = set()
    try:
        with serializers.foreign_key_checks_deferred(using):
            for path in paths:
                file_saved, file_found = _load_file(path, using, models)
                saved += file_saved
                found += file_found
            _reset_sequences(using, models)
    except IntegrityError as error:
        raise click.ClickException(f"{error}; nothing was loaded") from None
    return saved, found


def _load_file(path: str, using: str, models: set[Any]) -> tuple[int, int]:
    from orm.routers import router

    text = _read(path)
    saved = found = 0
    try:
        for item in serializers.deserialize("json", text):
            found += 1
            model = type(item.object)
            if not router.allow_migrate_model(using, model):
                continue
            item.save(using=using)
            models.add(model)
            saved += 1
    except serializers.DeserializationError as error:
        raise click.ClickException(f"{path}: {error}; nothing was loaded") from None
    except _database_errors() as error:
        message = " ".join(str(error).split())
        raise click.ClickException(
            f"{path}: object {found - 1} could not be saved: {message}; nothing was loaded"
        ) from None
    return saved, found


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{path}: cannot read the fixture: {error.strerror}") from None


def _database_errors() -> tuple[type[BaseException], ...]:
    import backends.errors
    import orm.exceptions

    return (backends.errors.Error, orm.exceptions.ValidationError, orm.exceptions.FieldError)


_AUTO_FIELDS = ("AutoField", "BigAutoField", "SmallAutoField")


def _reset_sequences(using: str, models: set[Any]) -> None:
    """Move PostgreSQL's key sequences past the keys just loaded, as Django's loaddata does.

    An explicit key does not advance an identity column's sequence there, so the
    next row saved without a key would reuse a loaded one; SQLite and MariaDB
    take the next key from the table's largest.
    """
    from orm.connections import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.dialect.quote_name
    for model in sorted(models, key=lambda model: model._meta.label):
        pk = model._meta.pk
        if pk.get_internal_type() not in _AUTO_FIELDS:
            continue
        table, column = quote(model._meta.db_table), quote(pk.column)
        connection.fetch_all(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({column}), 1), "
            f"max({column}) IS NOT NULL) FROM {table}",
            (table, pk.column),
        )
