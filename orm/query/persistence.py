"""Writing rows: INSERT (one, many, with conflict handling), UPDATE of an instance or a QuerySet."""

from __future__ import annotations

import gc
from typing import Any

from orm.exceptions import FieldDoesNotExist, FieldError
from orm.fields import DatabaseDefault
from orm.query.compiler import execute
from orm.query.expressions import Col

__all__ = ["insert_instance", "update_instance", "bulk_insert", "bulk_update", "update_queryset"]


def _insert_fields(model, include_pk: bool) -> list:
    return [
        field for field in model._meta.concrete_fields
        if (include_pk or not field.primary_key) and not field.generated
    ]


def generated_fields(opts) -> tuple:
    """The model's ``GeneratedField``s (computed by the database), cached with ``concrete_fields``."""
    known = opts.__dict__
    cached = known.get("_generated_fields")
    concrete = known.get("concrete_fields")
    if cached is not None and cached[0] is concrete and concrete is not None:
        return cached[1]
    concrete = opts.concrete_fields
    fields = tuple(field for field in concrete if field.generated)
    opts._generated_fields = (concrete, fields)
    return fields


def _store_generated(instance, fields, row, connection) -> None:
    """Put the values the database computed (RETURNING) into ``instance``."""
    data = instance.__dict__
    for field, value in zip(fields, row):
        converter = field.from_db_converter(connection)
        data[field.attname] = converter(value) if converter else value


def _defer_generated(objs, fields) -> None:
    """Forget the generated values of ``objs``: each is loaded on first access (as Django)."""
    for obj in objs:
        data = obj.__dict__
        for field in fields:
            data.pop(field.attname, None)


def _returning_fields(model, connection, pk_missing: bool) -> list:
    if not pk_missing:
        return []
    return [model._meta.pk]


def _prepare_value(field, value, connection, column_label):
    if hasattr(value, "resolve_expression"):
        return value
    return field.get_db_prep_save(value, connection)


# Values of these types go to get_db_prep_save as they are (no expression, no DatabaseDefault).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


_NO_PLANS: dict = {}
_AUTO_FIELD_TYPES = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})


def _insert_plan(model, connection, pk_missing: bool):
    """(sql, parameter function, returning) for a plain INSERT of ``model``.

    Built once per model, dialect and pk presence (and again if the model's
    fields change); ``None`` when the model has ``db_default`` fields (their
    values decide the column list). The parameter function is the one
    ``bulk_create`` uses, given a one-object chunk.
    """
    opts = model._meta
    try:
        plans = opts._insert_plans
    except AttributeError:
        plans = opts._insert_plans = {}
    key = (type(connection.dialect), pk_missing)
    plan = plans.get(key)
    concrete = opts.concrete_fields
    if plan is not None and plan[0] is concrete:
        return plan[1]

    fields = [f for f in concrete if not (f.primary_key and pk_missing)]
    # db_default values decide the column list; generated columns are read back: the general path.
    if not fields or any(f.has_db_default() or f.generated for f in concrete):
        plans[key] = (concrete, None)
        return None
    dialect = connection.dialect
    quote = dialect.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    returning = bool(pk_missing and dialect.supports_returning) and not (
        dialect.prefers_last_insert_id and opts.pk.get_internal_type() in _AUTO_FIELD_TYPES
    )
    if returning:
        sql = f"{sql} {dialect.returning_sql([opts.pk.column])}"
    plan = (sql, _chunk_params_function(model, _save_steps(fields, connection)), returning)
    plans[key] = (concrete, plan)
    return plan


def _passthrough_type(field, connection):
    """The type whose values ``field`` sends to this driver unchanged (None: always prepare)."""
    from orm.fields import BooleanField, CharField, Field, FloatField, IntegerField

    cls = type(field)
    if (
        cls.get_db_prep_save is not Field.get_db_prep_save
        or cls.get_db_prep_value is not Field.get_db_prep_value
        or field.get_db_adapter(connection) is not None
    ):
        return None
    for base, natural in ((IntegerField, int), (FloatField, float), (CharField, str),
                          (BooleanField, bool)):
        if cls.get_prep_value is base.get_prep_value:
            return natural
    return None


def _save_steps(fields, connection) -> list:
    """Per field: (field, attname, has its own pre_save, type passed through unchanged)."""
    from orm.fields import Field

    return [
        (field, field.attname, type(field).pre_save is not Field.pre_save,
         _passthrough_type(field, connection))
        for field in fields
    ]


_SKIP = object()


def _prepare_or_skip(field, value, connection):
    """``value`` prepared for the driver, or ``_SKIP`` when it needs the general path."""
    if type(value) not in _PLAIN_TYPES and (
        value is DatabaseDefault or hasattr(value, "resolve_expression")
    ):
        return _SKIP
    return field.get_db_prep_save(value, connection)


def _chunk_params_function(model, steps):
    """``params(chunk, connection) -> list | None`` generated for ``model``'s save steps.

    The flat parameter list of ``chunk``'s rows, as ``_save_steps`` describe them,
    or ``None`` when a value needs the general path (an expression,
    ``DatabaseDefault``). A field without its own ``pre_save`` gives the value
    the instance holds, else its ``pre_save``; read as an attribute where that
    is the same thing (``plain_attributes``). Values of a field's pass-through
    type go as they are; the loop over fields is unrolled.
    """
    from orm.model_init import plain_attributes

    namespace: dict[str, Any] = {"prepare": _prepare_or_skip, "SKIP": _SKIP}
    lines = [
        "def params(chunk, connection):",
        "    params = []",
        "    extend = params.extend",
        "    for obj in chunk:",
    ]
    names = []
    plains = plain_attributes(model, [step[0] for step in steps])
    for index, ((field, attname, custom, passthrough), plain) in enumerate(zip(steps, plains)):
        value = f"v{index}"
        names.append(value)
        namespace[f"field{index}"] = field
        if custom:
            lines.append(f"        {value} = field{index}.pre_save(obj, True)")
        elif plain:
            lines.append(f"        {value} = obj.{attname}")
        else:
            lines.append(
                f"        {value} = obj.__dict__[{attname!r}] if {attname!r} in obj.__dict__ "
                f"else field{index}.pre_save(obj, True)"
            )
        if passthrough is not None:
            namespace[f"type{index}"] = passthrough
            lines.append(f"        if {value} is not None and type({value}) is not type{index}:")
            indent = "            "
        else:
            indent = "        "
        lines += [
            f"{indent}{value} = prepare(field{index}, {value}, connection)",
            f"{indent}if {value} is SKIP:",
            f"{indent}    return None",
        ]
    lines += [f"        extend(({', '.join(names)},))", "    return params", ""]
    exec(compile("\n".join(lines), "<bulk insert parameters>", "exec"), namespace)  # noqa: S102
    return namespace["params"]


def insert_instance(instance, connection) -> None:
    """INSERT ``instance``; sets its pk (RETURNING, else the last insert id)."""
    model = type(instance)
    opts = model._meta
    pk = opts.pk
    data = instance.__dict__
    pk_missing = data.get(pk.attname) is None
    # The plan cached by _insert_plan, looked up here first: this runs once per save().
    known = opts.__dict__
    cached = known.get("_insert_plans", _NO_PLANS).get((type(connection.dialect), pk_missing))
    if cached is not None and cached[0] is known.get("concrete_fields"):
        plan = cached[1]
    else:
        plan = _insert_plan(model, connection, pk_missing)
    planned = plan[1]((instance,), connection) if plan is not None else None
    if planned is not None:
        sql, _, returning = plan
        if returning:
            # Each parameter goes into a column, so the server knows its type: it may
            # bind them itself and prepare the statement (see Connection.fetch_all).
            value = connection.fetch_all(sql, planned, prepared=True)[0][0]
            converter = pk.from_db_converter(connection)
            data[pk.attname] = converter(value) if converter else value
            return
        if pk_missing:
            data[pk.attname] = connection.execute_insert(sql, planned, opts.db_table, pk.column)
        else:
            connection.execute_count(sql, planned)
        return
    pk_missing = getattr(instance, pk.attname) is None
    fields = []
    values = []
    for field in opts.concrete_fields:
        if field.primary_key and pk_missing or field.generated:
            continue
        value = field.pre_save(instance, True)
        if value is DatabaseDefault:
            continue
        fields.append(field)
        values.append(value)
    quote = connection.dialect.quote_name
    table = quote(opts.db_table)
    params: list = []
    placeholders = []
    for field, value in zip(fields, values):
        placeholders.append(_placeholder(field, value, model, connection, params))
    if fields:
        columns = ", ".join(quote(field.column) for field in fields)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(placeholders)})"
    else:
        sql = connection.dialect.insert_default_values_sql(table) if hasattr(
            connection.dialect, "insert_default_values_sql"
        ) else (f"INSERT INTO {table} () VALUES ()" if connection.vendor == "mysql" else f"INSERT INTO {table} DEFAULT VALUES")
    db_default_fields = [
        field for field in opts.concrete_fields if instance.__dict__.get(field.attname) is DatabaseDefault
    ]
    generated = generated_fields(opts)
    returning = ([pk] if pk_missing else []) + db_default_fields + list(generated)
    dialect = connection.dialect
    if returning and dialect.supports_returning:
        sql = f"{sql} {dialect.returning_sql([field.column for field in returning])}"
        cursor = execute(connection, sql, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        for field, value in zip(returning, row):
            converter = field.from_db_converter(connection)
            instance.__dict__[field.attname] = converter(value) if converter else value
        return
    cursor = execute(connection, sql, params)
    try:
        if pk_missing:
            value = connection.last_insert_id(cursor, opts.db_table, pk.column)
            instance.__dict__[pk.attname] = value
    finally:
        cursor.close()
    if generated:
        _defer_generated((instance,), generated)
    if db_default_fields:
        instance.refresh_from_db(using=connection.alias, fields=[f.attname for f in db_default_fields])


def _compile_for_save(expression, model, connection):
    from orm.query.compiler import SQLCompiler
    from orm.query.query import Query

    query = Query(model)
    resolved = expression.resolve_expression(query, allow_joins=False, for_save=True)
    compiler = SQLCompiler(query, connection)
    return compiler.compile(resolved)


def update_instance(instance, values: list[tuple[Any, Any]], connection) -> int:
    """UPDATE ``instance``'s row with ``(field, value)`` pairs; returns the rows matched."""
    opts = type(instance)._meta
    generated = generated_fields(opts)
    if generated:
        values = [(field, value) for field, value in values if not field.generated]
        if not values:
            return _refresh_generated(instance, generated, connection)
    quote = connection.dialect.quote_name
    assignments = []
    params: list = []
    has_expression = False
    for field, value in values:
        if value is DatabaseDefault:
            assignments.append(f"{quote(field.column)} = DEFAULT")
            continue
        if hasattr(value, "resolve_expression"):
            has_expression = True
            sql, sub = _compile_for_save(value, type(instance), connection)
            assignments.append(f"{quote(field.column)} = {sql}")
            params.extend(sub)
        else:
            assignments.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(value, connection))
    pk = opts.pk
    params.append(pk.get_db_prep_value(instance.pk, connection))
    sql = f"UPDATE {quote(opts.db_table)} SET {', '.join(assignments)} WHERE {quote(pk.column)} = %s"
    returning = bool(generated) and connection.dialect.supports_returning
    if returning:
        sql = f"{sql} {connection.dialect.returning_sql([field.column for field in generated])}"
    cursor = execute(connection, sql, params)
    try:
        if returning:
            returned = cursor.fetchall()
            rows = len(returned)
            if returned:
                _store_generated(instance, generated, returned[0], connection)
        else:
            rows = cursor.rowcount
    finally:
        cursor.close()
    if generated and not returning:
        _defer_generated((instance,), generated)
    if has_expression:
        # An F() expression's result is only known to the database.
        for field, value in values:
            if hasattr(value, "resolve_expression"):
                instance.__dict__.pop(field.attname, None)
    if rows == 0 and connection.vendor == "mysql":
        # MySQL reports changed rows, not matched rows, unless the client flag says otherwise.
        exists = execute(connection, f"SELECT 1 FROM {quote(opts.db_table)} WHERE {quote(pk.column)} = %s", [params[-1]])
        try:
            rows = 1 if exists.fetchone() is not None else 0
        finally:
            exists.close()
    return rows


def _refresh_generated(instance, generated, connection) -> int:
    """An update with nothing to write: whether the row exists; its generated values are reloaded."""
    opts = type(instance)._meta
    quote = connection.dialect.quote_name
    columns = ", ".join(quote(field.column) for field in generated)
    cursor = execute(
        connection,
        f"SELECT {columns} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s",
        [opts.pk.get_db_prep_value(instance.pk, connection)],
    )
    try:
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return 0
    _store_generated(instance, generated, row, connection)
    return 1


def bulk_insert(model, objs, connection, using, batch_size, ignore_conflicts, update_conflicts, update_fields, unique_fields):
    """INSERT many objects; sets pks when the backend returns them."""
    opts = model._meta
    if ignore_conflicts and update_conflicts:
        raise ValueError("ignore_conflicts and update_conflicts are mutually exclusive.")
    update_columns: list[str] = []
    unique_columns: list[str] = []
    if update_conflicts:
        if not update_fields:
            raise ValueError("Fields that will be updated when a row insertion fails on conflicts must be provided.")
        for name in update_fields:
            field = _concrete_field(opts, name, "update_fields")
            if field.primary_key:
                raise ValueError("bulk_create() cannot be used with primary keys in update_fields.")
            if field.generated:
                raise ValueError(
                    f"bulk_create(update_fields=...): {opts.object_name}.{field.name} is a "
                    "GeneratedField, computed by the database; leave it out of update_fields"
                )
            update_columns.append(field.column)
        if unique_fields:
            for name in unique_fields:
                unique_columns.append(_concrete_field(opts, name if name != "pk" else opts.pk.name, "unique_fields").column)
        elif connection.vendor in ("postgresql", "sqlite"):
            raise ValueError("Unique fields that can trigger the upsert must be provided.")
    from orm.model import _related_preparers, mark_saved
    from orm.model_init import plain_attributes

    if _related_preparers(model):
        for obj in objs:
            obj._prepare_related_fields_for_save()
    pk = opts.pk
    pk_attname = pk.attname
    if plain_attributes(model, [pk])[0]:
        # Reading the attribute does not make CPython build each new object's dict;
        # a missing pk reads None through DeferredAttribute, as the dict lookup does.
        without_pk = [obj for obj in objs if getattr(obj, pk_attname) is None]
    else:
        without_pk = [obj for obj in objs if obj.__dict__.get(pk_attname) is None]
    with_pk = [] if len(without_pk) == len(objs) else [
        obj for obj in objs if obj.__dict__.get(pk_attname) is not None
    ]
    # Storing pks and states gives each object its dict: with many objects, the cyclic
    # GC would walk every live object again and again meanwhile (no cycles are made).
    pause_gc = len(objs) >= 500 and gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        _insert_groups(
            model, connection, using, ((with_pk, True), (without_pk, False)), batch_size,
            ignore_conflicts, update_conflicts, update_columns, unique_columns,
        )
        mark_saved(objs, using)
    finally:
        if pause_gc:
            gc.enable()
    generated = generated_fields(opts)
    if generated:
        _defer_generated(objs, generated)
    return objs


def _insert_groups(model, connection, using, groups, batch_size, ignore_conflicts, update_conflicts, update_columns, unique_columns) -> None:
    """The INSERT statements of ``bulk_create``: per group of objects (with pks, without), per batch."""
    from orm.transaction import atomic

    dialect = connection.dialect
    for group, include_pk in groups:
        if not group:
            continue
        insert = _BatchInsert(model, connection, include_pk, ignore_conflicts, update_conflicts, update_columns, unique_columns)
        width = max(len(insert.fields), 1)
        # Rows per statement as the parameter limit (or the caller) sets them...
        whole = min(batch_size, dialect.bulk_batch_size(width, len(group))) if batch_size else (
            dialect.bulk_batch_size(width, len(group))
        )
        # ...and as sent: the dialect may prefer shorter statements. Each run of them that
        # stands for one statement of ``whole`` rows is all or nothing, as that one would be
        # (pks set once it has gone through).
        cap = None if batch_size else dialect.bulk_insert_max_rows
        batch = min(cap, whole) if cap else whole
        for start in range(0, len(group), whole):
            unit = group[start : start + whole]
            if len(unit) <= batch:
                insert.store_pks(unit, insert.run(unit))
                continue
            with atomic(using=using):
                returned = [(chunk, insert.run(chunk)) for chunk in
                            (unit[offset : offset + batch] for offset in range(0, len(unit), batch))]
            for chunk, rows in returned:
                insert.store_pks(chunk, rows)


class _BatchInsert:
    """One ``bulk_create`` group's INSERT: its SQL pieces, run per batch of objects."""

    def __init__(self, model, connection, include_pk, ignore_conflicts, update_conflicts, update_columns, unique_columns):
        opts = model._meta
        dialect = connection.dialect
        quote = dialect.quote_name
        self.model = model
        self.connection = connection
        self.include_pk = include_pk
        self.pk = pk = opts.pk
        self.fields, self.column_types, self.chunk_params = _bulk_plan(model, connection, include_pk)
        self.plain = plain = not ignore_conflicts and not update_conflicts
        self.arrays_allowed = dialect.supports_bulk_insert_arrays and plain
        # An upsert's RETURNING gives the key of every row, inserted or updated (as Django 5).
        self.returning = dialect.supports_returning and not include_pk and (
            plain or (update_conflicts and dialect.supports_update_conflicts_with_target)
        )
        self.row_sql = f"({', '.join(['%s'] * len(self.fields))})"
        self.head = (
            f"{dialect.insert_prefix(ignore=ignore_conflicts)} INTO {quote(opts.db_table)} "
            f"({', '.join(quote(field.column) for field in self.fields)}) "
        )
        tail = dialect.on_conflict_sql(ignore=ignore_conflicts, update_fields=update_columns, unique_fields=unique_columns)
        if self.returning:
            tail = " ".join(filter(None, (tail, dialect.returning_sql([pk.column]))))
        self.tail = f" {tail}" if tail else ""
        # Batches but the last have one size: one SQL text per size (drivers cache
        # statements by their text).
        self.values_sql: dict[int, str] = {}
        self.converter = pk.from_db_converter(connection) if self.returning else None

    def run(self, chunk) -> list | range | None:
        """INSERT ``chunk``; its new primary keys when the database tells them.

        Rows of one value (``RETURNING``, the last insert id of one row), or the
        range of keys a MySQL multi-row INSERT takes from its first one.
        """
        connection = self.connection
        params = self.chunk_params(chunk, connection)
        arrays = _column_arrays(params, self.column_types, connection.dialect) if (
            self.arrays_allowed and len(chunk) > 1
        ) else None
        if arrays is not None:
            rows_sql, params = arrays
            sql = f"{self.head}{rows_sql}{self.tail}"
        elif params is not None:
            sql = self.values_sql.get(len(chunk))  # type: ignore[assignment]
            if sql is None:
                sql = self.values_sql[len(chunk)] = (
                    f"{self.head}VALUES {', '.join([self.row_sql] * len(chunk))}{self.tail}"
                )
        else:
            rows_sql, params = _general_rows_sql(self.model, self.fields, chunk, connection)
            sql = f"{self.head}VALUES {rows_sql}{self.tail}"
        if self.returning:
            return connection.fetch_all(sql, params)
        cursor = execute(connection, sql, params)
        try:
            if self.include_pk or not self.plain:
                return None
            if connection.vendor == "mysql":
                first = cursor.lastrowid
                return range(first, first + len(chunk)) if first else None
            if len(chunk) == 1:
                return [(connection.last_insert_id(cursor, self.model._meta.db_table, self.pk.column),)]
            return None
        finally:
            cursor.close()

    def store_pks(self, chunk, returned: list | range | None) -> None:
        """Store the primary keys ``run`` gave, in the order of ``chunk``."""
        if returned is None:
            return
        attname = self.pk.attname
        if type(returned) is range:
            for obj, key in zip(chunk, returned):
                obj.__dict__[attname] = key
            return
        converter = self.converter
        if converter is None:
            for obj, (value,) in zip(chunk, returned):
                obj.__dict__[attname] = value
        else:
            for obj, (value,) in zip(chunk, returned):
                obj.__dict__[attname] = converter(value)


def _bulk_plan(model, connection, include_pk: bool):
    """(fields, column types, generated parameter function) of a bulk INSERT, cached on ``_meta``."""
    opts = model._meta
    try:
        plans = opts._insert_plans
    except AttributeError:
        plans = opts._insert_plans = {}
    concrete = opts.concrete_fields
    key = ("bulk", type(connection.dialect), connection.vendor, include_pk)
    plan = plans.get(key)
    if plan is None or plan[0] is not concrete:
        fields = _insert_fields(model, include_pk)
        column_types = [field.db_type(connection) for field in fields]
        steps = _save_steps(fields, connection)
        plan = plans[key] = (concrete, fields, column_types, _chunk_params_function(model, steps))
    return plan[1:]


_NONE_TYPE = type(None)


def _column_arrays(params, column_types, dialect) -> tuple[str, list] | None:
    """(``SELECT`` of the rows, one list per column) when the dialect takes arrays for them all.

    ``params`` are the flat row values; each column's values must be of one
    type (or None) that the dialect sends as an array for that column type.
    """
    if params is None or not column_types or None in column_types:
        return None
    width = len(column_types)
    columns = [params[index::width] for index in range(width)]
    array_types = []
    for column, column_type in zip(columns, column_types):
        kinds = set(map(type, column))
        kinds.discard(_NONE_TYPE)
        if len(kinds) > 1:
            return None
        array_type = dialect.bulk_insert_array_type(column_type, kinds.pop() if kinds else _NONE_TYPE)
        if array_type is None:
            return None
        array_types.append(array_type)
    return dialect.unnest_rows_sql(array_types), columns


def _general_rows_sql(model, fields, chunk, connection) -> tuple[str, list]:
    """``VALUES`` rows and parameters for objects whose values need preparing one by one."""
    rows_sql = []
    params: list = []
    for obj in chunk:
        placeholders = []
        for field in fields:
            value = field.pre_save(obj, True)
            if value is DatabaseDefault:
                value = field.db_default if not hasattr(field.db_default, "as_sql") else None
            placeholders.append(_placeholder(field, value, model, connection, params))
        rows_sql.append(f"({', '.join(placeholders)})")
    return ", ".join(rows_sql), params


def _placeholder(field, value, model, connection, params: list) -> str:
    """SQL standing for ``value`` in an INSERT; appends its parameters to ``params``."""
    if hasattr(value, "resolve_expression"):
        sql, sub = _compile_for_save(value, model, connection)
        params.extend(sub)
        return sql
    params.append(field.get_db_prep_save(value, connection))
    return "%s"


def _concrete_field(opts, name, argument):
    try:
        field = opts.get_field(name)
    except FieldDoesNotExist:
        raise FieldError(f"bulk_create({argument}=...): {opts.object_name} has no field {name!r}") from None
    if not field.concrete or field.many_to_many:
        raise ValueError(f"bulk_create() can only be used with concrete fields in {argument}.")
    return field


def bulk_update(model, objs, field_names, connection, using, batch_size) -> int:
    """UPDATE many objects, one CASE per field per batch."""
    opts = model._meta
    fields = []
    for name in field_names:
        field = opts.get_field(name)
        if not field.concrete or field.many_to_many:
            raise ValueError("bulk_update() can only be used with concrete fields.")
        if field.primary_key:
            raise ValueError("bulk_update() cannot be used with primary key fields.")
        if field.generated:
            raise ValueError(
                f"bulk_update(): {opts.object_name}.{field.name} is a GeneratedField, "
                "computed by the database; leave it out of the fields"
            )
        fields.append(field)
    if any(obj.pk is None for obj in objs):
        raise ValueError("All bulk_update() objects must have a primary key set.")
    for obj in objs:
        obj._prepare_related_fields_for_save()
    quote = connection.dialect.quote_name
    pk = opts.pk
    per_object = len(fields) * 2 + 1
    batch = batch_size or connection.dialect.bulk_batch_size(per_object, len(objs))
    batch = min(batch, connection.dialect.bulk_batch_size(per_object, len(objs)))
    total = 0
    for start in range(0, len(objs), batch):
        chunk = objs[start : start + batch]
        assignments = []
        params: list = []
        for field in fields:
            cases = []
            # PostgreSQL types each CASE branch from its value: say the column's type. A
            # foreign key's column has its target's type.
            typed = field.target_field if field.is_relation else field
            cast = connection.dialect.cast_sql(
                "%s", typed.get_internal_type(), typed.db_params()
            ) if connection.vendor == "postgresql" else "%s"
            for obj in chunk:
                value = getattr(obj, field.attname)
                if hasattr(value, "resolve_expression"):
                    sql, sub = _compile_for_save(value, model, connection)
                else:
                    sql, sub = cast, [field.get_db_prep_save(value, connection)]
                cases.append(f"WHEN {quote(pk.column)} = %s THEN {sql}")
                params.append(pk.get_db_prep_value(obj.pk, connection))
                params.extend(sub)
            assignments.append(f"{quote(field.column)} = CASE {' '.join(cases)} ELSE {quote(field.column)} END")
        placeholders = ", ".join(["%s"] * len(chunk))
        params.extend(pk.get_db_prep_value(obj.pk, connection) for obj in chunk)
        sql = f"UPDATE {quote(opts.db_table)} SET {', '.join(assignments)} WHERE {quote(pk.column)} IN ({placeholders})"
        cursor = execute(connection, sql, params)
        try:
            total += cursor.rowcount if cursor.rowcount and cursor.rowcount > 0 else 0
        finally:
            cursor.close()
    return total


def update_queryset(queryset, values: dict, connection) -> int:
    """``UPDATE ... SET ... WHERE <the QuerySet's filters>``; returns rows matched."""
    statement = update_statement(queryset.query, values, connection)
    if statement is None:
        return 0
    cursor = execute(connection, *statement)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def update_statement(query, values: dict, connection) -> tuple[str, list] | None:
    """The UPDATE of ``values`` over ``query``'s rows as (sql, params); ``None`` if none can match."""
    opts = query.get_meta()
    query = query.clone()
    quote = connection.dialect.quote_name
    assignments = []
    params: list = []
    query.get_initial_alias()
    for name, value in values.items():
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            from orm.options import closest_names

            raise FieldError(
                f"{opts.object_name} has no field named {name!r}; choices are: "
                f"{', '.join(closest_names(name, [f.name for f in opts.concrete_fields]))}"
            ) from None
        if not field.concrete or field.many_to_many or not field.column:
            raise FieldError(f"Cannot update model field {name!r} (only non-relations and foreign keys permitted).")
        if field.generated:
            raise FieldError(
                f"{opts.object_name}.{field.name} is a GeneratedField, computed by the database: "
                "it cannot be updated"
            )
        if field.is_relation and hasattr(value, "_meta"):
            value = value.pk
        if hasattr(value, "resolve_expression"):
            resolved = value.resolve_expression(query, allow_joins=False, for_save=True)
            if getattr(resolved, "contains_aggregate", False):
                raise FieldError("Aggregate functions are not allowed in this query")
            from orm.query.compiler import SQLCompiler

            sql, sub = SQLCompiler(query, connection).compile(resolved)
            assignments.append(f"{quote(field.column)} = {sql}")
            params.extend(sub)
        else:
            if value is None and not field.null:
                from orm.exceptions import IntegrityError

                raise IntegrityError(f"{opts.object_name}.{field.name}: NOT NULL column cannot be set to None")
            prepared = field.get_db_prep_save(value, connection) if not field.is_relation else (
                field.target_field.get_db_prep_save(value, connection) if hasattr(field, "target_field") else value
            )
            assignments.append(f"{quote(field.column)} = %s")
            params.append(prepared)
    for field in opts.concrete_fields:
        if getattr(field, "auto_now", False) and field.name not in values:
            assignments.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(field._now(), connection))
    where_sql, where_params = _where_for_write(query, connection)
    sql = f"UPDATE {quote(opts.db_table)} SET {', '.join(assignments)}"
    if where_sql is None:
        return None
    if where_sql:
        sql += f" WHERE {where_sql}"
    return sql, [*params, *where_params]


def _reads_table(node, table: str) -> bool:
    """Whether a subquery inside the WHERE ``node`` reads ``table``.

    An UPDATE or DELETE whose condition reads the table it changes must see
    the rows as they were: SQLite and MySQL check the condition row by row
    while changing them (an ``Exists`` over the same table would see the rows
    already changed), so such a statement goes through a materialized
    ``pk IN (...)`` instead.
    """
    from orm.query.query import Query

    stack = [node]
    while stack:
        item = stack.pop()
        inner = item if isinstance(item, Query) else getattr(item, "query", None)
        if isinstance(inner, Query):
            if any(getattr(join, "table_name", None) == table for join in inner.alias_map.values()):
                return True
            stack.append(inner.where)
            continue
        children = getattr(item, "get_source_expressions", None)
        if children is not None:
            stack.extend(child for child in children() if child is not None)
    return False


def _where_for_write(query, connection) -> tuple[str | None, list]:
    """The WHERE clause of an UPDATE/DELETE: direct when single-table, else ``pk IN (subquery)``."""
    from orm.exceptions import EmptyResultSet
    from orm.query.compiler import SQLCompiler

    if query.is_empty_query:
        return None, []
    used = [alias for alias, count in query.alias_refcount.items() if count > 0]
    joins = [alias for alias in used if alias != query.base_alias]
    compiler = SQLCompiler(query, connection)
    if (
        not joins
        and not query.where.has_aggregate
        and not query.is_sliced
        and not _reads_table(query.where, query.get_meta().db_table)
    ):
        try:
            sql, params = compiler.compile(query.where)
        except EmptyResultSet:
            return None, []
        return sql, params
    inner = query.clone()
    pk = query.get_meta().pk
    inner.default_cols = False
    inner.select = (Col(inner.base_alias, pk),)
    inner.annotation_select_mask = []
    inner.clear_ordering(force=True)
    try:
        inner_sql, inner_params = inner.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return None, []
    quote = connection.dialect.quote_name
    # The extra derived table lets MySQL read the table it is changing.
    return (
        f"{quote(pk.column)} IN (SELECT {quote('_pk')}.{quote(pk.column)} FROM ({inner_sql}) {quote('_pk')})",
        inner_params,
    )


