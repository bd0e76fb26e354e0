"""Model classes for existing tables, read with ``connection.introspection`` (``manouche inspectdb``).

The output is a Python module: one ``orm.Model`` per table with
``managed = False``, so that manouche never creates, alters or drops those
tables. Column types map back to fields; what cannot be known for sure is
marked with a comment for the reader to check.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["inspect_tables", "model_class_name", "field_for_type"]

_INTEGER_FIELDS = {
    "integer": "IntegerField",
    "int": "IntegerField",
    "mediumint": "IntegerField",
    "bigint": "BigIntegerField",
    "smallint": "SmallIntegerField",
    "tinyint": "SmallIntegerField",
}
_POSITIVE_FIELDS = {
    "IntegerField": "PositiveIntegerField",
    "BigIntegerField": "PositiveBigIntegerField",
    "SmallIntegerField": "PositiveSmallIntegerField",
}
_AUTO_FIELDS = {
    "IntegerField": "AutoField",
    "BigIntegerField": "BigAutoField",
    "SmallIntegerField": "SmallAutoField",
    "PositiveIntegerField": "AutoField",
    "PositiveBigIntegerField": "BigAutoField",
    "PositiveSmallIntegerField": "SmallAutoField",
}
_SIMPLE_FIELDS = {
    "text": "TextField",
    "longtext": "TextField",
    "mediumtext": "TextField",
    "tinytext": "TextField",
    "clob": "TextField",
    "bool": "BooleanField",
    "boolean": "BooleanField",
    "real": "FloatField",
    "float": "FloatField",
    "float4": "FloatField",
    "double precision": "FloatField",
    "date": "DateField",
    "datetime": "DateTimeField",
    "timestamp": "DateTimeField",
    "timestamp with time zone": "DateTimeField",
    "time": "TimeField",
    "time with time zone": "TimeField",
    "interval": "DurationField",
    "uuid": "UUIDField",
    "json": "JSONField",
    "jsonb": "JSONField",
    "inet": "GenericIPAddressField",
    "bytea": "BinaryField",
    "blob": "BinaryField",
    "longblob": "BinaryField",
    "mediumblob": "BinaryField",
    "tinyblob": "BinaryField",
    "varbinary": "BinaryField",
    "binary": "BinaryField",
}
#: Tables of manouche itself, left out unless named explicitly.
_INTERNAL_TABLES = ("manouche_migrations",)


@dataclass
class FieldGuess:
    """A field class and keyword arguments guessed from a column type, with notes."""

    field_class: str
    kwargs: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def field_for_type(sql_type: str) -> FieldGuess:
    """Return the field class (and max_length / digits) for a normalized column type."""
    text = sql_type.lower().strip()
    unsigned = text.endswith(" unsigned")
    if unsigned:
        text = text[: -len(" unsigned")].strip()
    base, _, rest = text.partition("(")
    base = base.strip()
    arguments = [part.strip() for part in rest.rstrip(")").split(",") if part.strip()]
    if base in _INTEGER_FIELDS:
        name = _INTEGER_FIELDS[base]
        return FieldGuess(_POSITIVE_FIELDS[name] if unsigned else name)
    if base in ("varchar", "char", "character", "nvarchar", "nchar", "varchar2"):
        if arguments and arguments[0].isdigit():
            return FieldGuess("CharField", {"max_length": int(arguments[0])})
        return FieldGuess("TextField")
    if base in ("decimal", "numeric"):
        if len(arguments) == 2 and all(part.isdigit() for part in arguments):
            digits, places = (int(part) for part in arguments)
            return FieldGuess("DecimalField", {"max_digits": digits, "decimal_places": places})
        return FieldGuess(
            "DecimalField",
            {"max_digits": 20, "decimal_places": 10},
            ["max_digits and decimal_places are guesses: the column has no precision"],
        )
    if base in _SIMPLE_FIELDS:
        return FieldGuess(_SIMPLE_FIELDS[base])
    if base.startswith("timestamp"):
        return FieldGuess("DateTimeField")
    return FieldGuess(
        "TextField", notes=[f"column type {sql_type!r} is unknown: TextField is a guess"]
    )


def model_class_name(table: str) -> str:
    """``blog_post`` -> ``BlogPost``; any table name gives a valid class name."""
    words = [word for word in re.split(r"[^0-9a-zA-Z]+", table) if word]
    name = "".join(word[0].upper() + word[1:] for word in words) or "Table"
    if name[0].isdigit():
        name = "Table" + name
    if keyword.iskeyword(name):  # True, False, None
        name += "Table"
    return name


def _attribute_name(column: str, is_relation: bool) -> tuple[str, list[str]]:
    """A valid, non-reserved attribute name for ``column`` and why it differs (if it does)."""
    notes: list[str] = []
    # ASCII only: Python normalizes other identifiers (NFKC), so the source
    # and the attribute could differ; db_column keeps the real name anyway.
    name = re.sub(r"[^0-9a-z_]", "_", column.lower())
    if is_relation and name.endswith("_id") and len(name) > 3:
        name = name[:-3]
    if name != column.lower() and not (is_relation and column.lower() == name + "_id"):
        notes.append("field renamed to a valid Python name")
    while "__" in name:
        name = name.replace("__", "_")
    name = name.strip("_") or "field"
    if name[0].isdigit():
        name = "number_" + name
    if keyword.iskeyword(name) or name in ("pk", "objects"):
        name += "_field"
        notes.append("field renamed: the column name is reserved")
    return name, notes


def _render_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


@dataclass
class _Column:
    name: str
    type: str
    null: bool
    primary_key: bool
    autoincrement: bool
    comment: str | None = None


def inspect_tables(connection, tables: list[str] | None = None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Yield the lines of a Python module defining a model for each table.

    ``tables`` names the tables to inspect (all but manouche's own when empty);
    an unknown name raises ``orm.ImproperlyConfigured`` listing the tables.
    """
    from backends.errors import ImproperlyConfigured

    introspection = connection.introspection
    existing = introspection.table_names()
    if tables:
        missing = [name for name in tables if name not in existing]
        if missing:
            raise ImproperlyConfigured(
                f"inspectdb: no table {', '.join(map(repr, missing))} in the database "
                f"({connection.vendor}); its tables are: {', '.join(existing) or 'none'}"
            )
        chosen = list(tables)
    else:
        chosen = [name for name in existing if name not in _INTERNAL_TABLES]
    class_names = _unique_class_names(existing)

    yield "# Models generated by `manouche inspectdb` from the live schema."
    yield "# Review them: check the field types and the on_delete of each foreign key,"
    yield "# then set managed = True (or remove it) if migrations should own the table."
    yield "import orm"
    for table in chosen:
        yield ""
        yield ""
        yield from _model_lines(connection, table, class_names)


def _unique_class_names(tables: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for table in tables:
        candidate = base = model_class_name(table)
        number = 2
        while candidate in used:
            candidate = f"{base}{number}"
            number += 1
        used.add(candidate)
        names[table] = candidate
    return names


def _model_lines(connection, table: str, class_names: dict[str, str]) -> Iterator[str]:  # type: ignore[no-untyped-def]
    introspection = connection.introspection
    columns = [
        _Column(info.name, info.type, info.null, info.primary_key, info.autoincrement, info.comment)
        for info in introspection.get_columns(table)
    ]
    primary_key = list(introspection.get_primary_key_columns(table))
    constraints = introspection.get_constraints(table)
    unique_sets = [tuple(c.columns) for c in constraints if c.kind == "unique" and c.columns]
    unique_sets += [
        tuple(i.columns) for i in introspection.get_indexes(table) if i.unique and not i.partial and not i.expressions
    ]
    unique_columns = {columns[0] for columns in unique_sets if len(columns) == 1}
    foreign_keys = introspection.get_foreign_keys(table)
    targets = [target_table for target_table, _column in foreign_keys.values()]
    # Two keys to one table would get the same reverse accessor: name them apart.
    shared_targets = {target for target in targets if targets.count(target) > 1}

    yield f"class {class_names[table]}(orm.Model):"
    if len(primary_key) > 1:
        yield (
            f"    # The primary key ({', '.join(primary_key)}) has several columns, which manouche"
        )
        yield "    # does not support: the first column is used as the primary key."
    elif not primary_key:
        yield "    # This table has no primary key; manouche needs one to save or delete rows:"
        yield "    # add primary_key=True to a unique, non-null field."
    used_names: set[str] = set()
    column_to_name: dict[str, str] = {}
    for column in columns:
        is_relation = column.name in foreign_keys
        name, notes = _attribute_name(column.name, is_relation)
        base_name, number = name, 2
        while name in used_names:
            name = f"{base_name}_{number}"
            number += 1
        used_names.add(name)
        column_to_name[column.name] = name
        is_pk = bool(primary_key) and column.name == primary_key[0]
        if is_relation:
            line = _relation_line(
                connection,
                table,
                column,
                name,
                foreign_keys[column.name],
                class_names,
                shared_target=foreign_keys[column.name][0] in shared_targets,
                is_pk=is_pk,
                unique=column.name in unique_columns,
                notes=notes,
            )
        else:
            line = _field_line(
                connection,
                column,
                name,
                is_pk=is_pk,
                unique=column.name in unique_columns,
                notes=notes,
            )
        yield "    " + line
    yield ""
    yield "    class Meta:"
    yield "        managed = False"
    yield f"        db_table = {_render_value(table)}"
    table_comment = introspection.get_table_comment(table)
    if table_comment:
        yield f"        db_table_comment = {_render_value(table_comment)}"
    together = sorted(
        {
            tuple(column_to_name[c] for c in columns_set)
            for columns_set in unique_sets
            if len(columns_set) > 1
            and all(c in column_to_name for c in columns_set)
            and list(columns_set) != primary_key
        }
    )
    if together:
        rendered = ", ".join("(" + ", ".join(map(_render_value, names)) + ")" for names in together)
        yield f"        unique_together = [{rendered}]"


def _is_auto(connection, column: _Column, is_pk: bool) -> bool:  # type: ignore[no-untyped-def]
    if not is_pk:
        return False
    if column.autoincrement:
        return True
    # An INTEGER PRIMARY KEY is SQLite's rowid: the database numbers new rows.
    return connection.vendor == "sqlite" and column.type == "integer"


def _field_line(  # type: ignore[no-untyped-def]
    connection, column: _Column, name: str, *, is_pk: bool, unique: bool, notes: list[str]
) -> str:
    guess = field_for_type(column.type)
    field_class = guess.field_class
    kwargs: dict[str, object] = {}
    if _is_auto(connection, column, is_pk) and field_class in _AUTO_FIELDS:
        field_class = _AUTO_FIELDS[field_class]
        if connection.vendor == "sqlite":
            field_class = "BigAutoField"  # SQLite integers are 64-bit
    kwargs.update(guess.kwargs)
    if is_pk:
        kwargs["primary_key"] = True
    elif unique:
        kwargs["unique"] = True
    if column.null and not is_pk:
        kwargs["null"] = True
        if field_class not in ("BooleanField",):
            kwargs["blank"] = True
    if name != column.name:
        kwargs["db_column"] = column.name
    if column.comment:
        kwargs["db_comment"] = column.comment
    return _render_field(name, f"orm.{field_class}", [], kwargs, notes + guess.notes)


def _relation_line(  # type: ignore[no-untyped-def]
    connection,
    table: str,
    column: _Column,
    name: str,
    target: tuple[str, str],
    class_names: dict[str, str],
    *,
    shared_target: bool,
    is_pk: bool,
    unique: bool,
    notes: list[str],
) -> str:
    target_table, target_column = target
    if target_table == table:
        reference = "self"
    else:
        reference = class_names.get(target_table) or model_class_name(target_table)
    one_to_one = unique or is_pk
    kwargs: dict[str, object] = {}
    target_pk = connection.introspection.get_primary_key_columns(target_table)
    if target_pk[:1] != [target_column]:
        kwargs["to_field"] = _attribute_name(target_column, False)[0]
    if is_pk:
        kwargs["primary_key"] = True
    if column.null and not is_pk:
        kwargs["null"] = True
        kwargs["blank"] = True
    if column.name != name + "_id":
        kwargs["db_column"] = column.name
    if shared_target:
        kwargs["related_name"] = f"{class_names[table].lower()}_{name}_set"
    if column.comment:
        kwargs["db_comment"] = column.comment
    field_class = "orm.OneToOneField" if one_to_one else "orm.ForeignKey"
    arguments = [_render_value(reference), "on_delete=orm.DO_NOTHING"]
    return _render_field(name, field_class, arguments, kwargs, notes)


def _render_field(
    name: str, field_class: str, arguments: list[str], kwargs: dict[str, object], notes: list[str]
) -> str:
    parts = arguments + [f"{key}={_render_value(value)}" for key, value in kwargs.items()]
    line = f"{name} = {field_class}({', '.join(parts)})"
    if notes:
        line += "  # " + "; ".join(dict.fromkeys(notes))
    return line
