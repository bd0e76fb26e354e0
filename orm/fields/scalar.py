"""Numbers, text and booleans: the fields whose values are Python scalars."""

from __future__ import annotations

import decimal
from typing import Any

from orm import validators as v
from orm.fields.base import Field

__all__ = [
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "FloatField",
    "DecimalField",
    "BooleanField",
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
]


class IntegerField(Field):
    """A 32-bit signed integer."""

    empty_strings_allowed = False
    integer_range: tuple[int, int] | None = (-2147483648, 2147483647)

    def default_validators(self) -> list:
        if self.integer_range is None:
            return []
        low, high = self.integer_range
        return [v.MinValueValidator(low), v.MaxValueValidator(high)]

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                return int(value)
            if isinstance(value, (str, decimal.Decimal)):
                number = decimal.Decimal(str(value).strip())
                if number != number.to_integral_value():
                    raise ValueError
                return int(number)
            if isinstance(value, bool):
                return int(value)
        except (ValueError, decimal.InvalidOperation, TypeError):
            pass
        raise self._invalid(value, "an integer")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is int or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class BigIntegerField(IntegerField):
    """A 64-bit signed integer."""

    integer_range = (-9223372036854775808, 9223372036854775807)


class SmallIntegerField(IntegerField):
    """A 16-bit signed integer."""

    integer_range = (-32768, 32767)


class PositiveIntegerField(IntegerField):
    """An integer from 0 to 2147483647 (a CHECK constraint where the backend needs one)."""

    integer_range = (0, 2147483647)


class PositiveSmallIntegerField(IntegerField):
    """An integer from 0 to 32767."""

    integer_range = (0, 32767)


class PositiveBigIntegerField(IntegerField):
    """An integer from 0 to 9223372036854775807."""

    integer_range = (0, 9223372036854775807)


class AutoFieldMixin:
    """An integer primary key the database assigns."""

    def __init__(self, *args, **kwargs):
        kwargs["blank"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        kwargs.pop("blank", None)
        kwargs["primary_key"] = True
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        return None

    def check(self) -> list[str]:
        problems = super().check()  # type: ignore[misc]
        if not self.primary_key:  # type: ignore[attr-defined]
            problems.append(f"{self}: AutoFields must set primary_key=True")
        return problems


class AutoField(AutoFieldMixin, IntegerField):
    """A 32-bit auto-incrementing primary key."""


class BigAutoField(AutoFieldMixin, BigIntegerField):
    """A 64-bit auto-incrementing primary key (the default ``id``)."""


class SmallAutoField(AutoFieldMixin, SmallIntegerField):
    """A 16-bit auto-incrementing primary key."""


class FloatField(Field):
    """A double-precision float."""

    empty_strings_allowed = False

    def to_python(self, value: Any) -> Any:
        if value is None or type(value) is float:
            return value
        if isinstance(value, bool):
            raise self._invalid(value, "a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._invalid(value, "a number") from None

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is float or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class DecimalField(Field):
    """A fixed-precision decimal, returned as ``decimal.Decimal``."""

    empty_strings_allowed = False
    _deconstruct_defaults = {
        **Field._deconstruct_defaults,
        "max_digits": None,
        "decimal_places": None,
    }

    def __init__(self, verbose_name=None, name=None, max_digits=None, decimal_places=None, **kwargs):
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        super().__init__(verbose_name, name, **kwargs)

    def check(self) -> list[str]:
        problems = super().check()
        if self.max_digits is None or self.decimal_places is None:
            problems.append(
                f"{self}: DecimalField requires max_digits and decimal_places "
                f"(e.g. max_digits=10, decimal_places=2)"
            )
        elif self.decimal_places > self.max_digits:
            problems.append(f"{self}: decimal_places must not exceed max_digits")
        return problems

    def default_validators(self) -> list:
        return [v.DecimalValidator(self.max_digits, self.decimal_places)]

    def to_python(self, value: Any) -> Any:
        """``value`` as a finite ``Decimal``: NaN and infinities are refused, as Django does."""
        if value is None or type(value) is decimal.Decimal and value.is_finite():
            return value
        if isinstance(value, bool):
            raise self._invalid(value, "a decimal number")
        try:
            if isinstance(value, float):
                number = decimal.Context(prec=self.max_digits or 28).create_decimal_from_float(value)
            else:
                number = decimal.Decimal(str(value).strip() if isinstance(value, str) else value)
        except (decimal.InvalidOperation, TypeError, ValueError):
            raise self._invalid(value, "a decimal number") from None
        if not number.is_finite():
            # MySQL and SQLite cannot store them; PostgreSQL's numeric could, but one rule everywhere.
            raise self._invalid(value, "a finite decimal number (NaN and infinities cannot be saved or compared)")
        return number

    def from_db_converter(self, connection):
        """The dialect's converter followed by quantizing to ``decimal_places``.

        SQLite keeps NUMERIC values as integers or floats, so ``0.00`` reads back
        as ``0``; quantizing here restores the declared scale on every backend.
        """
        vendor = connection.vendor
        try:
            return self._db_converters[vendor]
        except KeyError:
            pass
        base = connection.dialect.get_converter(self.get_internal_type())
        if self.decimal_places is None:
            converter = base
        else:
            quantum = decimal.Decimal(1).scaleb(-self.decimal_places)
            context = decimal.Context(prec=max(self.max_digits or 28, 28) + 2)
            to_decimal = base or decimal.Decimal

            def converter(value, _quantum=quantum, _context=context, _to_decimal=to_decimal):
                if value is None:
                    return None
                value = _to_decimal(value)
                if value.is_finite():
                    return value.quantize(_quantum, context=_context)
                return value

        self._db_converters[vendor] = converter
        return converter

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        value = self.to_python(value)
        if self.decimal_places is not None:
            quantum = decimal.Decimal(1).scaleb(-self.decimal_places)
            try:
                value = value.quantize(quantum, context=decimal.Context(prec=max(self.max_digits or 28, 28) + 2))
            except decimal.InvalidOperation:
                raise self._invalid(value, f"at most {self.max_digits} digits") from None
        return value


class BooleanField(Field):
    """True or False (and NULL when ``null=True``)."""

    empty_strings_allowed = False
    _truthy = {True, "1", "t", "true", "True", "yes", "on"}
    _falsy = {False, "0", "f", "false", "False", "no", "off"}

    def to_python(self, value: Any) -> Any:
        if value is None or value is True or value is False:
            return value
        if isinstance(value, (int, str)):
            if value in self._truthy:
                return True
            if value in self._falsy:
                return False
        raise self._invalid(value, "True or False")

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value is True or value is False or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)

    def validate(self, value, model_instance):
        if value is False and not self.blank:
            # False is a value, not an empty input.
            return
        super().validate(value, model_instance)


class CharField(Field):
    """A string of at most ``max_length`` characters."""

    def check(self) -> list[str]:
        problems = super().check()
        if self.max_length is None and type(self)._requires_max_length:
            problems.append(f"{self}: CharField requires max_length (e.g. max_length=100)")
        elif self.max_length is not None and (
            not isinstance(self.max_length, int) or isinstance(self.max_length, bool) or self.max_length <= 0
        ):
            problems.append(f"{self}: max_length must be a positive integer")
        return problems

    _requires_max_length = True

    def default_validators(self) -> list:
        return [v.MaxLengthValidator(self.max_length)] if self.max_length else []

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (bytes, dict, list, tuple, set)):
            raise self._invalid(value, "a string")
        return str(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or type(value) is str or hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)


class TextField(CharField):
    """A string of any length."""

    _requires_max_length = False


class SlugField(CharField):
    """Letters, numbers, underscores and hyphens; indexed by default."""

    _deconstruct_defaults = {**CharField._deconstruct_defaults, "max_length": 50, "db_index": True}

    def __init__(self, *args, max_length=50, db_index=True, allow_unicode=False, **kwargs):
        self.allow_unicode = allow_unicode
        super().__init__(*args, max_length=max_length, db_index=db_index, **kwargs)

    def default_validators(self) -> list:
        return [*super().default_validators(), v.validate_slug]

    def get_internal_type(self) -> str:
        return "SlugField"


class EmailField(CharField):
    """An e-mail address (validated by ``full_clean``)."""

    _deconstruct_defaults = {**CharField._deconstruct_defaults, "max_length": 254}

    def __init__(self, *args, max_length=254, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    def default_validators(self) -> list:
        return [*super().default_validators(), v.validate_email]

    def get_internal_type(self) -> str:
        return "EmailField"


class URLField(CharField):
    """A URL (validated by ``full_clean``)."""

    _deconstruct_defaults = {**CharField._deconstruct_defaults, "max_length": 200}

    def __init__(self, *args, max_length=200, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    def default_validators(self) -> list:
        return [*super().default_validators(), v.URLValidator()]

    def get_internal_type(self) -> str:
        return "URLField"

