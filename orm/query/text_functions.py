"""Text functions: ``Substr``, ``Replace``, ``Trim``, ``Left``, ``LPad``, ``StrIndex``, ``NullIf``...

Django's names, arguments and results on the three backends. SQLite lacks a
few (``LPAD``, ``RPAD``, ``REPEAT``, ``REVERSE``, ``MD5``): its connections
get ``manouche_*`` Python functions for them (``backends.sqlite.sql_functions``).
"""

from __future__ import annotations

import re

from orm.query.expressions import Func, Value
from orm.query.functions import TextFunc, _field

__all__ = [
    "Chr", "Left", "LPad", "LTrim", "MD5", "NullIf", "Ord", "Repeat", "Replace", "Reverse",
    "Right", "RPad", "RTrim", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "StrIndex", "Substr",
    "Trim", "Collate", "JSONArray", "JSONObject",
]


class _Text(TextFunc):
    """A function returning text (typed as a ``TextField`` unless its first argument says more)."""

    def _resolve_output_field(self):
        first = self.source_expressions[0]._output_field_or_none if self.source_expressions else None
        if first is not None and first.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
            return first
        return _field("TextField")


def _positive(name: str, value, what: str):
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        raise ValueError(f"{name}: {what} must be at least 1, got {value!r}")
    return value


class Substr(_Text):
    """``length`` characters from ``pos`` (1-based; to the end without ``length``)."""

    function = "SUBSTR"

    def __init__(self, expression, pos, length=None, **extra):
        _positive("Substr", pos, "pos")
        arguments = [expression, pos] if length is None else [expression, pos, length]
        super().__init__(*arguments, **extra)


class Left(_Text):
    """The first ``length`` characters."""

    def __init__(self, expression, length, **extra):
        _positive("Left", length, "length")
        super().__init__(expression, length, **extra)

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            return super().as_sql(compiler, connection, template="SUBSTR(%(expressions)s)", arg_joiner=", 1, ")
        return super().as_sql(compiler, connection, function="LEFT")


class Right(_Text):
    """The last ``length`` characters."""

    def __init__(self, expression, length, **extra):
        _positive("Right", length, "length")
        super().__init__(expression, length, **extra)

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            text, text_params = compiler.compile(self.source_expressions[0])
            length, length_params = compiler.compile(self.source_expressions[1])
            return f"SUBSTR({text}, -({length}))", [*text_params, *length_params]
        return super().as_sql(compiler, connection, function="RIGHT")


class _Pad(_Text):
    def __init__(self, expression, length, fill_text=Value(" "), **extra):
        if isinstance(length, int) and not isinstance(length, bool) and length < 0:
            raise ValueError(f"{type(self).__name__}: length must be at least 0, got {length!r}")
        super().__init__(expression, length, fill_text, **extra)

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            return super().as_sql(compiler, connection, function=f"manouche_{self.function.lower()}")
        return super().as_sql(compiler, connection)


class LPad(_Pad):
    """Pad on the left with ``fill_text`` (a space by default) to ``length``; longer text is cut."""

    function = "LPAD"


class RPad(_Pad):
    """Pad on the right with ``fill_text`` (a space by default) to ``length``; longer text is cut."""

    function = "RPAD"


class LTrim(_Text):
    """Without leading spaces."""

    function = "LTRIM"
    arity = 1


class RTrim(_Text):
    """Without trailing spaces."""

    function = "RTRIM"
    arity = 1


class Trim(_Text):
    """Without leading and trailing spaces."""

    function = "TRIM"
    arity = 1


class Repeat(_Text):
    """The text ``number`` times over."""

    function = "REPEAT"

    def __init__(self, expression, number, **extra):
        if isinstance(number, int) and not isinstance(number, bool) and number < 0:
            raise ValueError(f"Repeat: number must be at least 0, got {number!r}")
        super().__init__(expression, number, **extra)

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            return super().as_sql(compiler, connection, function="manouche_repeat")
        return super().as_sql(compiler, connection)


class Replace(_Text):
    """Every occurrence of ``text`` replaced by ``replacement`` (removed by default)."""

    function = "REPLACE"

    def __init__(self, expression, text, replacement=Value(""), **extra):
        super().__init__(expression, text, replacement, **extra)


class Reverse(_Text):
    """The characters in reverse order."""

    function = "REVERSE"
    arity = 1

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            return super().as_sql(compiler, connection, function="manouche_reverse")
        return super().as_sql(compiler, connection)


class MD5(_Text):
    """The MD5 digest of the text as 32 lowercase hex digits."""

    function = "MD5"
    arity = 1

    def _resolve_output_field(self):
        return _field("CharField", max_length=32)

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            return super().as_sql(compiler, connection, function="manouche_md5")
        return super().as_sql(compiler, connection)


class _SHA(_Text):
    """The digest of the text's UTF-8 bytes as lowercase hex digits; NULL stays NULL.

    PostgreSQL computes SHA-224 to SHA-512 itself, and SHA-1 with the pgcrypto
    extension's ``DIGEST()``, as in Django (``CREATE EXTENSION pgcrypto``).
    """

    arity = 1
    algorithm = ""
    hex_digits = 0

    def _resolve_output_field(self):
        return _field("CharField", max_length=self.hex_digits)

    def as_sql(self, compiler, connection):
        vendor = connection.vendor
        if vendor == "sqlite":
            template = f"manouche_sha('{self.algorithm}', %(expressions)s)"
        elif vendor == "mysql":
            bits = self.hex_digits * 4
            template = "SHA1(%(expressions)s)" if bits == 160 else f"SHA2(%(expressions)s, {bits})"
        elif self.algorithm == "sha1":
            template = "ENCODE(DIGEST(CONVERT_TO(%(expressions)s, 'UTF8'), 'sha1'), 'hex')"
        else:
            template = f"ENCODE({self.algorithm.upper()}(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')"
        return super().as_sql(compiler, connection, template=template)


class SHA1(_SHA):
    algorithm, hex_digits = "sha1", 40


class SHA224(_SHA):
    """SHA-224; MariaDB gives NULL where its SSL library lacks it, as Django notes."""

    algorithm, hex_digits = "sha224", 56


class SHA256(_SHA):
    algorithm, hex_digits = "sha256", 64


class SHA384(_SHA):
    algorithm, hex_digits = "sha384", 96


class SHA512(_SHA):
    algorithm, hex_digits = "sha512", 128


class StrIndex(Func):
    """The 1-based position of ``substring`` in the text; 0 when absent."""

    arity = 2

    def _resolve_output_field(self):
        return _field("IntegerField")

    def as_sql(self, compiler, connection):
        function = "STRPOS" if connection.vendor == "postgresql" else "INSTR"
        return super().as_sql(compiler, connection, function=function)


class Chr(_Text):
    """The character of a Unicode code point."""

    arity = 1

    def _resolve_output_field(self):
        return _field("CharField", max_length=1)

    def as_sql(self, compiler, connection):
        if connection.vendor == "mysql":
            # CHAR() reads the number as bytes: as UTF-32 they are the code point itself.
            return super().as_sql(compiler, connection, template="CHAR(%(expressions)s USING utf32)")
        return super().as_sql(compiler, connection, function="CHR" if connection.vendor == "postgresql" else "CHAR")


class Ord(Func):
    """The Unicode code point of the first character."""

    arity = 1

    def _resolve_output_field(self):
        return _field("IntegerField")

    def as_sql(self, compiler, connection):
        if connection.vendor == "mysql":
            # ORD() gives the UTF-8 bytes as a number; the code point comes from UTF-32.
            return super().as_sql(
                compiler, connection,
                template="CAST(CONV(HEX(CONVERT(LEFT(%(expressions)s, 1) USING utf32)), 16, 10) AS UNSIGNED)",
            )
        function = "ASCII" if connection.vendor == "postgresql" else "UNICODE"
        return super().as_sql(compiler, connection, function=function)


class NullIf(Func):
    """NULL when both arguments are equal, else the first."""

    function = "NULLIF"
    arity = 2


_COLLATION_NAME = re.compile(r"^[\w-]+$")


class Collate(Func):
    """``expression COLLATE collation``: compare or sort by another collation.

    The collation is the database's own name (``"C"`` or ``"und-x-icu"`` on
    PostgreSQL, ``"NOCASE"`` on SQLite, ``"utf8mb4_bin"`` on MySQL), quoted as
    an identifier; only letters, digits, ``_`` and ``-`` are accepted.
    """

    arity = 1

    def __init__(self, expression, collation: str):
        if not isinstance(collation, str) or not _COLLATION_NAME.match(collation):
            raise ValueError(f"Collate: invalid collation name {collation!r}")
        super().__init__(expression)
        self.collation = collation

    def _resolve_output_field(self):
        return self.source_expressions[0]._output_field_or_none

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} COLLATE {connection.dialect.quote_name(self.collation)}", params

    def identity(self):
        return (*super().identity(), self.collation)


class JSONArray(Func):
    """A JSON array built in the query: ``JSONArray("name", Upper("name"), Value(1))``."""

    def _resolve_output_field(self):
        return _field("JSONField")

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return super().as_sql(compiler, connection, function="JSON_ARRAY")
        return super().as_sql(compiler, connection, function="JSONB_BUILD_ARRAY")


class JSONObject(Func):
    """A JSON object built in the query: ``JSONObject(name="name", shout=Upper("name"))``."""

    def __init__(self, **fields):
        arguments = []
        for key, value in fields.items():
            arguments.extend((Value(key), value))
        super().__init__(*arguments)

    def _resolve_output_field(self):
        return _field("JSONField")

    def identity(self):
        # The same keys and values in another order build the same object.
        sources = self.source_expressions
        pairs = sorted((repr(sources[i]), repr(sources[i + 1])) for i in range(0, len(sources), 2))
        return (type(self), tuple(pairs))

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return super().as_sql(compiler, connection, function="JSON_OBJECT")
        parts, params = [], []
        for index, expression in enumerate(self.source_expressions):
            sql, sub_params = compiler.compile(expression)
            # Keys are text; a bare parameter's type the server could not infer.
            parts.append(f"CAST({sql} AS text)" if index % 2 == 0 else sql)
            params.extend(sub_params)
        return f"JSONB_BUILD_OBJECT({', '.join(parts)})", params
