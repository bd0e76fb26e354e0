"""Field classes of a project's own: subclasses of built-in fields, and fields with their own column type."""

from __future__ import annotations

import orm


class LowerCaseField(orm.CharField):
    """Stores its text in lower case."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.lower() if isinstance(value, str) else value


class ColourField(orm.Field):
    """A seven-character '#rrggbb' colour in a column type of its own."""

    def db_type(self, connection):
        return "char(7)"


class CfThing(orm.Model):
    code = LowerCaseField(max_length=10)
    colour = ColourField(null=True)
    count = orm.IntegerField(default=0)

    class Meta:
        app_label = "customfields"


MODELS = [CfThing]


def test_a_subclass_of_a_built_in_field_stores_as_it(models_db):
    field = CfThing._meta.get_field("code")
    assert field.get_internal_type() == "CharField"
    CfThing.objects.create(code="ABC", colour="#ff0000")
    assert CfThing.objects.get(code="Abc").code == "abc"
    assert list(CfThing.objects.values_list("colour", flat=True)) == ["#ff0000"]


def test_the_introspected_columns_have_the_declared_types(models_db):
    connection = orm.connections["default"]
    columns = {column.name: column.type.lower() for column in connection.introspection.get_columns(CfThing._meta.db_table)}
    assert "char" in columns["colour"] and "7" in columns["colour"]
    assert "char" in columns["code"] and "10" in columns["code"]
