"""JSON key paths (``data__owner__name``) and JSON lookups (``has_key``, ``contains``).

The SQL differs enough per vendor that each piece is a small function per
vendor, chosen once per compile.
"""

from __future__ import annotations

import json
import sqlite3

from orm.query.expressions import Expression
from orm.query.lookups import Lookup

__all__ = ["KeyTransform", "HasKey", "HasKeys", "HasAnyKeys", "DataContains", "ContainedBy", "get_lookup"]


def _json_path(keys: list[str]) -> str:
    parts = ["$"]
    for key in keys:
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            parts.append(f"[{int(key)}]")
        else:
            parts.append("." + json.dumps(str(key), ensure_ascii=False))  # paths take no \u escapes
    return "".join(parts)


def _sqlite_at(function: str, base_sql: str, keys: list) -> tuple[str, list]:
    """SQLite's ``function(document, path)`` (``JSON_EXTRACT``, ``JSON_TYPE``, ``->``) at ``keys``.

    SQLite matches a path's quoted label against the key as written in the
    document, escapes included, and ends it at the first ``"``: a key that JSON
    escapes (``"``, ``\\``, control characters) is reached through
    ``manouche_json_at`` instead, which returns the JSON text at the keys.
    """
    if any(isinstance(key, str) and json.dumps(key, ensure_ascii=False)[1:-1] != key for key in keys):
        value_sql = f"manouche_json_at({base_sql}, %s)"
        params = [json.dumps([str(key) for key in keys], ensure_ascii=False)]
        if function == "->":
            return f"({value_sql})", params
        return f"{function}({value_sql}, '$')", params
    if function == "->":
        return f"({base_sql} -> %s)", [_json_path(keys)]
    return f"{function}({base_sql}, %s)", [_json_path(keys)]


class KeyTransform(Expression):
    """The value at ``key`` inside a JSON document (chains for nested keys)."""

    is_json_key = True

    def __init__(self, key_name: str, lhs):
        super().__init__()
        self.key_name = key_name
        self.lhs = lhs

    def __repr__(self) -> str:
        return f"KeyTransform({self.key_name!r}, {self.lhs!r})"

    def get_source_expressions(self):
        return [self.lhs]

    def set_source_expressions(self, expressions):
        (self.lhs,) = expressions

    @property
    def output_field(self):
        return _JSON_KEY_FIELD

    def get_internal_type(self):
        return "JSONField"

    def preprocess(self):
        keys = [self.key_name]
        base = self.lhs
        while isinstance(base, KeyTransform):
            keys.insert(0, base.key_name)
            base = base.lhs
        return base, keys

    def as_sql(self, compiler, connection, as_text: bool = False):
        base, keys = self.preprocess()
        base_sql, params = compiler.compile(base)
        vendor = connection.vendor
        if vendor == "postgresql":
            operator = "#>>" if as_text else "#>"
            return f"({base_sql} {operator} %s)", [*params, [str(k) for k in keys]]
        if vendor == "sqlite":
            sql, path_params = _sqlite_at("JSON_EXTRACT", base_sql, keys)
            if not as_text:
                return sql, [*params, *path_params]
            # As text, true and false are spelt as on PostgreSQL and MySQL (JSON_EXTRACT gives 1 and 0).
            type_sql, type_params = _sqlite_at("JSON_TYPE", base_sql, keys)
            return (
                f"CASE {type_sql} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE {sql} END",
                [*params, *type_params, *params, *path_params],
            )
        path = _json_path(keys)
        if as_text:
            # JSON_UNQUOTE spells a JSON null "null"; as text it is NULL, as PostgreSQL's #>> gives.
            extract = f"JSON_EXTRACT({base_sql}, %s)"
            return (
                f"CASE WHEN JSON_TYPE({extract}) = 'NULL' THEN NULL ELSE JSON_UNQUOTE({extract}) END",
                [*params, path, *params, path],
            )
        return f"JSON_EXTRACT({base_sql}, %s)", [*params, path]

    def select_format(self, compiler, sql, params):
        if compiler.connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 38):
            # Selected, the value is read as JSON text (``->``): JSON_EXTRACT gives the string
            # "1" and the number 1 alike, and true as 1.
            base, keys = self.preprocess()
            base_sql, base_params = compiler.compile(base)
            arrow_sql, arrow_params = _sqlite_at("->", base_sql, keys)
            return arrow_sql, [*base_params, *arrow_params]
        return sql, params

    def get_converter(self, connection):
        converter = connection.dialect.get_converter("JSONField")
        if connection.vendor == "sqlite":
            def convert(value):
                if isinstance(value, str):
                    try:
                        return json.loads(value)
                    except ValueError:
                        return value
                return value
            return convert
        return converter


class _JSONKeyField:
    """Stand-in output field of a key transform: values are JSON."""

    is_json_key = True
    null = True
    is_relation = False

    def get_internal_type(self):
        return "JSONField"

    def get_prep_value(self, value):
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        return value

    def from_db_converter(self, connection):
        return None


_JSON_KEY_FIELD = _JSONKeyField()


class _KeyLookup(Lookup):
    """A comparison against the value at a JSON key."""

    prepare_rhs = False

    def as_sql(self, compiler, connection):
        vendor = connection.vendor
        operator = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[self.lookup_name]
        if self.rhs is None and self.lookup_name == "exact":
            # The key holds JSON null (a missing key does not match; that is isnull=True).
            # Never NULL itself, so that exclude(key=None) keeps missing keys and NULL documents.
            if vendor == "postgresql":
                lhs_sql, params = compiler.compile(self.lhs)
                return f"COALESCE({lhs_sql} = 'null'::jsonb, FALSE)", params
            if vendor == "sqlite":
                # JSON_EXTRACT gives SQL NULL for a JSON null: ask the type at the path instead.
                base, keys = self.lhs.preprocess()
                base_sql, params = compiler.compile(base)
                type_sql, type_params = _sqlite_at("JSON_TYPE", base_sql, keys)
                return f"COALESCE({type_sql} = 'null', 0)", [*params, *type_params]
            lhs_sql, params = compiler.compile(self.lhs)
            return f"COALESCE(JSON_TYPE({lhs_sql}) = 'NULL', 0)", params
        if hasattr(self.rhs, "as_sql"):  # data__a=F("data__b"): JSON compared with JSON
            lhs_sql, params = compiler.compile(self.lhs)
            rhs_sql, rhs_params = compiler.compile(self.rhs)
            return f"{lhs_sql} {operator} {rhs_sql}", [*params, *rhs_params]
        if vendor == "postgresql":
            lhs_sql, params = compiler.compile(self.lhs)
            return f"{lhs_sql} {operator} %s::jsonb", [*params, json.dumps(self.rhs)]
        if vendor == "sqlite":
            lhs_sql, params = compiler.compile(self.lhs)
            value = self.rhs
            if isinstance(value, (dict, list)):
                return f"{lhs_sql} {operator} JSON(%s)", [*params, json.dumps(value)]
            if isinstance(value, bool) and operator == "=":
                # JSON_EXTRACT reads true as 1: only the type tells true from the number 1.
                base, keys = self.lhs.preprocess()
                base_sql, base_params = compiler.compile(base)
                type_sql, type_params = _sqlite_at("JSON_TYPE", base_sql, keys)
                return f"({type_sql} = %s)", [*base_params, *type_params, json.dumps(value)]
            if isinstance(value, (int, float)) and not isinstance(value, bool) and operator == "=":
                base, keys = self.lhs.preprocess()
                base_sql, base_params = compiler.compile(base)
                type_sql, type_params = _sqlite_at("JSON_TYPE", base_sql, keys)
                return (
                    f"({type_sql} IN ('integer', 'real') AND {lhs_sql} = %s)",
                    [*base_params, *type_params, *params, value],
                )
            if isinstance(value, bool):
                value = int(value)
            return f"{lhs_sql} {operator} %s", [*params, value]
        return self._mysql_sql(compiler, connection, operator)

    def _mysql_sql(self, compiler, connection, operator):
        """MySQL / MariaDB, whose JSON values compare as text: the JSON type is tested first."""
        value = self.rhs
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            lhs_sql, params = self.lhs.as_sql(compiler, connection, as_text=True)
            if operator != "=":
                return f"CAST({lhs_sql} AS DOUBLE) {operator} %s", [*params, float(value)]
            json_sql, json_params = compiler.compile(self.lhs)
            number = "DOUBLE" if isinstance(value, float) else "DECIMAL(65, 30)"
            return (
                f"(JSON_TYPE({json_sql}) IN ('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')"
                f" AND CAST({lhs_sql} AS {number}) = %s)",
                [*json_params, *params, value],
            )
        if isinstance(value, str) or (isinstance(value, bool) and operator == "="):
            lhs_sql, params = self.lhs.as_sql(compiler, connection, as_text=True)
            if operator != "=":
                return f"{lhs_sql} {operator} %s", [*params, value]
            json_sql, json_params = compiler.compile(self.lhs)
            kind, text = ("BOOLEAN", json.dumps(value)) if isinstance(value, bool) else ("STRING", value)
            return f"(JSON_TYPE({json_sql}) = '{kind}' AND {lhs_sql} = %s)", [*json_params, *params, text]
        lhs_sql, params = compiler.compile(self.lhs)
        return f"{lhs_sql} {operator} JSON_EXTRACT(%s, '$')", [*params, json.dumps(value)]


def _make_key_lookup(name):
    return type(f"Key{name.title()}", (_KeyLookup,), {"lookup_name": name})


_KEY_LOOKUPS = {name: _make_key_lookup(name) for name in ("exact", "gt", "gte", "lt", "lte")}


class _KeyTextLookup(Lookup):
    """Pattern lookups on a JSON key compare its text."""

    prepare_rhs = False

    def as_sql(self, compiler, connection):
        from orm.query.lookups import LOOKUPS

        inner_class = LOOKUPS[self.lookup_name]
        lhs = _KeyText(self.lhs)
        return inner_class(lhs, self.rhs).as_sql(compiler, connection)


class _KeyText(Expression):
    def __init__(self, key):
        super().__init__()
        self.key = key

    def get_source_expressions(self):
        return [self.key]

    def set_source_expressions(self, expressions):
        (self.key,) = expressions

    @property
    def output_field(self):
        from orm import fields

        return fields.TextField()

    def as_sql(self, compiler, connection):
        return self.key.as_sql(compiler, connection, as_text=True)


class _KeyIsNull(Lookup):
    lookup_name = "isnull"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        base, keys = self.lhs.preprocess()
        has_key = HasKey(base, keys[-1] if len(keys) == 1 else None)
        has_key.path = keys
        sql, params = has_key.as_sql(compiler, connection)
        if not self.rhs:
            return sql, params
        # A NULL document has no key either (the key test alone would be NULL there).
        base_sql, base_params = compiler.compile(base)
        return f"({base_sql} IS NULL OR NOT ({sql}))", [*base_params, *params]


class HasKey(Lookup):
    """``data__has_key="k"``: the document has the key."""

    lookup_name = "has_key"
    prepare_rhs = False
    path: list | None = None

    def _keys(self):
        return [self.rhs]

    def _one(self, base_sql, keys, connection):
        vendor = connection.vendor
        if vendor == "postgresql":
            # Not ``?``: it also finds a string element of an array (["k"] would "have" k).
            return f"({base_sql} #> %s IS NOT NULL)", [[str(k) for k in keys]]
        if vendor == "sqlite":
            type_sql, params = _sqlite_at("JSON_TYPE", base_sql, keys)
            return f"({type_sql} IS NOT NULL)", params
        return f"(JSON_CONTAINS_PATH({base_sql}, 'one', %s) = 1)", [_json_path(keys)]

    def as_sql(self, compiler, connection, connector=" AND "):
        lhs = self.lhs
        prefix: list = []
        if isinstance(lhs, KeyTransform):
            lhs, prefix = lhs.preprocess()
        base_sql, base_params = compiler.compile(lhs)
        if self.path is not None:
            sql, params = self._one(base_sql, self.path, connection)
            return sql, [*base_params, *params]
        parts, params = [], []
        for key in self._keys():
            sql, sub = self._one(base_sql, [*prefix, key], connection)
            parts.append(sql)
            params.extend([*base_params, *sub])
        return "(" + connector.join(parts) + ")", params


class HasKeys(HasKey):
    lookup_name = "has_keys"

    def _keys(self):
        return list(self.rhs)


class HasAnyKeys(HasKeys):
    lookup_name = "has_any_keys"

    def as_sql(self, compiler, connection, connector=" OR "):
        return super().as_sql(compiler, connection, connector=" OR ")


_TEXT_LOOKUPS = {
    name: type(f"KeyText{name.title()}", (_KeyTextLookup,), {"lookup_name": name})
    for name in ("iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex")
}


class _KeyIn(Lookup):
    lookup_name = "in"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        from orm.query.where import OR, WhereNode

        node = WhereNode(connector=OR)
        for value in self.rhs:
            node.children.append(_KEY_LOOKUPS["exact"](self.lhs, value))
        return node.as_sql(compiler, connection)


class DataContains(Lookup):
    """``data__contains={"k": 1}``: the document contains the given JSON (PostgreSQL's ``@>``)."""

    lookup_name = "contains"
    prepare_rhs = False

    def _operands(self, compiler, connection):
        lhs_sql, params = compiler.compile(self.lhs)
        return lhs_sql, params, json.dumps(self.rhs)

    def as_sql(self, compiler, connection):
        lhs_sql, params, document = self._operands(compiler, connection)
        vendor = connection.vendor
        if vendor == "postgresql":
            return f"({lhs_sql} @> %s::jsonb)", [*params, document]
        if vendor == "sqlite":
            return f"manouche_json_contains({lhs_sql}, %s)", [*params, document]
        return f"JSON_CONTAINS({lhs_sql}, %s)", [*params, document]


class ContainedBy(DataContains):
    """``data__contained_by={...}``: every part of the document is in the given JSON (``<@``)."""

    lookup_name = "contained_by"

    def as_sql(self, compiler, connection):
        lhs_sql, params, document = self._operands(compiler, connection)
        vendor = connection.vendor
        if vendor == "postgresql":
            return f"({lhs_sql} <@ %s::jsonb)", [*params, document]
        if vendor == "sqlite":
            return f"manouche_json_contains(%s, {lhs_sql})", [document, *params]
        return f"JSON_CONTAINS(%s, {lhs_sql})", [document, *params]


def get_lookup(field, name: str):
    """JSON-specific lookups on a JSONField or one of its keys."""
    if name in ("has_key", "has_keys", "has_any_keys"):
        return {"has_key": HasKey, "has_keys": HasKeys, "has_any_keys": HasAnyKeys}[name]
    if name in ("contains", "contained_by") and not getattr(field, "is_json_key", False):
        return DataContains if name == "contains" else ContainedBy
    if getattr(field, "is_json_key", False):
        if name in _KEY_LOOKUPS:
            return _KEY_LOOKUPS[name]
        if name in _TEXT_LOOKUPS:
            return _TEXT_LOOKUPS[name]
        if name == "isnull":
            return _KeyIsNull
        if name == "in":
            return _KeyIn
    return None
