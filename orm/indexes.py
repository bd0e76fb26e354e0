"""``orm.Index``, ``orm.UniqueConstraint`` and ``orm.CheckConstraint`` for ``Meta``."""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from orm.exceptions import FieldError, ValidationError
from orm.query.q import Q

__all__ = ["Deferrable", "Index", "UniqueConstraint", "CheckConstraint", "BaseConstraint", "compile_condition", "compile_expression", "default_index_name", "referenced_fields"]

MAX_NAME_LENGTH = 30


class Deferrable(enum.Enum):
    """When a deferrable unique constraint is checked: at commit, or after each statement."""

    DEFERRED = "deferred"
    IMMEDIATE = "immediate"

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}.{self.name}"


def default_index_name(table: str, columns: list[str], suffix: str) -> str:
    """A stable name ``<table>_<columns>_<hash>_<suffix>`` short enough for every backend."""
    digest = hashlib.md5(f"{table}:{','.join(columns)}:{suffix}".encode(), usedforsecurity=False).hexdigest()[:8]
    head = f"{table[:11]}_{'_'.join(columns)[:7]}"
    return f"{head}_{digest}_{suffix}"[:MAX_NAME_LENGTH]


def compile_condition(model, condition: Q, connection) -> str:
    """SQL text of ``condition`` on ``model``'s table, with values quoted by the driver (DDL only)."""
    query = _ddl_query(model)
    # Joins are allowed while building so that a foreign key's own column (``author__isnull``,
    # ``author=1``) resolves as in Django; a join left after trimming is a real reference.
    where = query.build_condition(condition)
    return _ddl_sql(model, query, where, condition, connection)


def compile_expression(model, expression, connection) -> str:
    """SQL text of ``expression`` over ``model``'s columns, values inlined (DDL only).

    What a generated column computes: no table alias, no parameter.
    """
    query = _ddl_query(model)
    resolved = expression.resolve_expression(query, allow_joins=True)
    return _ddl_sql(model, query, resolved, expression, connection)


def _ddl_query(model):
    from orm.query.query import Query

    query = Query(model)
    query.base_alias_name = "__ddl__"
    return query


def _ddl_sql(model, query, node, source, connection) -> str:
    """``node`` compiled for DDL: the ``__ddl__`` alias removed and parameters quoted in place."""
    from orm.query.compiler import SQLCompiler

    base = next(iter(query.alias_map), None)
    if any(count for alias, count in query.alias_refcount.items() if alias != base):
        raise FieldError(
            f"{model.__name__}: joined field references are not permitted in a constraint, "
            f"index condition or generated field: {source!r}"
        )
    compiler = SQLCompiler(query, connection)
    sql, params = compiler.compile(node)
    quote = connection.dialect.quote_name
    sql = sql.replace(f"{quote('__ddl__')}.", "")
    if not params:
        return sql.replace("%%", "%")
    editor = connection.schema_editor(collect_sql=True)
    literals = tuple(editor.quote_value(value) for value in params)
    return sql % literals


def _field_expressions(expressions: tuple) -> tuple:
    """Positional index/constraint parts: a field name becomes ``F(name)``, as Django."""
    from orm.query.expressions import F

    return tuple(F(expression) if isinstance(expression, str) else expression for expression in expressions)


def _comparable(value: Any) -> Any:
    """``value`` with expressions spelled out by ``deconstruct()``, for equality.

    Expressions compare by their sources only (``Lower("a").desc() ==
    Lower("a").asc()``); an index or constraint must see every argument.
    """
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _comparable(item)) for key, item in value.items()))
    deconstruct = getattr(value, "deconstruct", None)
    if callable(deconstruct) and not isinstance(value, type):
        path, args, kwargs = deconstruct()[-3:]
        return path, _comparable(args), _comparable(kwargs)
    return value


def _expressions_sql(model, expressions: tuple, connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """SQL text of each key part over ``model``'s columns, and ``"ASC"``/``"DESC"`` of each."""
    from orm.query.expressions import OrderBy

    parts, orders = [], []
    for expression in expressions:
        descending = isinstance(expression, OrderBy) and expression.descending
        if isinstance(expression, OrderBy):
            expression = expression.expression
        parts.append(compile_expression(model, expression, connection))
        orders.append("DESC" if descending else "ASC")
    return tuple(parts), tuple(orders)


class Index:
    """An index on fields (``"-name"`` for descending), optionally partial (``condition=Q(...)``).

    ``Index(Lower("title").desc(), "pub_date", name=...)`` is a functional
    index: its positional expressions (a string is ``F(name)``) are indexed
    instead of ``fields``.
    """

    suffix = "idx"

    def __init__(self, *expressions, fields=(), name: str | None = None, condition: Q | None = None, db_tablespace=None, opclasses=(), include=None):
        # Django's checks, in Django's order and words.
        if opclasses and not name:
            raise ValueError("An index must be named to use opclasses.")
        if condition is not None and not isinstance(condition, Q):
            raise ValueError("Index.condition must be a Q instance.")
        if condition is not None and not name:
            raise ValueError("An index must be named to use condition.")
        if not isinstance(fields, (list, tuple)):
            raise ValueError("Index.fields must be a list or tuple.")
        if not isinstance(opclasses, (list, tuple)):
            raise ValueError("Index.opclasses must be a list or tuple.")
        if not expressions and not fields:
            raise ValueError("At least one field or expression is required to define an index.")
        if expressions and fields:
            raise ValueError("Index.fields and expressions are mutually exclusive.")
        if expressions and not name:
            raise ValueError("An index must be named to use expressions.")
        if expressions and opclasses:
            raise ValueError("Index.opclasses cannot be used with expressions.")
        if opclasses and len(fields) != len(opclasses):
            raise ValueError("Index.fields and Index.opclasses must have the same number of elements.")
        if fields and not all(isinstance(field, str) for field in fields):
            raise ValueError("Index.fields must contain only strings with field names.")
        if include and not name:
            raise ValueError("A covering index must be named.")
        if include is not None and not isinstance(include, (list, tuple)):
            raise ValueError("Index.include must be a list or tuple.")
        self.fields = list(fields)
        self.expressions = _field_expressions(expressions)
        self.name = name or ""
        self.condition = condition
        self.field_names = [field.lstrip("-") for field in self.fields]
        self.orders = ["DESC" if field.startswith("-") else "ASC" for field in self.fields]

    @property
    def contains_expressions(self) -> bool:
        """Whether this is an index on expressions."""
        return bool(self.expressions)

    def __repr__(self) -> str:
        parts = f"expressions={self.expressions!r}" if self.expressions else f"fields={self.fields!r}"
        return f"<Index: {parts} name={self.name!r}{' condition=' + repr(self.condition) if self.condition else ''}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Index) and _comparable(self.deconstruct()) == _comparable(other.deconstruct())

    def __hash__(self) -> int:
        return hash(self.name)

    def deconstruct(self) -> tuple[str, tuple, dict[str, Any]]:
        kwargs: dict[str, Any] = {"name": self.name}
        if self.fields:
            kwargs = {"fields": list(self.fields), **kwargs}
        if self.condition is not None:
            kwargs["condition"] = self.condition
        return "orm.Index", tuple(self.expressions), kwargs

    def clone(self) -> Index:
        path, args, kwargs = self.deconstruct()
        return type(self)(*args, **kwargs)

    def set_name_with_model(self, model) -> None:
        columns = [model._meta.get_field(name).column for name in self.field_names]
        self.name = default_index_name(model._meta.db_table, columns, self.suffix)

    def to_schema(self, model, connection):
        """This index as ``backends.schema.Index`` for ``model``'s table."""
        from backends.schema import Index as SchemaIndex

        opts = model._meta
        condition_sql = compile_condition(model, self.condition, connection) if self.condition is not None else None
        if self.expressions:
            expressions, orders = _expressions_sql(model, self.expressions, connection)
            orders = orders if "DESC" in orders else ()
            return SchemaIndex(self.name, (), False, condition_sql, orders, expressions)
        columns = tuple(opts.get_field(name).column for name in self.field_names)
        orders = tuple(self.orders) if any(order == "DESC" for order in self.orders) else ()
        return SchemaIndex(name=self.name, columns=columns, unique=False, condition_sql=condition_sql, orders=orders)


class BaseConstraint:
    """Shared by unique and check constraints."""

    violation_error_message = "Constraint %(name)s is violated."

    def __init__(self, *, name: str, violation_error_message: str | None = None):
        if not name:
            raise ValueError("A constraint needs a name.")
        self.name = name
        if violation_error_message is not None:
            self.violation_error_message = violation_error_message

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and _comparable(self.deconstruct()) == _comparable(other.deconstruct())

    def __hash__(self) -> int:
        return hash(self.name)

    def clone(self):
        path, args, kwargs = self.deconstruct()
        return type(self)(*args, **kwargs)

    def deconstruct(self):
        raise NotImplementedError


class UniqueConstraint(BaseConstraint):
    """Unique values across ``fields``, optionally only where ``condition`` holds.

    ``deferrable=Deferrable.DEFERRED`` (or ``IMMEDIATE``) makes the constraint
    ``DEFERRABLE INITIALLY DEFERRED`` (``IMMEDIATE``) on PostgreSQL; SQLite and
    MySQL/MariaDB have no deferrable unique constraints, and there such a
    constraint is not created (with a warning), as Django.

    ``UniqueConstraint(Lower("name"), "category", name=...)`` is unique on
    expressions (a unique index; a string is ``F(name)``) instead of ``fields``;
    MySQL/MariaDB cannot make it, and leave it out with a warning, as Django.
    """

    def __init__(self, *expressions, fields=(), name: str | None = None, condition: Q | None = None, deferrable=None, include=None, opclasses=(), violation_error_message=None, nulls_distinct=None):
        if not name:
            raise ValueError("A unique constraint must be named.")
        if not expressions and not fields:
            raise ValueError("At least one field or expression is required to define a unique constraint.")
        if expressions and fields:
            raise ValueError("UniqueConstraint.fields and expressions are mutually exclusive.")
        if expressions and deferrable is not None:
            raise ValueError(f"UniqueConstraint {name!r}: a constraint with expressions cannot be deferred.")
        if expressions and opclasses:
            raise ValueError("UniqueConstraint.opclasses cannot be used with expressions.")
        if not isinstance(opclasses, (list, tuple)):
            raise TypeError("UniqueConstraint.opclasses must be a list or tuple.")
        if opclasses and len(fields) != len(opclasses):
            raise ValueError(
                "UniqueConstraint.fields and UniqueConstraint.opclasses must have the same number of elements."
            )
        if condition is not None and not isinstance(condition, Q):
            raise ValueError("UniqueConstraint.condition must be a Q instance.")
        if deferrable is not None and not isinstance(deferrable, Deferrable):
            raise TypeError(
                f"UniqueConstraint {name!r}: deferrable must be orm.Deferrable.DEFERRED or "
                f"orm.Deferrable.IMMEDIATE, got {deferrable!r}"
            )
        if deferrable is not None and condition is not None:
            raise ValueError(
                f"UniqueConstraint {name!r}: a constraint with a condition cannot be deferred "
                "(it is a partial unique index); drop deferrable or the condition"
            )
        super().__init__(name=name, violation_error_message=violation_error_message)
        self.fields = tuple(fields)
        self.expressions = _field_expressions(expressions)
        self.condition = condition
        self.deferrable = deferrable

    @property
    def contains_expressions(self) -> bool:
        """Whether this constraint is on expressions."""
        return bool(self.expressions)

    def __repr__(self) -> str:
        deferrable = f" deferrable={self.deferrable!r}" if self.deferrable is not None else ""
        parts = f"expressions={self.expressions!r}" if self.expressions else f"fields={self.fields!r}"
        return f"<UniqueConstraint: {parts} name={self.name!r}{deferrable}>"

    def deconstruct(self):
        kwargs: dict[str, Any] = {"name": self.name}
        if self.fields:
            kwargs = {"fields": list(self.fields), **kwargs}
        if self.condition is not None:
            kwargs["condition"] = self.condition
        if self.deferrable is not None:
            kwargs["deferrable"] = self.deferrable
        return "orm.UniqueConstraint", tuple(self.expressions), kwargs

    def to_schema(self, model, connection):
        from backends.schema import Constraint

        opts = model._meta
        condition_sql = compile_condition(model, self.condition, connection) if self.condition is not None else None
        if self.expressions:
            # The order of a key part does not change what is unique.
            expressions, _orders = _expressions_sql(model, self.expressions, connection)
            return Constraint(self.name, "unique", (), None, condition_sql, None, None, expressions)
        columns = tuple(opts.get_field(name).column for name in self.fields)
        deferrable = self.deferrable.value if self.deferrable is not None else None
        return Constraint(
            name=self.name, kind="unique", columns=columns, condition_sql=condition_sql, deferrable=deferrable
        )

    def validate(self, model, instance, exclude=None) -> None:
        """Raise ValidationError when another row has the same values (of the fields or expressions).

        As Django: a query annotates each expression and filters it equal to the
        expression over ``instance``'s values (or filters the fields equal to
        theirs); a constraint on an excluded field is not checked, nor one whose
        condition ``instance`` does not meet, nor fields holding NULL.
        Constraints on ``fields`` without a condition are checked by
        ``validate_unique()``.
        """
        if not self.expressions and self.condition is None:
            return
        from orm.query.python_lookups import UnsupportedInPython, evaluate_q
        from orm.routers import router

        referenced = set(self.fields) | referenced_fields((*self.expressions, self.condition))
        if exclude and referenced & set(exclude):
            return
        values = _instance_values(model, instance, exclude)
        if any(name not in values for name in referenced):
            return  # a value only the database knows (its default)
        if self.condition is not None:
            try:
                if evaluate_q(self.condition, values) is not True:
                    return
            except UnsupportedInPython:
                return
        queryset = model._base_manager.using(instance._state.db or router.db_for_read(model, instance=instance))
        if self.fields:
            if any(values[name] is None for name in self.fields):
                return  # NULLs never collide
            queryset = queryset.filter(**{name: values[name] for name in self.fields})
        else:
            queryset = self._filter_expressions(model, queryset, values)
        if self.condition is not None:
            queryset = queryset.filter(self.condition)
        if not instance._state.adding and instance.pk is not None:
            queryset = queryset.exclude(pk=instance.pk)
        if queryset.exists():
            raise ValidationError(self.violation_error_message % {"name": self.name})

    def _filter_expressions(self, model, queryset, values: dict[str, Any]):
        """``queryset`` narrowed to rows whose expressions equal those over ``values``."""
        from orm.query.expressions import F, OrderBy, Value

        replacements = {
            F(name): Value(values[name], output_field=model._meta.get_field(name))
            for name in referenced_fields(self.expressions)
        }
        annotations, lookups = {}, {}
        for position, expression in enumerate(self.expressions):
            if isinstance(expression, OrderBy):
                expression = expression.expression
            alias = f"_unique_expression_{position}"
            annotations[alias] = expression
            lookups[alias] = _replaced(expression, replacements)
        return queryset.annotate(**annotations).filter(**lookups)


def referenced_fields(node: Any) -> set[str]:
    """The field names an expression, a ``Q`` or a sequence of them refers to (before any ``__``)."""
    from orm.query.expressions import F

    if node is None:
        return set()
    if isinstance(node, (list, tuple)):
        return set().union(*(referenced_fields(item) for item in node))
    if isinstance(node, F):
        return {node.name.split("__", 1)[0]}
    if isinstance(node, Q):
        names: set[str] = set()
        for child in node.children:
            if isinstance(child, tuple):
                names.add(child[0].split("__", 1)[0])
                names |= referenced_fields(child[1]) if hasattr(child[1], "resolve_expression") else set()
            else:
                names |= referenced_fields(child)
        return names
    names = set()
    for source in getattr(node, "get_source_expressions", list)():
        names |= referenced_fields(source)
    return names


def _replaced(expression: Any, replacements: dict) -> Any:
    """A copy of ``expression`` with each ``F`` in ``replacements`` swapped for its value."""
    from orm.query.expressions import F

    if isinstance(expression, F):
        return replacements.get(expression, expression)
    sources: list = getattr(expression, "get_source_expressions", list)()
    if not sources:
        return expression
    clone = expression.copy()
    clone.set_source_expressions([_replaced(source, replacements) if source is not None else None for source in sources])
    return clone


def _instance_values(model, instance, exclude) -> dict[str, Any]:
    """``{name and attname: value}`` of ``instance``'s concrete fields, as the database will see them.

    Excluded fields are left out, and so are those the database fills in with
    an expression (their value is not known yet).
    """
    from orm.fields.base import DatabaseDefault

    values = {}
    for field in model._meta.concrete_fields:
        if exclude and (field.name in exclude or field.attname in exclude):
            continue
        value = getattr(instance, field.attname)
        if value is DatabaseDefault:
            if hasattr(field.db_default, "resolve_expression"):
                continue
            value = field.db_default
        values[field.attname] = values[field.name] = value
    return values


class CheckConstraint(BaseConstraint):
    """A CHECK constraint: ``CheckConstraint(condition=Q(price__gte=0), name="price_positive")``."""

    def __init__(self, *, condition: Q | None = None, name: str, check: Q | None = None, violation_error_message=None):
        condition = condition if condition is not None else check
        if condition is None or not getattr(condition, "conditional", False):
            raise TypeError("CheckConstraint.condition must be a Q instance or boolean expression.")
        super().__init__(name=name, violation_error_message=violation_error_message)
        self.condition = condition

    @property
    def check(self):
        return self.condition

    def __repr__(self) -> str:
        return f"<CheckConstraint: condition={self.condition!r} name={self.name!r}>"

    def deconstruct(self):
        return "orm.CheckConstraint", (), {"condition": self.condition, "name": self.name}

    def to_schema(self, model, connection):
        from backends.schema import Constraint

        return Constraint(name=self.name, kind="check", check_sql=compile_condition(model, self.condition, connection))

    def validate(self, model, instance, exclude=None) -> None:
        """Raise ValidationError when ``instance`` breaks the condition (checked in Python when possible)."""
        from orm.query.python_lookups import UnsupportedInPython, evaluate_q

        # As Django: a condition on an excluded field is not checked.
        values = _instance_values(model, instance, exclude)
        try:
            ok = evaluate_q(self.condition, values)
        except UnsupportedInPython:
            return
        if ok is False:
            raise ValidationError(self.violation_error_message % {"name": self.name})
