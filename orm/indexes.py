"""``orm.Index``, ``orm.UniqueConstraint`` and ``orm.CheckConstraint`` for ``Meta``."""

from __future__ import annotations

import enum
import hashlib
from typing import Any

from orm.exceptions import FieldError, ValidationError
from orm.query.q import Q

__all__ = ["Deferrable", "Index", "UniqueConstraint", "CheckConstraint", "BaseConstraint", "compile_condition", "compile_expression", "default_index_name"]

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


class Index:
    """An index on fields (``"-name"`` for descending), optionally partial (``condition=Q(...)``)."""

    suffix = "idx"

    def __init__(self, *, fields=(), name: str | None = None, condition: Q | None = None, db_tablespace=None, opclasses=(), include=None):
        if not isinstance(fields, (list, tuple)):
            raise ValueError("Index.fields must be a list or tuple.")
        if not fields:
            raise ValueError("At least one field is required to define an index.")
        if condition is not None and not name:
            raise ValueError("An index must be named to use condition.")
        self.fields = list(fields)
        self.name = name or ""
        self.condition = condition
        self.field_names = [field.lstrip("-") for field in self.fields]
        self.orders = ["DESC" if field.startswith("-") else "ASC" for field in self.fields]

    def __repr__(self) -> str:
        return f"<Index: fields={self.fields!r} name={self.name!r}{' condition=' + repr(self.condition) if self.condition else ''}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Index) and self.deconstruct() == other.deconstruct()

    def __hash__(self) -> int:
        return hash(self.name)

    def deconstruct(self) -> tuple[str, tuple, dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": list(self.fields), "name": self.name}
        if self.condition is not None:
            kwargs["condition"] = self.condition
        return "orm.Index", (), kwargs

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
        columns = tuple(opts.get_field(name).column for name in self.field_names)
        condition_sql = compile_condition(model, self.condition, connection) if self.condition is not None else None
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
        return type(self) is type(other) and self.deconstruct() == other.deconstruct()

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
    """

    def __init__(self, *, fields=(), name: str, condition: Q | None = None, deferrable=None, include=None, violation_error_message=None, nulls_distinct=None):
        if not fields:
            raise ValueError("UniqueConstraint.fields must name at least one field.")
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
        self.condition = condition
        self.deferrable = deferrable

    def __repr__(self) -> str:
        deferrable = f" deferrable={self.deferrable!r}" if self.deferrable is not None else ""
        return f"<UniqueConstraint: fields={self.fields!r} name={self.name!r}{deferrable}>"

    def deconstruct(self):
        kwargs: dict[str, Any] = {"fields": list(self.fields), "name": self.name}
        if self.condition is not None:
            kwargs["condition"] = self.condition
        if self.deferrable is not None:
            kwargs["deferrable"] = self.deferrable
        return "orm.UniqueConstraint", (), kwargs

    def to_schema(self, model, connection):
        from backends.schema import Constraint

        opts = model._meta
        columns = tuple(opts.get_field(name).column for name in self.fields)
        condition_sql = compile_condition(model, self.condition, connection) if self.condition is not None else None
        deferrable = self.deferrable.value if self.deferrable is not None else None
        return Constraint(
            name=self.name, kind="unique", columns=columns, condition_sql=condition_sql, deferrable=deferrable
        )


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
        from orm.fields.base import DatabaseDefault
        from orm.query.python_lookups import UnsupportedInPython, evaluate_q

        values = {}
        for field in model._meta.concrete_fields:
            if exclude and (field.name in exclude or field.attname in exclude):
                continue  # as Django: a condition on an excluded field is not checked
            value = getattr(instance, field.attname)
            if value is DatabaseDefault:
                # The database fills it in: its db_default when that is a plain value, else unknown.
                if hasattr(field.db_default, "resolve_expression"):
                    continue
                value = field.db_default
            values[field.attname] = values[field.name] = value
        try:
            ok = evaluate_q(self.condition, values)
        except UnsupportedInPython:
            return
        if ok is False:
            raise ValidationError(self.violation_error_message % {"name": self.name})
