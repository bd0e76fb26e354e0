"""``orm.GeneratedField``: columns computed by the database, on the three backends."""

from __future__ import annotations

import pytest

import orm

from .conftest import create_tables


class GenItem(orm.Model):
    name = orm.CharField(max_length=30)
    code = orm.CharField(max_length=10, default="x")
    price = orm.IntegerField()
    quantity = orm.IntegerField(default=1)
    total = orm.GeneratedField(
        expression=orm.F("price") * orm.F("quantity"),
        output_field=orm.IntegerField(),
        db_persist=True,
    )
    label = orm.GeneratedField(
        expression=orm.Concat(orm.Lower("name"), orm.Value("-"), "code"),
        output_field=orm.CharField(max_length=50),
        db_persist=True,
        null=True,
    )

    class Meta:
        app_label = "genfield"


class GenVirtual(orm.Model):
    price = orm.IntegerField()
    doubled = orm.GeneratedField(
        expression=orm.F("price") * 2, output_field=orm.BigIntegerField(), db_persist=False
    )

    class Meta:
        app_label = "genfield"


MODELS = [GenItem]


def test_generated_values_after_create_and_save(models_db, vendor):
    item = GenItem.objects.create(name="Pen", price=3, quantity=2)
    if vendor == "mysql":
        # No RETURNING: deferred, loaded on first access (as Django on MySQL/MariaDB).
        assert {"total", "label"} <= item.get_deferred_fields()
    else:
        assert "total" not in item.get_deferred_fields()
    assert item.total == 6
    assert item.label == "pen-x"
    item.quantity = 5
    item.name = "PENCIL"
    item.save()
    assert item.total == 15
    assert item.label == "pencil-x"
    fresh = GenItem.objects.get(pk=item.pk)
    assert (fresh.total, fresh.label) == (15, "pencil-x")


def test_generated_field_left_out_of_insert_and_update(models_db):
    item = GenItem(name="a", price=2, quantity=2)
    item.total = 999  # ignored: the database computes it
    with orm.capture_queries() as queries:
        item.save()
    insert = queries[0]
    assert '"total"' not in insert.sql.replace("`", '"').split("VALUES")[0]
    assert 999 not in list(insert.params or ())
    assert GenItem.objects.get(pk=item.pk).total == 4
    item.total = 999
    item.save()
    assert GenItem.objects.get(pk=item.pk).total == 4
    item.save(update_fields=["total"])  # nothing to write (as Django): the row is untouched
    assert item.total == 4


def test_generated_field_filter_order_annotate_values(models_db):
    for name, price, quantity in [("b", 5, 1), ("a", 2, 4), ("c", 1, 1)]:
        GenItem.objects.create(name=name, price=price, quantity=quantity)
    assert list(GenItem.objects.filter(total__gte=5).order_by("-total").values_list("name", flat=True)) == [
        "a", "b",
    ]
    assert list(GenItem.objects.order_by("total", "name").values_list("name", "total")) == [
        ("c", 1), ("b", 5), ("a", 8),
    ]
    annotated = GenItem.objects.annotate(twice=orm.F("total") * 2).get(name="a")
    assert annotated.twice == 16
    assert GenItem.objects.aggregate(orm.Sum("total"))["total__sum"] == 14
    assert GenItem.objects.filter(label__startswith="b-").count() == 1
    assert GenItem.objects.filter(total=orm.F("price") * orm.F("quantity")).count() == 3


def test_generated_field_only_defer_refresh_and_bulk_create(models_db):
    created = GenItem.objects.bulk_create(
        [GenItem(name="x", price=2, quantity=3), GenItem(name="y", price=1, quantity=1)]
    )
    deferred = GenItem.objects.defer("total").get(name="x")
    assert "total" in deferred.get_deferred_fields()
    assert deferred.total == 6
    assert GenItem.objects.only("name").get(name="y").total == 1
    stored = GenItem.objects.get(name="x")
    GenItem.objects.filter(pk=stored.pk).update(price=10)
    stored.refresh_from_db()
    assert stored.total == 30
    if created[0].pk is not None:
        # bulk_create leaves generated values to be loaded on access.
        assert created[0].total == 30


def test_generated_field_cannot_be_written_by_queryset_update_or_bulk_update(models_db):
    item = GenItem.objects.create(name="a", price=1)
    with pytest.raises(orm.FieldError, match="GenItem.total is a GeneratedField"):
        GenItem.objects.update(total=3)
    with pytest.raises(ValueError, match="GenItem.total is a GeneratedField"):
        GenItem.objects.bulk_update([item], ["total"])
    with pytest.raises(ValueError, match="GenItem.total is a GeneratedField"):
        GenItem.objects.bulk_create(
            [GenItem(name="a", price=2)], update_conflicts=True, unique_fields=["id"], update_fields=["total"]
        )


def test_virtual_generated_field(orm_db, vendor):
    if vendor == "postgresql":
        # PostgreSQL 15 computes generated columns on write only.
        with pytest.raises(orm.NotSupportedError, match=r"virtual generated columns .*'doubled'.*db_persist=True"):
            create_tables(GenVirtual)
        assert "genfield_genvirtual" not in orm.connections["default"].introspection.table_names()
        return
    create_tables(GenVirtual)
    row = GenVirtual.objects.create(price=21)
    assert row.doubled == 42
    assert GenVirtual.objects.filter(doubled__gt=40).count() == 1
    row.price = 1
    row.save()
    assert row.doubled == 2


def test_generated_field_definition():
    field = GenItem._meta.get_field("total")
    assert field.generated and not field.editable and field.blank
    name, path, args, kwargs = field.deconstruct()
    assert path == "orm.GeneratedField"
    assert set(kwargs) == {"expression", "output_field", "db_persist"}
    assert kwargs["db_persist"] is True
    clone = field.clone()
    assert clone.expression == field.expression
    assert GenItem().total is None
    for bad in ({"default": 1}, {"db_default": 1}, {"editable": True}, {"blank": False}):
        with pytest.raises(ValueError, match="GeneratedField"):
            orm.GeneratedField(expression=orm.F("a"), output_field=orm.IntegerField(), db_persist=True, **bad)
    with pytest.raises(ValueError, match="db_persist"):
        orm.GeneratedField(expression=orm.F("a"), output_field=orm.IntegerField(), db_persist=None)
    with pytest.raises(TypeError, match="output_field"):
        orm.GeneratedField(expression=orm.F("a"), output_field=orm.IntegerField, db_persist=True)


def test_generated_field_expression_cannot_join():
    class GenParent(orm.Model):
        name = orm.CharField(max_length=10)

        class Meta:
            app_label = "genfield"

    class GenChild(orm.Model):
        parent = orm.ForeignKey(GenParent, on_delete=orm.CASCADE)
        upper = orm.GeneratedField(
            expression=orm.Upper("parent__name"), output_field=orm.CharField(max_length=10),
            db_persist=True,
        )

        class Meta:
            app_label = "genfield"

    import backends

    connection = backends.connect("sqlite:///:memory:")
    try:
        with pytest.raises(orm.FieldError, match="joined field references"):
            GenChild._meta.get_field("upper").generated_sql(connection)
    finally:
        connection.close()


def test_generated_field_output_field_and_primary_key_are_checked_at_class_creation():
    with pytest.raises(orm.ImproperlyConfigured, match=r"GenBadOutput.total: output_field: CharField requires max_length"):
        class GenBadOutput(orm.Model):
            price = orm.IntegerField()
            total = orm.GeneratedField(expression=orm.F("price"), output_field=orm.CharField(), db_persist=True)

            class Meta:
                app_label = "genfield"

    with pytest.raises(orm.ImproperlyConfigured, match="GenBadKey.total: a GeneratedField cannot be the primary key"):
        class GenBadKey(orm.Model):
            price = orm.IntegerField()
            total = orm.GeneratedField(
                expression=orm.F("price"), output_field=orm.IntegerField(), db_persist=True, primary_key=True
            )

            class Meta:
                app_label = "genfield"
