"""Validators for ``Field(validators=[...])`` and ``full_clean()``."""

from __future__ import annotations

import decimal
import ipaddress
import re
from typing import Any

from orm.exceptions import ValidationError

__all__ = [
    "RegexValidator",
    "MinValueValidator",
    "MaxValueValidator",
    "MinLengthValidator",
    "MaxLengthValidator",
    "DecimalValidator",
    "EmailValidator",
    "URLValidator",
    "validate_email",
    "validate_slug",
    "validate_ipv46_address",
]


class RegexValidator:
    """Valid when the regular expression matches (or, with ``inverse_match``, does not)."""

    regex = ""
    message = "Enter a valid value."
    flags = 0

    def __init__(self, regex=None, message=None, inverse_match=False, flags=None):
        if regex is not None:
            self.regex = regex
        if message is not None:
            self.message = message
        if flags is not None:
            self.flags = flags
        self.inverse_match = inverse_match
        self._compiled = re.compile(self.regex, self.flags) if isinstance(self.regex, str) else self.regex

    def __call__(self, value: Any) -> None:
        matched = bool(self._compiled.search(str(value)))
        if matched == self.inverse_match:
            raise ValidationError(self.message)

    def __eq__(self, other):
        return (
            type(self) is type(other)
            and self._compiled.pattern == other._compiled.pattern
            and self.message == other.message
            and self.inverse_match == other.inverse_match
        )

    def deconstruct(self):
        kwargs = {"regex": self._compiled.pattern}
        if self.message != type(self).message:
            kwargs["message"] = self.message
        return f"orm.validators.{type(self).__name__}", [], kwargs


class _LimitValidator:
    message = ""

    def __init__(self, limit_value, message=None):
        self.limit_value = limit_value
        if message:
            self.message = message

    def __call__(self, value: Any) -> None:
        limit = self.limit_value() if callable(self.limit_value) else self.limit_value
        cleaned = self.clean(value)
        if self.compare(cleaned, limit):
            raise ValidationError(self.message % {"limit_value": limit, "show_value": cleaned})

    def clean(self, value):
        return value

    def compare(self, value, limit) -> bool:
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self.limit_value == other.limit_value

    def deconstruct(self):
        return f"orm.validators.{type(self).__name__}", [self.limit_value], {}


class MaxValueValidator(_LimitValidator):
    message = "Ensure this value is less than or equal to %(limit_value)s."

    def compare(self, value, limit):
        return value > limit


class MinValueValidator(_LimitValidator):
    message = "Ensure this value is greater than or equal to %(limit_value)s."

    def compare(self, value, limit):
        return value < limit


class MinLengthValidator(_LimitValidator):
    message = "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d)."

    def clean(self, value):
        return len(value)

    def compare(self, value, limit):
        return value < limit


class MaxLengthValidator(_LimitValidator):
    message = "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d)."

    def clean(self, value):
        return len(value)

    def compare(self, value, limit):
        return value > limit


class DecimalValidator:
    """Checks the number of digits and decimal places of a Decimal."""

    def __init__(self, max_digits, decimal_places):
        self.max_digits = max_digits
        self.decimal_places = decimal_places

    def __call__(self, value: Any) -> None:
        if not isinstance(value, decimal.Decimal) or not value.is_finite():
            if isinstance(value, decimal.Decimal):
                raise ValidationError("Enter a number.")
            return
        sign, digits, exponent = value.as_tuple()
        exponent = int(exponent)
        if exponent >= 0:
            whole = len(digits) + exponent
            places = 0
        else:
            places = -exponent
            whole = max(len(digits) - places, 0)
        if self.max_digits is not None and whole + places > self.max_digits:
            raise ValidationError(f"Ensure that there are no more than {self.max_digits} digits in total.")
        if self.decimal_places is not None and places > self.decimal_places:
            raise ValidationError(
                f"Ensure that there are no more than {self.decimal_places} decimal places."
            )
        if (
            self.max_digits is not None
            and self.decimal_places is not None
            and whole > self.max_digits - self.decimal_places
        ):
            raise ValidationError(
                f"Ensure that there are no more than {self.max_digits - self.decimal_places} "
                "digits before the decimal point."
            )

    def __eq__(self, other):
        return (
            type(self) is type(other)
            and self.max_digits == other.max_digits
            and self.decimal_places == other.decimal_places
        )


class EmailValidator:
    """A pragmatic e-mail check: one @, a dotted domain, no spaces."""

    message = "Enter a valid email address."
    _pattern = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str) or not self._pattern.match(value):
            raise ValidationError(self.message)

    def __eq__(self, other):
        return type(self) is type(other)


class URLValidator(RegexValidator):
    regex = r"^(?:http|ftp)s?://[^\s/$.?#][^\s]*$"
    message = "Enter a valid URL."
    flags = re.IGNORECASE


validate_email = EmailValidator()
validate_slug = RegexValidator(r"^[-a-zA-Z0-9_]+\Z", "Enter a valid slug.")


def validate_ipv46_address(value: Any) -> None:
    """Valid when ``value`` is an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValidationError("Enter a valid IPv4 or IPv6 address.") from None
