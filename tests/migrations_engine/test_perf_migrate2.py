"""CreateModel's leaner constructor keeps what it stores and what it rejects."""

from __future__ import annotations

import pytest

import orm
from migrations_engine import migrations


def test_create_model_normalises_its_arguments_as_before():
    fields = {"id": orm.BigAutoField(primary_key=True), "name": orm.CharField(max_length=5)}
    for options, bases, managers in [
        (None, None, None),
        ({}, (), []),
        ({"ordering": ["name"]}, ["orm.Model"], [("objects", orm.Manager())]),
    ]:
        operation = migrations.CreateModel("Thing", fields, options, bases, managers)
        assert operation.fields == list(fields.items())
        assert operation.options == dict(options or {}) and operation.options is not options
        assert operation.bases == tuple(bases or ("orm.Model",))
        assert operation.managers == list(managers or []) and operation.managers is not managers
    listed = [("a", orm.IntegerField()), ("b", orm.IntegerField())]
    operation = migrations.CreateModel(name="Pair", fields=listed)
    assert operation.fields == listed and operation.fields is not listed
    assert operation.deconstruct() == ("CreateModel", [], {"name": "Pair", "fields": listed})


def test_create_model_still_rejects_duplicates_and_bad_entries():
    field = orm.IntegerField()
    with pytest.raises(ValueError, match=r"duplicate field name\(s\) \['a'\]"):
        migrations.CreateModel("Twice", [("a", field), ("b", field), ("a", field)])
    with pytest.raises(ValueError):
        migrations.CreateModel("Bad", [("a", field, "extra")])
