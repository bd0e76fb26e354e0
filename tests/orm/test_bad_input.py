"""Bad input (SPEC §10): clear errors before any SQL runs; hostile strings never executed."""

from __future__ import annotations

import datetime
import warnings

import pytest

import orm


class Profile(orm.Model):
    name = orm.CharField(max_length=10)
    age = orm.IntegerField(default=0)
    joined = orm.DateTimeField(null=True)

    class Meta:
        app_label = "badinput"


MODELS = [Profile]

HOSTILE = [
    "x'); DROP TABLE badinput_profile; --",
    'name" FROM badinput_profile; DROP TABLE badinput_profile; --',
    "`name`; DROP TABLE badinput_profile",
    "%s%s%(name)s",
    "name\x00",
    "name; SELECT 1",
    "1=1 OR name",
    "name--",
    "(SELECT 1)",
]


@pytest.fixture(autouse=True)
def _tables(models_db):
    Profile.objects.create(name="ann", age=3)
    yield


def assert_table_intact():
    assert Profile.objects.count() >= 1
    assert orm.connections["default"].introspection.has_table("badinput_profile")


def test_unknown_field_names_the_model_the_part_and_close_choices():
    with pytest.raises(orm.FieldError) as caught:
        Profile.objects.filter(nmae="x")
    message = str(caught.value)
    assert "Profile" in message and "nmae" in message
    assert message.index("name") < message.index("age")


def test_unknown_lookup_names_the_lookup_and_suggests():
    with pytest.raises(orm.FieldError) as caught:
        Profile.objects.filter(name__icontain="x")
    message = str(caught.value)
    assert "icontain" in message and "icontains" in message and "Profile" in message


def test_wrong_value_types_fail_before_sql():
    with orm.capture_queries() as queries:
        with pytest.raises((orm.ValidationError, TypeError)) as caught:
            list(Profile.objects.filter(age="abc"))
        assert "age" in str(caught.value)
        with pytest.raises((orm.ValidationError, TypeError)) as caught:
            Profile(name="x", age="abc").save()
        assert "age" in str(caught.value)
        with pytest.raises((orm.ValidationError, TypeError)) as caught:
            Profile.objects.create(name="x", joined="not a date")
        assert "joined" in str(caught.value)
        with pytest.raises(orm.ValidationError) as caught:
            Profile(name="x" * 11).full_clean()
        assert "name" in caught.value.message_dict
    assert len(queries) == 0


def test_naive_datetime_warns_naming_the_field():
    with pytest.warns(orm.NaiveDateTimeWarning, match="joined"):
        Profile.objects.filter(joined__lt=datetime.datetime(2020, 1, 1)).count()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Profile.objects.filter(
            joined__lt=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
        ).count()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_values_are_data(text):
    text = text.replace("\x00", "")
    obj = Profile.objects.create(name=text[:10])
    assert Profile.objects.get(pk=obj.pk).name == text[:10]
    assert Profile.objects.filter(name=text).count() == (1 if len(text) <= 10 else 0)
    assert Profile.objects.filter(name__contains=text).count() in (0, 1)
    Profile.objects.filter(pk=obj.pk).update(name=text[:10])
    assert_table_intact()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_are_rejected_as_unknown_fields(text):
    with orm.capture_queries() as queries:
        with pytest.raises(orm.FieldError):
            list(Profile.objects.order_by(text))
        with pytest.raises(orm.FieldError):
            list(Profile.objects.order_by(f"-{text}"))
        with pytest.raises(orm.FieldError):
            list(Profile.objects.values(text))
        with pytest.raises(orm.FieldError):
            list(Profile.objects.values_list(text))
        with pytest.raises(orm.FieldError):
            Profile.objects.filter(**{text: 1})
        with pytest.raises(orm.FieldError):
            Profile.objects.exclude(**{text: 1})
        with pytest.raises(orm.FieldError):
            Profile.objects.only(text)
        with pytest.raises((orm.FieldError, TypeError, ValueError)):
            Profile.objects.update(**{text: 1})
        with pytest.raises(TypeError):
            Profile(**{text: 1})
        with pytest.raises(orm.FieldError):
            Profile.objects.aggregate(orm.Sum(text))
    assert len(queries) == 0
    assert_table_intact()
