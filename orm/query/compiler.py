"""``SQLCompiler``: a ``Query`` as SQL and parameters for one connection, and its execution."""

from __future__ import annotations

from typing import Any

from orm.exceptions import (
    EmptyResultSet,
    FieldError,
    NotSupportedError,
    TransactionManagementError,
)
from orm.query.expressions import Col, F, OrderBy, Ref, Value
from orm.query.filtered_relation import FilteredRelationCache, select_related_names
from orm.query.joins import INNER, BaseTable

__all__ = ["SQLCompiler", "MULTI", "SINGLE", "CURSOR", "NO_RESULTS", "execute"]

MULTI, SINGLE, CURSOR, NO_RESULTS = "multi", "single", "cursor", "no results"


def execute(connection, sql: str, params):
    """Run ``sql``; with no parameters, ``%%`` written for the driver becomes ``%``."""
    if not params:
        if "%%" in sql:
            sql = sql.replace("%%", "%")
        return connection.execute(sql)
    return connection.execute(sql, params)


def _prefixed_ordering(entry, parts: list, descending: bool):
    """A related model's ``Meta.ordering`` expression seen from across ``parts`` (None if not an F)."""
    ordering = entry if isinstance(entry, OrderBy) else OrderBy(entry)
    if not isinstance(ordering.expression, F):
        return None
    prefixed = ordering.copy()
    prefixed.expression = F("__".join([*parts, ordering.expression.name]))
    return prefixed.reverse_ordering() if descending else prefixed


class _ResultColumnOrdering:
    """One ORDER BY term of a combined query: a result column by position, NULLs placed as asked."""

    def __init__(self, position: int, ordering: OrderBy):
        self.position = position
        self.ordering = ordering

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        # A combined query's ORDER BY may only name result columns, not expressions over them
        # (SQLite, PostgreSQL), so NULLs are placed with the standard modifier.
        ordering = self.ordering
        sql = f"{self.position} {'DESC' if ordering.descending else 'ASC'}"
        if ordering.nulls_last:
            return f"{sql} NULLS LAST", []
        if ordering.nulls_first:
            return f"{sql} NULLS FIRST", []
        return sql, []

    def as_mysql(self, compiler, connection) -> tuple[str, list]:
        # MySQL has no NULLS FIRST/LAST, but its combined ORDER BY takes expressions over the
        # result columns' names (not positions): sort on an "IS NULL" rank first, as OrderBy does.
        ordering = self.ordering
        if not (ordering.nulls_last or ordering.nulls_first):
            return self.as_sql(compiler, connection)
        name = compiler.combinator_column_name(self.position)
        if name is None:
            raise NotSupportedError(
                f"ORDER BY column {self.position} of a combined query with nulls_first/nulls_last: "
                "on MySQL the column needs a name no earlier column has; select it with values() "
                "or values_list() under a distinct name"
            )
        null_rank = "1 ELSE 0" if ordering.nulls_last else "0 ELSE 1"
        direction = "DESC" if ordering.descending else "ASC"
        quoted = compiler.quote_name(name)
        return f"CASE WHEN {quoted} IS NULL THEN {null_rank} END, {self.position} {direction}", []


class SQLCompiler:
    """Compiles a SELECT; also the place expressions call back into (``compile``)."""

    def __init__(self, query, connection):
        self.query = query
        self.connection = connection
        self.quote_name = connection.dialect.quote_name
        self.select: list = []
        self.klass_info: dict | None = None
        self.annotation_col_map: dict[str, int] = {}
        self.col_count = 0
        self._join_types: dict[str, str] = {}

    def compile(self, node) -> tuple[str, list]:
        vendor_impl = getattr(node, f"as_{self.connection.vendor}", None)
        if vendor_impl is not None:
            return vendor_impl(self, self.connection)
        return node.as_sql(self, self.connection)

    # -- select list --------------------------------------------------------------

    def setup_query(self) -> None:
        query = self.query
        select: list = []
        klass_info = None
        if query.default_cols:
            model = query.model
            alias = query.get_initial_alias()
            query.unref_alias(alias)
            loaded = query.loaded_field_names(model._meta)
            attnames = []
            start = len(select)
            for field in model._meta.concrete_fields:
                if loaded is not None and field.attname not in loaded:
                    continue
                select.append((Col(alias, field), None))
                attnames.append(field.attname)
            klass_info = {"model": model, "attnames": attnames, "start": start, "related": []}
        for index, expression in enumerate(query.select):
            name = query.values_select[index] if index < len(query.values_select) else None
            select.append((expression, name))
        annotation_col_map = {}
        for name, annotation in query.annotation_select.items():
            annotation_col_map[name] = len(select)
            select.append((annotation, name))
        if query.select_related and klass_info is not None:
            self._add_related_selections(select, klass_info, query.model._meta, query.get_initial_alias(), query.select_related, depth=1)
            query.unref_alias(query.base_alias)
        self.select = select
        self.klass_info = klass_info
        self.annotation_col_map = annotation_col_map
        self.col_count = len(select)

    def _related_candidates(self, opts, requested):
        for field in opts.concrete_fields:
            if field.is_relation and not field.many_to_many and getattr(field, "get_path_info", None):
                if requested is True:
                    if not field.null:
                        yield field, True
                elif field.name in requested:
                    yield field, requested[field.name]
        if isinstance(requested, dict):
            for relation in opts.related_objects:
                if relation.one_to_one and relation.query_name in requested:
                    yield relation, requested[relation.query_name]

    def _add_related_selections(self, select, klass_info, opts, alias, requested, depth) -> None:
        if requested is True and depth > self.query.max_depth:
            return
        valid = set()
        loaded = self.query.loaded_field_names(opts) if depth == 1 and isinstance(requested, dict) else None
        for field, sub_request in self._related_candidates(opts, requested):
            valid.add(getattr(field, "query_name", None) or field.name)
            if loaded is not None and getattr(field, "attname", None) and field.attname not in loaded:
                raise FieldError(
                    f"Field {opts.object_name}.{field.name} cannot be both deferred and traversed using "
                    f"select_related at the same time; load it (only({field.name!r}, ...)) or drop it "
                    "from select_related()"
                )
            self._add_related_model(
                select, klass_info, getattr(field, "query_name", None) or field.name, field, opts, alias,
                sub_request if isinstance(sub_request, dict) and sub_request else (True if requested is True else {}),
                depth,
            )
        if depth == 1 and self.query.filtered_relations:
            for name in select_related_names(self.query, requested):
                valid.add(name)
                self._add_related_model(select, klass_info, name, None, opts, alias, requested[name], depth)
        if isinstance(requested, dict):
            unknown = set(requested) - valid
            if unknown:
                choices = sorted(
                    {f.name for f in opts.concrete_fields if f.is_relation}
                    | {r.query_name for r in opts.related_objects if r.one_to_one}
                    | (set(self.query.filtered_relations) if depth == 1 else set())
                )
                raise FieldError(
                    f"Invalid field name(s) given in select_related: {', '.join(sorted(unknown))}. "
                    f"Choices on {opts.object_name} are: {', '.join(choices) or '(none)'}"
                )

    def _add_related_model(self, select, klass_info, name, field, opts, alias, sub_request, depth) -> None:
        """Join ``name`` from ``alias``, select its model's columns and describe them in ``klass_info``.

        ``field`` is the relation (None for a filtered relation's alias: the
        object goes to the attribute of that name).
        """
        info = self.query.setup_joins([name], opts, alias)
        related_alias = info.joins[-1]
        related_model = info.opts.model
        start = len(select)
        attnames = []
        for related_field in related_model._meta.concrete_fields:
            select.append((Col(related_alias, related_field), None))
            attnames.append(related_field.attname)
        if field is None:
            field = FilteredRelationCache(name, info.final_field)
        sub_info = {"model": related_model, "attnames": attnames, "start": start, "related": [], "field": field}
        klass_info["related"].append(sub_info)
        if sub_request:
            self._add_related_selections(select, sub_info, related_model._meta, related_alias, sub_request, depth + 1)

    # -- clauses ------------------------------------------------------------------

    def get_from_clause(self) -> tuple[list[str], list]:
        query = self.query
        query.get_initial_alias()  # a query without filters or joins still needs its table
        parts: list[str] = []
        params: list = []
        if not query.alias_map:
            query.base_alias  # noqa: B018 - a query naming no column still needs its FROM table
        types = query.resolved_join_types()
        self._join_types = types
        for alias, table in query.alias_map.items():
            if isinstance(table, BaseTable):
                sql, sub = table.as_sql(self, self.connection)
                parts.append(sql)
                params.extend(sub)
            elif query.alias_refcount.get(alias, 0) > 0:
                sql, sub = table.as_sql(self, self.connection, types.get(alias, INNER))
                parts.append(sql)
                params.extend(sub)
        return parts, params

    def get_order_by(self) -> list:
        """Resolved ``OrderBy`` expressions for the query's ordering."""
        query = self.query
        if query.order_by:
            ordering = list(query.order_by)
        elif query.default_ordering and not isinstance(query.group_by, tuple):
            # As Django: Meta.ordering does not apply to values().annotate(), whose groups
            # its fields would split (rows grouped by pk keep it).
            ordering = list(query.get_meta().ordering)
        else:
            ordering = []
        result = []
        for entry in ordering:
            result.extend(self._resolve_ordering(entry, query.get_meta(), query.get_initial_alias(), [], set()))
            query.unref_alias(query.base_alias)
        if not query.standard_ordering:
            result = [expression.reverse_ordering() for expression in result]
        return result

    def _resolve_ordering(self, entry, opts, alias, prefix: list, seen: set) -> list:
        query = self.query
        if hasattr(entry, "resolve_expression"):
            if not isinstance(entry, OrderBy):
                entry = entry.asc()
            ordered = entry.expression
            if isinstance(ordered, F) and ordered.name in query.annotation_select:
                resolved_inner = Ref(ordered.name, query.annotations[ordered.name])
            else:
                resolved_inner = ordered.resolve_expression(query, reuse=None)
            clone = entry.copy()
            clone.expression = resolved_inner
            return [clone]
        if entry == "?":
            from orm.query.expressions import RawSQL

            return [OrderBy(RawSQL(self.connection.dialect.random_function_sql()).copy())]
        descending = entry.startswith("-")
        name = entry.lstrip("-+")
        if not prefix and name in query.annotation_select:
            return [OrderBy(Ref(name, query.annotations[name]), descending=descending)]
        if not prefix and name in query.annotations:
            return [OrderBy(query.annotations[name], descending=descending)]
        parts = [*prefix, *name.split("__")]
        info = query.setup_joins(parts, query.get_meta(), query.get_initial_alias())
        query.unref_alias(query.base_alias)
        final = info.final_field
        # As Django: "author" follows Author's ordering, "author_id" (the attname) is the column.
        if (
            final is not None
            and final.is_relation
            and not info.rest
            and parts[-1] not in (getattr(final, "attname", None), "pk")
        ):
            related_opts = info.opts
            key = (related_opts.label, tuple(parts))
            if related_opts.ordering and key not in seen:
                seen = seen | {key}
                result = []
                for related_entry in related_opts.ordering:
                    if hasattr(related_entry, "resolve_expression"):
                        prefixed = _prefixed_ordering(related_entry, parts, descending)
                        if prefixed is not None:
                            result.extend(self._resolve_ordering(prefixed, related_opts, alias, [], seen))
                        continue
                    related_descending = related_entry.startswith("-")
                    flip = "-" if related_descending != descending else ""
                    result.extend(
                        self._resolve_ordering(flip + related_entry.lstrip("-"), related_opts, alias, parts, seen)
                    )
                return result
        targets, final_alias, _joins = query.trim_joins(info.targets, info.joins, info.path)
        output = info.targets[0] if final is not None and final.is_relation else final
        expression: Any = Col(final_alias, targets[0], output_field=output)
        for transform_name in info.rest:
            expression = query.try_transform(expression, transform_name)
        return [OrderBy(expression, descending=descending)]

    def get_group_by(self, select, order_by) -> list:
        query = self.query
        if query.group_by is None:
            return []
        expressions: list = []
        if query.group_by is not True:
            for expression in query.group_by:
                expressions.extend(expression.get_group_by_cols() if hasattr(expression, "get_group_by_cols") else [expression])
        for expression, alias in select:
            if getattr(expression, "contains_aggregate", False):
                continue
            if alias is not None and alias in query.annotation_select and not isinstance(expression, Col):
                cols = expression.get_group_by_cols()
                expressions.extend(cols)
            else:
                expressions.extend(expression.get_group_by_cols())
        for order in order_by:
            if getattr(order.expression, "contains_aggregate", False) or isinstance(order.expression, Ref):
                continue
            expressions.extend(order.get_group_by_cols())
        seen = set()
        result = []
        for expression in expressions:
            if isinstance(expression, Value):
                continue
            sql, params = self.compile(expression)
            key = (sql, tuple(map(repr, params)))
            if key not in seen:
                seen.add(key)
                result.append((sql, params))
        return result

    # -- statements ---------------------------------------------------------------

    def as_sql(self, with_limits: bool = True, subquery: bool = False) -> tuple[str, list]:
        query = self.query
        if query.is_empty_query:
            raise EmptyResultSet
        if query.combinator:
            return self.get_combinator_sql(with_limits)
        self.setup_query()
        order_by = self.get_order_by()
        where, having = query.where.split_having()
        params: list = []
        select_parts: list[str] = []
        for expression, alias in self.select:
            try:
                sql, sub = self.compile(expression)
            except EmptyResultSet:
                sql, sub = "NULL", []
                empty_value = getattr(expression, "empty_result_set_value", None)
                if empty_value is not None:
                    sql, sub = "%s", [empty_value]
            sql, sub = expression.select_format(self, sql, sub) if hasattr(expression, "select_format") else (sql, sub)
            if alias is not None and (subquery is False or query.annotation_select.get(alias) is expression):
                sql = f"{sql} AS {self.quote_name(alias)}"
            select_parts.append(sql)
            params.extend(sub)
        where_sql, where_params = self.compile(where) if where is not None else ("", [])
        having_sql, having_params = self.compile(having) if having is not None else ("", [])
        from_parts, from_params = self.get_from_clause()
        distinct = ""
        if query.distinct:
            if query.distinct_fields:
                if not self.connection.dialect.supports_distinct_on:
                    raise NotSupportedError("distinct(*fields) is only supported on PostgreSQL")
                columns = []
                for name in query.distinct_fields:
                    expression = query.resolve_ref(name)
                    sql, sub = self.compile(expression)
                    columns.append(sql)
                    params = [*sub, *params]
                distinct = f"DISTINCT ON ({', '.join(columns)}) "
            else:
                distinct = "DISTINCT "
        order_parts: list[str] = []
        order_params: list = []
        extra_select: list[str] = []
        for order in order_by:
            sql, sub = self.compile(order)
            order_parts.append(sql)
            order_params.extend(sub)
            if query.distinct and not query.distinct_fields and not isinstance(order.expression, Ref):
                inner_sql, inner_params = self.compile(order.expression)
                if inner_sql not in select_parts:
                    extra_select.append(inner_sql)
                    params.extend(inner_params)
        group_by = self.get_group_by(self.select, order_by)
        result = [f"SELECT {distinct}{', '.join([*select_parts, *extra_select]) or '1'}"]
        result.append(f"FROM {' '.join(from_parts)}")
        params.extend(from_params)
        if where_sql:
            result.append(f"WHERE {where_sql}")
            params.extend(where_params)
        if group_by:
            result.append("GROUP BY " + ", ".join(sql for sql, _ in group_by))
            for _, sub in group_by:
                params.extend(sub)
        if having_sql:
            result.append(f"HAVING {having_sql}")
            params.extend(having_params)
        if order_parts:
            result.append("ORDER BY " + ", ".join(order_parts))
            params.extend(order_params)
        if with_limits and query.is_sliced:
            limit = None if query.high_mark is None else query.high_mark - query.low_mark
            result.append(self.connection.dialect.limit_offset_sql(limit, query.low_mark or None))
        if query.select_for_update and not subquery:
            if not self.connection.dialect.supports_select_for_update:
                pass
            else:
                of_columns = []
                for name in query.select_for_update_of:
                    if name == "self":
                        of_columns.append(self.quote_name(query.base_alias))
                    else:
                        info = query.setup_joins(name.split("__"), query.get_meta(), query.get_initial_alias())
                        of_columns.append(self.quote_name(info.joins[-1]))
                result.append(
                    self.connection.dialect.for_update_sql(
                        nowait=query.select_for_update_nowait,
                        skip_locked=query.select_for_update_skip_locked,
                        of=of_columns,
                    )
                )
        return " ".join(part for part in result if part), params

    def get_combinator_sql(self, with_limits: bool) -> tuple[str, list]:
        query = self.query
        dialect = self.connection.dialect
        parts: list[str] = []
        params: list = []
        keyword = {"union": "UNION", "intersection": "INTERSECT", "difference": "EXCEPT"}[query.combinator]
        if query.combinator_all:
            keyword += " ALL"
        first_compiler: Any = None
        for part in query.combined_queries:
            part_query = part.clone()
            if not part_query.is_sliced:
                part_query.clear_ordering(force=True)
            if query.values_select and not part_query.values_select:
                # values()/values_list() called after union() applies to every part.
                part_query.set_values([*query.values_select, *query.annotation_select])
            compiler = part_query.get_compiler(connection=self.connection)
            try:
                sql, sub = compiler.as_sql()
            except EmptyResultSet:
                if query.combinator == "union":
                    continue
                if query.combinator == "difference" and first_compiler is not None:
                    continue
                raise
            if first_compiler is None:
                first_compiler = compiler
            if part_query.is_sliced or (self.connection.vendor != "sqlite" and part_query.order_by):
                sql = f"SELECT * FROM ({sql}) {self.quote_name('_part' + str(len(parts)))}"
            parts.append(sql)
            params.extend(sub)
        if not parts:
            raise EmptyResultSet
        self.select = first_compiler.select
        self.klass_info = first_compiler.klass_info
        self.annotation_col_map = first_compiler.annotation_col_map
        self.col_count = first_compiler.col_count
        sql = f" {keyword} ".join(parts)
        order_parts = []
        for entry in query.order_by:
            if isinstance(entry, str):
                ordering = OrderBy(F(entry.lstrip("-")), descending=entry.startswith("-"))
            else:
                ordering = entry if isinstance(entry, OrderBy) else OrderBy(entry)
            if not query.standard_ordering:  # reverse(), last()
                ordering = ordering.reverse_ordering()
            name = getattr(ordering.expression, "name", None)
            term = _ResultColumnOrdering(self._combinator_position(name), ordering)
            order_parts.append(self.compile(term)[0])
        if order_parts:
            sql += " ORDER BY " + ", ".join(order_parts)
        if with_limits and query.is_sliced:
            limit = None if query.high_mark is None else query.high_mark - query.low_mark
            sql += " " + dialect.limit_offset_sql(limit, query.low_mark or None)
        return sql, params

    def _combinator_position(self, name) -> int:
        for index, (expression, alias) in enumerate(self.select, start=1):
            if alias == name:
                return index
            target = getattr(expression, "target", None)
            if target is not None and name in (target.name, target.attname, "pk" if target.primary_key else None):
                return index
        raise FieldError(f"ORDER BY term {name!r} does not match any column of the combined query")

    def combinator_column_name(self, position: int) -> str | None:
        """The name result column ``position`` (1-based) of a combined query is known by, if no earlier one shares it."""
        names = [
            alias or getattr(getattr(expression, "target", None), "column", None) for expression, alias in self.select
        ]
        name = names[position - 1]
        if name is None:
            return None
        # Column names are case-insensitive where a name is needed (MySQL): the first match wins there.
        first = next(index for index, other in enumerate(names, start=1) if other and other.lower() == name.lower())
        return name if first == position else None

    # -- execution ----------------------------------------------------------------

    def get_converters(self) -> list[tuple[int, Any]]:
        """(column index, converter) for the columns whose driver values need converting."""
        converters = []
        connection = self.connection
        for index, (expression, _alias) in enumerate(self.select):
            if isinstance(expression, Col):
                field = expression._output_field
                converter = field.from_db_converter(connection) if field is not None else None
            else:
                converter = expression.get_converter(connection) if hasattr(expression, "get_converter") else None
            if converter is not None:
                converters.append((index, converter))
        return converters

    def execute_sql(self, result_type: str = MULTI):
        """Run the query: a list of rows (MULTI), one row (SINGLE), the cursor, or nothing."""
        try:
            sql, params = self.as_sql()
            if not sql:
                raise EmptyResultSet
        except EmptyResultSet:
            if result_type == MULTI:
                return []
            return None
        if result_type == MULTI:
            return self.fetch_rows(sql, params)
        if self.query.select_for_update:
            self._check_locking()
        cursor = execute(self.connection, sql, params)
        if result_type == CURSOR:
            return cursor
        if result_type == SINGLE:
            try:
                row = cursor.fetchone()
            finally:
                cursor.close()
            if row is None:
                return None
            return row[: self.col_count] if self.col_count and len(row) > self.col_count else row
        if result_type == NO_RESULTS:
            cursor.close()
            return None
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if rows and self.col_count and len(rows[0]) > self.col_count:
            count = self.col_count
            rows = [row[:count] for row in rows]
        return rows

    def fetch_rows(self, sql: str, params, load=None) -> list:
        """Every row of this compiler's ``sql`` (from `as_sql`), or ``load`` of them.

        ``load`` (rows -> results) is given the rows a chunk at a time (see
        ``Connection.fetch_all``); its results are returned joined.
        """
        if self.query.select_for_update:
            self._check_locking()
        if not params and "%%" in sql:
            sql = sql.replace("%%", "%")
        count = self.col_count
        if load is not None and count:
            whole = load

            def load(rows):
                return whole([row[:count] for row in rows] if rows and len(rows[0]) > count else rows)

        rows = self.connection.fetch_all(sql, params or None, load=load)
        if load is None and rows and count and len(rows[0]) > count:
            rows = [row[:count] for row in rows]
        return rows

    def iter_rows(self, chunk_size: int):
        """Stream rows in chunks (server-side cursor where the backend has one)."""
        try:
            sql, params = self.as_sql()
        except EmptyResultSet:
            return
        if self.query.select_for_update:
            self._check_locking()
        if not params and "%%" in sql:
            sql = sql.replace("%%", "%")
        count = self.col_count
        for chunk in self.connection.stream(sql, params or None, chunk_size):
            if chunk and count and len(chunk[0]) > count:
                chunk = [row[:count] for row in chunk]
            yield chunk

    def _check_locking(self) -> None:
        """Refuse ``select_for_update()`` outside a transaction, as Django does.

        In autocommit the lock would end with the statement: the rows would
        look locked to the code and be free to everyone else.
        """
        connection = self.connection
        if connection.dialect.supports_select_for_update and not connection.in_transaction:
            raise TransactionManagementError(
                "select_for_update() locks rows until the transaction ends: evaluate it "
                "inside orm.atomic()"
            )

    def apply_converters(self, rows, converters):
        if not converters:
            return rows
        converted = []
        append = converted.append
        for row in rows:
            row = list(row)
            for index, converter in converters:
                row[index] = converter(row[index])
            append(row)
        return converted

    def explain(self, format=None, **options) -> str:
        sql, params = self.as_sql()
        prefix = self.connection.dialect.explain_prefix(format, **options)
        cursor = execute(self.connection, f"{prefix} {sql}", params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return "\n".join(" ".join(str(value) for value in row) for row in rows)


