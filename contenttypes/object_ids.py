"""Object ids: a target's primary key stored in a generic relation's ``object_id`` column, and back.

The ``object_id`` field may be an integer field (integer primary keys), a
``UUIDField`` (UUID primary keys) or a text field (any mix). In a text field
an integer key is stored as its decimal digits and a UUID as its 32 hex
digits, the same on every backend, so that SQL can compare it with the key
column cast to text.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["object_id_kind", "to_object_id", "to_primary_key", "key_column_sql"]

_INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)
_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField"})


def object_id_kind(field) -> str:
    """``"integer"``, ``"uuid"``, ``"text"`` or the field's internal type."""
    internal = field.get_internal_type()
    if internal in _INTEGER_TYPES:
        return "integer"
    if internal == "UUIDField":
        return "uuid"
    if internal in _TEXT_TYPES:
        return "text"
    return internal


def to_object_id(object_id_field, target) -> Any:
    """The value ``object_id_field`` stores for the saved model instance ``target``."""
    pk = target.pk
    kind = object_id_kind(object_id_field)
    if kind == "text":
        return pk.hex if isinstance(pk, uuid.UUID) else str(pk)
    pk_kind = object_id_kind(target._meta.pk)
    if kind != pk_kind:
        raise ValueError(
            f"{object_id_field}: a {object_id_field.get_internal_type()} cannot hold the "
            f"{target._meta.pk.get_internal_type()} primary key of {target._meta.label}; "
            "use orm.UUIDField() for UUID keys, or orm.CharField(max_length=255) to point at "
            "models with keys of different types"
        )
    return object_id_field.to_python(pk)


def to_primary_key(model, object_id) -> Any:
    """``object_id`` as a value of ``model``'s primary key; ``ValueError`` when it cannot be one."""
    if object_id is None:
        return None
    try:
        return model._meta.pk.to_python(object_id)
    except (TypeError, ValueError) as error:  # FieldValueError is both
        raise ValueError(f"{object_id!r} is not a primary key of {model._meta.label}") from error


def key_column_sql(connection, quote, alias: str, pk_field, object_id_field) -> str:
    """SQL for ``alias``'s primary key column, comparable with ``object_id_field``'s column."""
    sql = f"{quote(alias)}.{quote(pk_field.column)}"
    if object_id_kind(object_id_field) != "text" or object_id_kind(pk_field) == "text":
        return sql
    params = dict(object_id_field.db_params())
    params.setdefault("max_length", 255)
    if params.get("max_length") is None:
        params["max_length"] = 255
    cast = connection.dialect.cast_sql(sql, object_id_field.get_internal_type(), params)
    if object_id_kind(pk_field) == "uuid":
        # PostgreSQL prints a uuid with hyphens; the other backends store 32 hex digits.
        cast = f"REPLACE({cast}, '-', '')"
    if connection.vendor == "mysql":
        # CAST gives the connection's collation, which MySQL refuses to compare with
        # the column's; a binary string compares bytes, and ids are plain ASCII.
        cast = f"CAST({cast} AS BINARY)"
    return cast


def needs_cast(pk_field, object_id_field) -> bool:
    """Whether the key and object id columns need a cast to be compared in SQL."""
    return object_id_kind(object_id_field) == "text" and object_id_kind(pk_field) != "text"
