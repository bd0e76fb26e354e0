"""Django's JSON fixture format: ``serialize("json", objects)`` and ``deserialize("json", text)``.

A fixture is a list of ``{"model": "app_label.modelname", "pk": 1, "fields": {...}}``:
foreign keys as the target's key, many-to-many fields as a list of keys, values
written as Django's ``DjangoJSONEncoder`` writes them (ISO 8601 dates and times
with ``Z`` for UTC, decimals and UUIDs as strings). ``deserialize`` yields
`DeserializedObject` items; ``item.save()`` stores the row with ``raw=True``
and then sets its many-to-many relations, as Django's ``loaddata`` does.
``sort_dependencies`` orders models for a dump (targets of foreign keys first);
``foreign_key_checks_deferred`` is the block a load runs in, so rows may
point forward. ``manouche dumpdata`` / ``loaddata`` (``cli.fixtures``) use them.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "DeserializationError",
    "DeserializedObject",
    "FixtureJSONEncoder",
    "deserialize",
    "foreign_key_checks_deferred",
    "serialize",
    "sort_dependencies",
]


class DeserializationError(Exception):
    """A fixture that cannot be read: bad JSON, an unknown model or field, a bad value.

    ``index`` is the position (from 0) of the object in the fixture, when known.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class FixtureJSONEncoder(json.JSONEncoder):
    """JSON with dates, times, decimals, UUIDs and durations as Django's ``DjangoJSONEncoder`` writes them."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            if o.microsecond:
                text = text[:23] + text[26:]  # milliseconds, as ECMA-262 and Django
            if text.endswith("+00:00"):
                text = text.removesuffix("+00:00") + "Z"
            return text
        if isinstance(o, datetime.date):
            return o.isoformat()
        if isinstance(o, datetime.time):
            text = o.isoformat()
            return text[:12] if o.microsecond else text
        if isinstance(o, datetime.timedelta):
            return _duration_iso_string(o)
        if isinstance(o, (decimal.Decimal, uuid.UUID)):
            return str(o)
        return super().default(o)


# -- durations, as Django's django.utils.duration / dateparse ---------------------------

_DURATION = re.compile(
    r"^(?:(?P<days>-?\d+) (?:days?, )?)?(?P<sign>-?)(?P<hours>\d+):(?P<minutes>\d+):"
    r"(?P<seconds>\d+)(?:[.,](?P<microseconds>\d{1,6}))?$"
)


def _duration_components(duration: datetime.timedelta) -> tuple[int, int, int, int, int]:
    minutes, seconds = divmod(duration.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return duration.days, hours, minutes, seconds, duration.microseconds


def _duration_string(duration: datetime.timedelta) -> str:
    """``[DD ]HH:MM:SS[.uuuuuu]``: how Django's DurationField writes itself into a fixture."""
    days, hours, minutes, seconds, microseconds = _duration_components(duration)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if days:
        text = f"{days} {text}"
    if microseconds:
        text += f".{microseconds:06d}"
    return text


def _duration_iso_string(duration: datetime.timedelta) -> str:
    sign = "-" if duration < datetime.timedelta(0) else ""
    days, hours, minutes, seconds, microseconds = _duration_components(abs(duration))
    fraction = f".{microseconds:06d}" if microseconds else ""
    return f"{sign}P{days}DT{hours:02d}H{minutes:02d}M{seconds:02d}{fraction}S"


def _parse_duration(text: str) -> datetime.timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration ('[DD ]HH:MM:SS[.uuuuuu]')")
    parts = match.groupdict()
    sign = -1 if parts["sign"] == "-" else 1
    return datetime.timedelta(days=int(parts["days"] or 0)) + sign * datetime.timedelta(
        hours=int(parts["hours"]),
        minutes=int(parts["minutes"]),
        seconds=int(parts["seconds"]),
        microseconds=int((parts["microseconds"] or "0").ljust(6, "0")),
    )


# -- serializing ------------------------------------------------------------------------

#: Values Django's serializer leaves to the JSON encoder (``is_protected_type``).
_PROTECTED = (
    type(None), int, float, decimal.Decimal, datetime.datetime, datetime.date, datetime.time,
)


def _field_value(field: Any, obj: Any) -> Any:
    """``field``'s value of ``obj`` as Django's python serializer gives it to the encoder."""
    value = field.value_from_object(obj)
    if isinstance(value, _PROTECTED):
        return value
    kind = field.get_internal_type()
    if kind == "JSONField":
        return value
    if kind == "BinaryField":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "DurationField":
        return _duration_string(value)
    return str(value)


def _serialized_fields(model: Any) -> list[Any]:
    return [
        field for field in model._meta.concrete_fields
        if field.serialize and not field.primary_key and not getattr(field, "generated", False)
    ]


def _many_to_many_fields(model: Any) -> list[Any]:
    return [
        field for field in model._meta.many_to_many
        if field.serialize and field.remote_field.through._meta.auto_created
    ]


def _as_dict(obj: Any, fields: set[str] | None) -> dict[str, Any]:
    model = type(obj)
    values: dict[str, Any] = {}
    for field in _serialized_fields(model):
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        if field.is_relation:
            key = getattr(obj, field.attname)
            values[field.name] = key if isinstance(key, _PROTECTED) else str(key)
        else:
            values[field.name] = _field_value(field, obj)
    for field in _many_to_many_fields(model):
        if fields is not None and field.name not in fields:
            continue
        keys = getattr(obj, field.name).order_by("pk").values_list("pk", flat=True)
        values[field.name] = [key if isinstance(key, _PROTECTED) else str(key) for key in keys]
    pk = obj.pk
    return {
        "model": model._meta.label_lower,
        "pk": pk if isinstance(pk, _PROTECTED) else str(pk),
        "fields": values,
    }


def serialize(
    format: str, queryset: Iterable[Any], indent: int | None = None, fields: Iterable[str] | None = None
) -> str:
    """The objects of ``queryset`` (any iterable of model instances) as a JSON fixture.

    ``fields`` limits each object's ``"fields"`` to those names (the key is always written).
    """
    _check_format(format)
    wanted = set(fields) if fields is not None else None
    items = [_as_dict(obj, wanted) for obj in queryset]
    return json.dumps(items, cls=FixtureJSONEncoder, indent=indent, ensure_ascii=False)


def _check_format(format: str) -> None:
    if format != "json":
        raise ValueError(f"serializer format {format!r} is not supported; use 'json'")


def sort_dependencies(models: Iterable[Any]) -> list[Any]:
    """``models`` ordered so that each comes after the models its foreign keys point to.

    As Django's ``sort_dependencies(allow_cycles=True)``: passes over the models
    in their order, each taken once the models it depends on are; many-to-many
    targets count when the junction is auto-created; the models of a cycle
    follow, sorted by class name.
    """
    pending = list(dict.fromkeys(models))
    dependencies = {model: _dependencies(model) for model in pending}
    ordered: list[Any] = []
    while pending:
        skipped = []
        for model in pending:
            if all(target in ordered or target not in dependencies for target in dependencies[model]):
                ordered.append(model)
            else:
                skipped.append(model)
        if len(skipped) == len(pending):
            ordered += sorted(skipped, key=lambda model: model.__name__)
            break
        pending = skipped
    return ordered


def _dependencies(model: Any) -> list[Any]:
    targets = [
        field.remote_field.model for field in model._meta.concrete_fields if field.is_relation
    ]
    targets += [field.remote_field.model for field in _many_to_many_fields(model)]
    return [target for target in targets if target is not model]


# -- deserializing ----------------------------------------------------------------------


class DeserializedObject:
    """One object read from a fixture: the unsaved instance and its many-to-many keys."""

    def __init__(self, obj: Any, m2m_data: dict[str, list[Any]] | None = None) -> None:
        self.object = obj
        self.m2m_data = m2m_data or {}

    def __repr__(self) -> str:
        return f"<DeserializedObject: {self.object._meta.label}(pk={self.object.pk!r})>"

    def save(self, using: str | None = None) -> None:
        """Store the row as it is in the fixture (``save_base(raw=True)``), then its many-to-many keys.

        No ``auto_now`` stamp replaces the fixture's value, as with Django's raw save.
        """
        from orm.routers import router

        obj = self.object
        model = type(obj)
        using = using or router.db_for_write(model, instance=obj)
        if obj.pk is not None:
            # Django's raw save updates the row with this key if there is one, else inserts
            # it, even when the key has a default.
            obj._state.adding = False
        stamped = {
            field.attname: getattr(obj, field.attname)
            for field in model._meta.concrete_fields
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        }
        obj.save_base(using=using, raw=True)
        if stamped:
            # pre_save stamped the time; a raw save keeps the fixture's (as Django's).
            model._base_manager.using(using).filter(pk=obj.pk).update(**stamped)
            for attname, value in stamped.items():
                setattr(obj, attname, value)
        for name, keys in self.m2m_data.items():
            getattr(obj, name).set(keys)


def deserialize(format: str, stream_or_string: str | bytes | Any) -> Iterator[DeserializedObject]:
    """The objects of a JSON fixture, as `DeserializedObject` items (nothing is saved).

    Raises `DeserializationError` naming the object's index for bad JSON, an
    unknown model or field, or a value the field does not accept.
    """
    _check_format(format)
    text = stream_or_string if isinstance(stream_or_string, (str, bytes)) else stream_or_string.read()
    try:
        items = json.loads(text)
    except ValueError as error:
        raise DeserializationError(f"invalid JSON: {error}") from None
    if not isinstance(items, list):
        raise DeserializationError("a fixture is a JSON list of objects")
    for index, item in enumerate(items):
        try:
            yield _build(item)
        except DeserializationError as error:
            raise DeserializationError(f"object {index}: {error}", index) from None


def _build(item: Any) -> DeserializedObject:
    from orm.exceptions import FieldDoesNotExist
    from orm.registry import registry

    if not isinstance(item, dict) or not isinstance(item.get("model"), str):
        raise DeserializationError('each object needs "model": "app_label.modelname"')
    label = item["model"]
    try:
        app_label, model_name = label.split(".")
        model = registry.get_model(app_label, model_name)
    except (ValueError, LookupError):
        raise DeserializationError(f"invalid model identifier: {label!r}") from None
    opts = model._meta
    data: dict[str, Any] = {}
    if item.get("pk") is not None:
        data[opts.pk.attname] = _convert(opts.pk, item["pk"], label)
    m2m_data: dict[str, list[Any]] = {}
    fields = item.get("fields", {})
    if not isinstance(fields, dict):
        raise DeserializationError(f'{label}: "fields" must be an object')
    for name, value in fields.items():
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            raise DeserializationError(f"{label} has no field named {name!r}") from None
        if field.many_to_many:
            if not isinstance(value, list):
                raise DeserializationError(f"{label}.{name}: a many-to-many value is a list of keys")
            target_pk = field.remote_field.model._meta.pk
            m2m_data[field.name] = [_convert(target_pk, key, f"{label}.{name}") for key in value]
        elif not field.concrete:
            raise DeserializationError(f"{label}.{name} is not a concrete field")
        elif field.is_relation:
            data[field.attname] = (
                None if value is None else _convert(field.target_field, value, f"{label}.{name}")
            )
        else:
            data[field.attname] = _convert(field, value, f"{label}.{name}")
    return DeserializedObject(model(**data), m2m_data)


def _convert(field: Any, value: Any, where: str) -> Any:
    """``value`` from the fixture as ``field``'s Python value."""
    try:
        if value is None:
            return None
        kind = field.get_internal_type()
        if kind == "JSONField":
            return value
        if kind == "BinaryField" and isinstance(value, str):
            return base64.b64decode(value)
        if kind == "DurationField" and isinstance(value, str):
            return _parse_duration(value)
        return field.to_python(value)
    except Exception as error:  # a field's own error type, whatever it is
        message = " ".join(str(error).split()) or type(error).__name__
        raise DeserializationError(f"{where}: {value!r}: {message}") from None


# -- loading with keys that point forward -----------------------------------------------


@contextlib.contextmanager
def foreign_key_checks_deferred(using: str = "default") -> Iterator[None]:
    """An ``atomic`` block whose foreign keys are checked once, at its end: rows may point forward.

    PostgreSQL's and SQLite's keys are DEFERRABLE INITIALLY DEFERRED already
    (SQLite's ``defer_foreign_keys`` covers tables made elsewhere); MariaDB's
    cannot be deferred, so its checks are off until the block ends, as in
    Django's ``loaddata``. Before the block commits, every foreign key of the
    tables saved to is checked: ``IntegrityError`` names the first that points
    at no row, and the block rolls back. Inside another ``atomic`` block it is
    a savepoint.
    """
    from orm.connections import connections
    from orm.signals import post_save
    from orm.transaction import atomic

    connection = connections[using]
    saved: set[Any] = set()
    uid = ("foreign_key_checks_deferred", id(saved))

    def remember(sender: Any, **kwargs: Any) -> None:
        saved.add(sender)

    if connection.vendor == "mysql":
        connection.execute("SET foreign_key_checks = 0")
    post_save.connect(remember, weak=False, dispatch_uid=uid)
    try:
        with atomic(using=using):
            if connection.vendor == "sqlite":
                connection.execute("PRAGMA defer_foreign_keys = ON")
            yield
            _check_foreign_keys(connection, saved)
    finally:
        post_save.disconnect(dispatch_uid=uid)
        # After the block: a broken transaction has been rolled back by now.
        if connection.vendor == "mysql" and not connection.closed:
            connection.execute("SET foreign_key_checks = 1")


def _check_foreign_keys(connection: Any, models: set[Any]) -> None:
    from orm.exceptions import IntegrityError

    quote = connection.dialect.quote_name
    for model in sorted(models, key=lambda model: model._meta.label):
        opts = model._meta
        tables = [(opts.label_lower, opts.db_table, opts.concrete_fields)]
        for field in _many_to_many_fields(model):
            through = field.remote_field.through._meta
            tables.append((f"{opts.label_lower}.{field.name}", through.db_table, through.concrete_fields))
        for label, table, fields in tables:
            for field in fields:
                if not field.is_relation or not getattr(field, "db_constraint", True):
                    continue
                target = field.target_field
                column, target_column = quote(field.column), quote(target.column)
                rows = connection.fetch_all(
                    f"SELECT source.{column} FROM {quote(table)} source "
                    f"LEFT JOIN {quote(target.model._meta.db_table)} target "
                    f"ON source.{column} = target.{target_column} "
                    f"WHERE source.{column} IS NOT NULL AND target.{target_column} IS NULL LIMIT 1",
                    (),
                )
                if rows:
                    raise IntegrityError(
                        f"{label}.{field.name} = {rows[0][0]!r} points at no "
                        f"{target.model._meta.label_lower} row"
                    )
