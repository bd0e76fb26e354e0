"""Every field type of SPEC §3 round-trips through save and load on every backend."""

from __future__ import annotations

import datetime
import decimal
import uuid
import warnings

import pytest

import orm

UTC = datetime.timezone.utc


def next_code():
    next_code.counter += 1
    return f"code-{next_code.counter}"


next_code.counter = 0


class Everything(orm.Model):
    char = orm.CharField(max_length=50, default="hello")
    text = orm.TextField(blank=True, default="")
    slug = orm.SlugField(default="a-slug")
    email = orm.EmailField(default="a@example.com")
    url = orm.URLField(default="https://example.com/")
    integer = orm.IntegerField(default=0)
    big = orm.BigIntegerField(default=0)
    small = orm.SmallIntegerField(default=0)
    positive = orm.PositiveIntegerField(default=0)
    positive_small = orm.PositiveSmallIntegerField(default=0)
    positive_big = orm.PositiveBigIntegerField(default=0)
    floating = orm.FloatField(default=0.0)
    amount = orm.DecimalField(max_digits=10, decimal_places=2, default=decimal.Decimal("0"))
    flag = orm.BooleanField(default=False)
    day = orm.DateField(null=True)
    moment = orm.DateTimeField(null=True)
    clock = orm.TimeField(null=True)
    span = orm.DurationField(null=True)
    ident = orm.UUIDField(default=uuid.uuid4)
    data = orm.JSONField(null=True)
    blob = orm.BinaryField(null=True)
    address = orm.GenericIPAddressField(null=True)
    code = orm.CharField(max_length=20, default=next_code)
    status = orm.CharField(max_length=5, choices=[("d", "Draft"), ("p", "Published")], default="d")
    created = orm.DateTimeField(auto_now_add=True)
    updated = orm.DateTimeField(auto_now=True)
    stamped = orm.IntegerField(db_default=42)

    class Meta:
        app_label = "fieldtests"


class SmallKey(orm.Model):
    id = orm.SmallAutoField(primary_key=True)
    name = orm.CharField(max_length=10)

    class Meta:
        app_label = "fieldtests"


class PlainAutoKey(orm.Model):
    id = orm.AutoField(primary_key=True)
    name = orm.CharField(max_length=10)

    class Meta:
        app_label = "fieldtests"


class UUIDKey(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    name = orm.CharField(max_length=10)

    class Meta:
        app_label = "fieldtests"


MODELS = [Everything, SmallKey, PlainAutoKey, UUIDKey]


@pytest.fixture(autouse=True)
def _tables(models_db):
    yield


def test_defaults_fill_every_field_and_survive_a_reload():
    obj = Everything.objects.create()
    assert obj.pk is not None
    loaded = Everything.objects.get(pk=obj.pk)
    assert loaded.char == "hello"
    assert loaded.text == ""
    assert loaded.amount == decimal.Decimal("0.00")
    assert str(loaded.amount) == "0.00"
    assert type(loaded.amount) is decimal.Decimal
    assert loaded.flag is False
    assert isinstance(loaded.ident, uuid.UUID) and loaded.ident == obj.ident
    assert loaded.code == obj.code and loaded.code.startswith("code-")
    assert loaded.stamped == 42
    assert loaded.day is None and loaded.moment is None and loaded.data is None
    assert loaded.blob is None and loaded.address is None and loaded.span is None


def test_callable_default_runs_once_per_instance():
    first, second = Everything(), Everything()
    assert first.code != second.code
    assert first.ident != second.ident


def test_every_value_round_trips():
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    values = dict(
        char="ünïcødé ' \" %s",
        text="long " * 200,
        slug="my-slug",
        email="x@y.org",
        url="https://example.org/a?b=c",
        integer=-2147483648,
        big=9223372036854775807,
        small=-32768,
        positive=2147483647,
        positive_small=32767,
        positive_big=9223372036854775807,
        floating=1.5e-10,
        amount=decimal.Decimal("12345678.91"),
        flag=True,
        day=datetime.date(1999, 12, 31),
        moment=moment,
        clock=datetime.time(23, 59, 58, 999000),
        span=datetime.timedelta(days=3, seconds=7, microseconds=11),
        ident=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        data={"a": [1, 2, {"b": None, "c": "ß"}], "n": 1.5, "t": True},
        blob=b"\x00\x01\xff binary",
        address="2001:db8::1",
        status="p",
    )
    obj = Everything.objects.create(**values)
    loaded = Everything.objects.get(pk=obj.pk)
    for name, value in values.items():
        got = getattr(loaded, name)
        assert got == value, name
        assert type(got) is type(value), name
    assert loaded.moment.tzinfo is not None
    assert loaded.get_status_display() == "Published"


def test_decimal_comes_back_quantized_to_decimal_places():
    obj = Everything.objects.create(amount=decimal.Decimal("3"))
    loaded = Everything.objects.get(pk=obj.pk)
    assert str(loaded.amount) == "3.00"
    assert str(Everything.objects.values_list("amount", flat=True).get(pk=obj.pk)) == "3.00"
    obj.amount = decimal.Decimal("1.005")
    obj.save()
    obj.refresh_from_db()
    assert obj.amount in (decimal.Decimal("1.00"), decimal.Decimal("1.01"))
    assert obj.amount.as_tuple().exponent == -2


def test_datetime_is_stored_in_utc_and_returned_aware():
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    obj = Everything.objects.create(moment=datetime.datetime(2024, 1, 1, 12, 0, tzinfo=plus_two))
    loaded = Everything.objects.get(pk=obj.pk)
    assert loaded.moment == datetime.datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert loaded.moment.utcoffset() == datetime.timedelta(0)
    assert Everything.objects.filter(moment__hour=10).count() == 1


def test_naive_datetime_is_taken_as_utc_with_a_warning():
    with pytest.warns(orm.NaiveDateTimeWarning, match="moment"):
        obj = Everything.objects.create(moment=datetime.datetime(2024, 1, 1, 12, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = Everything.objects.get(pk=obj.pk)
    assert loaded.moment == datetime.datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_auto_now_and_auto_now_add():
    obj = Everything.objects.create()
    created, updated = obj.created, obj.updated
    assert created is not None and created.tzinfo is not None
    obj.char = "changed"
    obj.save()
    obj.refresh_from_db()
    assert obj.created == created
    assert obj.updated >= updated


def test_queryset_update_also_sets_auto_now_unless_assigned():
    obj = Everything.objects.create()
    stale = datetime.datetime(2001, 1, 1, tzinfo=UTC)
    Everything.objects.filter(pk=obj.pk).update(updated=stale)  # assigned: kept as given
    assert Everything.objects.get(pk=obj.pk).updated == stale
    Everything.objects.filter(pk=obj.pk).update(char="bulk")
    loaded = Everything.objects.get(pk=obj.pk)
    assert loaded.updated > stale and loaded.created == obj.created


def test_null_values_round_trip():
    obj = Everything.objects.create(day=None, moment=None, data=None, blob=None, address=None)
    assert Everything.objects.filter(day__isnull=True, data=None, pk=obj.pk).exists()


def test_db_default_is_filled_by_the_database():
    obj = Everything.objects.create()
    assert obj.stamped == 42
    explicit = Everything.objects.create(stamped=7)
    assert Everything.objects.get(pk=explicit.pk).stamped == 7


def test_choices_display_falls_back_to_the_value():
    obj = Everything(status="zz")
    assert obj.get_status_display() == "zz"
    assert Everything(status="d").get_status_display() == "Draft"


def test_ip_addresses_are_normalised():
    obj = Everything.objects.create(address="2001:0DB8:0000:0000:0000:0000:0000:0001")
    assert Everything.objects.get(pk=obj.pk).address == "2001:db8::1"
    v4 = Everything.objects.create(address="192.168.0.1")
    assert Everything.objects.filter(address="192.168.0.1").get().pk == v4.pk


def test_nested_json_round_trips_and_key_paths_filter():
    Everything.objects.create(data={"owner": {"name": "x", "tags": ["a", "b"]}, "k": 1})
    Everything.objects.create(data={"owner": {"name": "y"}})
    assert Everything.objects.filter(data__owner__name="x").count() == 1
    assert Everything.objects.filter(data__has_key="k").count() == 1
    got = Everything.objects.get(data__owner__name="x").data
    assert got == {"owner": {"name": "x", "tags": ["a", "b"]}, "k": 1}


def test_other_primary_key_types():
    small = SmallKey.objects.create(name="s")
    plain = PlainAutoKey.objects.create(name="p")
    keyed = UUIDKey.objects.create(name="u")
    assert isinstance(small.pk, int) and isinstance(plain.pk, int)
    assert SmallKey.objects.get(pk=small.pk).name == "s"
    assert PlainAutoKey.objects.get(pk=plain.pk).name == "p"
    loaded = UUIDKey.objects.get(pk=keyed.pk)
    assert isinstance(loaded.pk, uuid.UUID) and loaded.pk == keyed.pk


def test_durations_with_negative_and_large_values():
    for span in (
        datetime.timedelta(0),
        datetime.timedelta(days=-1, seconds=5),
        datetime.timedelta(days=9999),
    ):
        obj = Everything.objects.create(span=span)
        assert Everything.objects.get(pk=obj.pk).span == span


def test_deconstruct_keeps_only_non_default_kwargs():
    field = Everything._meta.get_field("amount")
    name, path, args, kwargs = field.deconstruct()
    assert (name, path, args) == ("amount", "orm.DecimalField", [])
    assert kwargs == {"max_digits": 10, "decimal_places": 2, "default": decimal.Decimal("0")}
    assert orm.CharField(max_length=5).deconstruct()[3] == {"max_length": 5}
