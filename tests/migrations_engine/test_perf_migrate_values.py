"""The schema description values built at once (`backends.schema._built_at_once`).

``migrate`` builds one `Column` per column, one `Index` per index, one
`ForeignKeyRef` per foreign key and one `Table` per table; their ``__init__``
sets the instance dict in one step instead of calling ``object.__setattr__``
per field. They must behave exactly as the frozen dataclasses they are:
same signature and defaults, equality, hashing, repr, frozen, ``replace``,
copies and pickles.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from backends.schema import NOT_PROVIDED, Column, Constraint, ForeignKeyRef, Index, Table

VALUES = [ForeignKeyRef, Column, Index, Constraint, Table]


def _reference_class(cls: type) -> type:
    """A plain frozen dataclass with the same fields (dataclasses' own ``__init__``)."""
    fields = [
        (field.name, field.type, dataclasses.field(default=field.default))
        if field.default is not dataclasses.MISSING else (field.name, field.type)
        for field in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True)


@pytest.mark.parametrize("cls", VALUES, ids=lambda cls: cls.__name__)
def test_signature_is_the_dataclass_one(cls):
    reference = _reference_class(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(reference))


def _examples():
    reference = ForeignKeyRef("author", "id", deferrable=True)
    column = Column("author_id", "integer", null=False, references=reference)
    return [
        (ForeignKeyRef, ("author", "id"), {}),
        (ForeignKeyRef, ("author", "id"), {"deferrable": True, "on_delete": "CASCADE"}),
        (Column, ("name", "varchar(100)"), {}),
        (Column, ("count", "integer", False, False, False, True, 0, None, '"count" >= 0'), {}),
        (Column, (), {"name": "author_id", "type": "integer", "null": False, "references": reference}),
        (Column, ("note", "text"), {"default": None, "db_default_sql": "''"}),
        (Index, ("book_title_idx", ("title",)), {}),
        (Index, ("book_x", ("a", "b")), {"unique": True, "condition_sql": "a > 0", "orders": ("ASC", "DESC")}),
        (Constraint, ("uniq", "unique", ("a", "b")), {}),
        (Constraint, ("fk", "foreign_key", ("author_id",)), {"references": reference}),
        (Table, ("book", (column,)), {}),
        (Table, ("book", (column,), (Index("i", ("author_id",)),), ()), {}),
    ]


@pytest.mark.parametrize("cls, args, kwargs", _examples())
def test_values_equal_the_plain_dataclass(cls, args, kwargs):
    value = cls(*args, **kwargs)
    expected = _reference_class(cls)(*args, **kwargs)
    assert dataclasses.asdict(value) == dataclasses.asdict(expected)
    assert repr(value) == repr(expected)
    assert value == cls(*args, **kwargs)
    assert hash(value) == hash(cls(*args, **kwargs))
    assert copy.copy(value) == value and copy.deepcopy(value) == value
    assert pickle.loads(pickle.dumps(value)) == value
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.name = "other"  # type: ignore[misc]
    first = dataclasses.fields(cls)[0].name
    changed = dataclasses.replace(value, **{first: "renamed"})
    assert getattr(changed, first) == "renamed" and getattr(value, first) != "renamed"


def test_defaults_are_the_declared_ones():
    column = Column("c", "text")
    assert (column.null, column.primary_key, column.unique, column.default, column.references) == (
        True, False, False, NOT_PROVIDED, None
    )
    assert Index("i", ("c",)).orders == ()


def test_wrong_arguments_fail_as_before():
    with pytest.raises(TypeError):
        Column("c")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Column("c", "text", nonsense=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Index("i", ("c",), False, None, (), (), "extra")  # type: ignore[call-arg]
