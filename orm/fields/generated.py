"""``GeneratedField``: a column the database computes from the row's other columns (Django 5.0)."""

from __future__ import annotations

from typing import Any, Callable

from orm.fields.base import NOT_PROVIDED, Field

__all__ = ["GeneratedField"]


class GeneratedField(Field):
    """``GENERATED ALWAYS AS (expression)``: read-only, stored (``db_persist=True``) or virtual.

    The value comes from the database: the field is left out of INSERT and
    UPDATE, and after ``save()`` it is read back (RETURNING) where the backend
    can, else deferred and loaded on first access. ``output_field`` gives the
    column type and the Python value; ``expression`` may use the model's own
    columns only (``F("price") * F("quantity")``, ``Lower("name")``, ...).
    """

    generated = True
    db_returning = True

    def __init__(self, *, expression: Any, output_field: Field, db_persist: bool, **kwargs: Any):
        if kwargs.setdefault("editable", False):
            raise ValueError("GeneratedField cannot be editable: the database computes its value.")
        if not kwargs.setdefault("blank", True):
            raise ValueError("GeneratedField must be blank: the database computes its value.")
        if kwargs.get("default", NOT_PROVIDED) is not NOT_PROVIDED:
            raise ValueError("GeneratedField cannot have a default: the database computes its value.")
        if kwargs.get("db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            raise ValueError(
                "GeneratedField cannot have a database default: the database computes its value."
            )
        if db_persist not in (True, False):
            raise ValueError("GeneratedField.db_persist must be True (stored) or False (virtual).")
        if not hasattr(expression, "resolve_expression"):
            raise TypeError(
                f"GeneratedField.expression must be an expression (F, Value, a function...), "
                f"got {expression!r}"
            )
        if not isinstance(output_field, Field) or output_field.is_relation or output_field.generated:
            raise TypeError(
                f"GeneratedField.output_field must be a plain field instance such as "
                f"orm.IntegerField(), got {output_field!r}"
            )
        self.expression = expression
        self.output_field = output_field
        self.db_persist = db_persist
        super().__init__(**kwargs)

    def check(self) -> list[str]:
        problems = super().check()
        if self.primary_key:
            problems.append(f"{self}: a GeneratedField cannot be the primary key")
        # The output field is unbound: its messages start with its missing name.
        unnamed = f"{self.output_field}: "
        problems.extend(
            f"{self}: output_field: {problem.removeprefix(unnamed)}"
            for problem in self.output_field.check()
        )
        return problems

    def deconstruct(self) -> tuple[str | None, str, list, dict]:
        name, path, args, kwargs = super().deconstruct()
        del kwargs["blank"], kwargs["editable"]
        kwargs["expression"] = self.expression
        kwargs["output_field"] = self.output_field
        kwargs["db_persist"] = self.db_persist
        return name, path, args, kwargs

    def get_default(self) -> Any:
        """``None``: a new instance has no value until the database computes it."""
        return None

    # -- values: those of output_field ---------------------------------------------

    def get_internal_type(self) -> str:
        return self.output_field.get_internal_type()

    def to_python(self, value: Any) -> Any:
        return self.output_field.to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        return self.output_field.get_prep_value(value)

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        return self.output_field.get_db_prep_value(value, connection, prepared)

    def get_db_adapter(self, connection) -> Callable | None:
        return self.output_field.get_db_adapter(connection)

    def from_db_converter(self, connection) -> Callable | None:
        return self.output_field.from_db_converter(connection)

    # -- schema -------------------------------------------------------------------

    def db_params(self) -> dict[str, Any]:
        return {**self.output_field.db_params(), "column": self.column}

    def db_check(self, connection) -> str | None:
        # A generated column holds what its expression gives: no CHECK of the output type.
        return None

    def generated_sql(self, connection) -> str:
        """The expression as SQL over this model's columns (no table alias), values inlined."""
        from orm.indexes import compile_expression

        if self.model is None:
            raise ValueError(f"GeneratedField {self.name!r} is not bound to a model yet")
        return compile_expression(self.model, self.expression, connection)

    def column_description(self, connection, *, references=None):
        """The generated column as ``backends.schema.Column``."""
        from backends.schema import Column

        return Column(
            self.column,
            self.db_type(connection),
            self.null,
            False,
            False,
            self.unique,
            generated_sql=self.generated_sql(connection),
            generated_stored=self.db_persist,
        )
