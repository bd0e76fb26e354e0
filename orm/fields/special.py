"""UUIDs, JSON documents, bytes and IP addresses."""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import Any

from orm import validators as v
from orm.fields.base import Field

__all__ = ["UUIDField", "JSONField", "BinaryField", "GenericIPAddressField"]


class UUIDField(Field):
    """A ``uuid.UUID`` (native on PostgreSQL, 32 hex characters elsewhere)."""

    empty_strings_allowed = False
    _deconstruct_defaults = {**Field._deconstruct_defaults, "max_length": 32}

    def __init__(self, verbose_name=None, **kwargs):
        kwargs["max_length"] = 32
        super().__init__(verbose_name, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        try:
            if isinstance(value, int) and not isinstance(value, bool):
                return uuid.UUID(int=value)
            if isinstance(value, str):
                return uuid.UUID(value)
        except ValueError:
            pass
        raise self._invalid(value, "a UUID")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is uuid.UUID or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class JSONField(Field):
    """A JSON document: dicts, lists, strings, numbers, booleans and None.

    ``None`` is stored as SQL NULL; use ``Value("null")``-free designs or
    ``null=False`` with a default such as ``dict`` for documents.
    """

    empty_strings_allowed = False
    empty_values = (None, "", [], (), {})

    _deconstruct_defaults = {**Field._deconstruct_defaults, "encoder": None, "decoder": None}

    def __init__(self, verbose_name=None, name=None, encoder=None, decoder=None, **kwargs):
        self.encoder = encoder
        self.decoder = decoder
        super().__init__(verbose_name, name, **kwargs)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        try:
            json.dumps(value, cls=self.encoder)
        except (TypeError, ValueError):
            raise self._invalid(value, "a JSON-serialisable value") from None
        return value

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        if self.encoder is not None:
            value = json.loads(json.dumps(value, cls=self.encoder))
        adapter = self.get_db_adapter(connection)
        return adapter(value) if adapter is not None else value

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        try:
            json.dumps(value, cls=self.encoder)
        except (TypeError, ValueError):
            from orm.exceptions import ValidationError

            raise ValidationError("Value must be valid JSON.") from None


class BinaryField(Field):
    """Raw bytes (returned as ``bytes``)."""

    empty_values: tuple[Any, ...] = (None, b"")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.editable:
            kwargs["editable"] = True
        else:
            kwargs.pop("editable", None)
        return name, path, args, kwargs

    def get_default(self) -> Any:
        if self.has_default() or self.has_db_default():
            return super().get_default()
        return None if self.null else b""

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        raise self._invalid(value, "bytes")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is bytes or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class GenericIPAddressField(Field):
    """An IPv4 or IPv6 address, kept as text in its normalised form."""

    empty_strings_allowed = False
    _deconstruct_defaults = {**Field._deconstruct_defaults, "max_length": 39, "protocol": "both"}

    def __init__(self, verbose_name=None, name=None, protocol="both", unpack_ipv4=False, **kwargs):
        self.protocol = protocol
        self.unpack_ipv4 = unpack_ipv4
        kwargs["max_length"] = 39
        super().__init__(verbose_name, name, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def default_validators(self) -> list:
        return [v.validate_ipv46_address]

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return str(value)
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None if self.null else value
            try:
                return str(ipaddress.ip_address(value))
            except ValueError:
                pass
        raise self._invalid(value, "an IPv4 or IPv6 address")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)
