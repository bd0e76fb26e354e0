"""``orm.serializers``: Django's JSON fixture format, written and read back on every backend."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from contenttypes import ContentType, GenericForeignKey
from orm import serializers
from tests.orm.conftest import create_tables


class FixtureTag(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "fixtureapp"


class FixtureAuthor(orm.Model):
    name = orm.CharField(max_length=50)
    mentor = orm.ForeignKey("self", null=True, on_delete=orm.SET_NULL)

    class Meta:
        app_label = "fixtureapp"


class FixtureBook(orm.Model):
    author = orm.ForeignKey(FixtureAuthor, null=True, on_delete=orm.CASCADE)
    title = orm.CharField(max_length=100)
    subtitle = orm.CharField(max_length=100, null=True)
    published = orm.DateField(null=True)
    stamped = orm.DateTimeField(null=True)
    price = orm.DecimalField(max_digits=8, decimal_places=2, null=True)
    extra = orm.JSONField(null=True)
    code = orm.UUIDField(null=True)
    span = orm.DurationField(null=True)
    tags = orm.ManyToManyField(FixtureTag)

    class Meta:
        app_label = "fixtureapp"


class FixtureNote(orm.Model):
    text = orm.CharField(max_length=20)
    touched = orm.DateTimeField(auto_now=True)

    class Meta:
        app_label = "fixtureapp"


class FixtureTicket(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    holder = orm.ForeignKey("FixtureTicket", null=True, on_delete=orm.CASCADE)
    seats = orm.ManyToManyField(FixtureTag)

    class Meta:
        app_label = "fixtureapp"


class FixtureZone(orm.Model):
    head = orm.ForeignKey("FixtureCity", null=True, on_delete=orm.SET_NULL, related_name="+")

    class Meta:
        app_label = "fixtureapp"


class FixtureCity(orm.Model):
    zone = orm.ForeignKey(FixtureZone, on_delete=orm.CASCADE)

    class Meta:
        app_label = "fixtureapp"


MODELS = [ContentType, FixtureTag, FixtureAuthor, FixtureBook, FixtureNote, FixtureTicket]


@pytest.fixture
def fixture_db(models_db):
    connection = orm.connections["default"]
    with connection.schema_editor() as editor:
        for field in (FixtureBook._meta.get_field("tags"), FixtureTicket._meta.get_field("seats")):
            editor.create_table(field.junction_table_description(connection))
    yield models_db


def test_serialize_writes_djangos_format(fixture_db):
    ann = FixtureAuthor.objects.create(name="Ann")
    red = FixtureTag.objects.create(name="red")
    book = FixtureBook.objects.create(
        author=ann, title="One", published=datetime.date(2024, 2, 29),
        stamped=datetime.datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=datetime.UTC),
        price=decimal.Decimal("12.50"), extra={"a": [1, "x", None]},
        code=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        span=datetime.timedelta(days=1, seconds=3723, microseconds=5),
    )
    book.tags.add(red)
    [item] = json.loads(serializers.serialize("json", FixtureBook.objects.all()))
    assert item == {
        "model": "fixtureapp.fixturebook",
        "pk": book.pk,
        "fields": {
            "author": ann.pk,
            "title": "One",
            "subtitle": None,
            "published": "2024-02-29",
            "stamped": "2024-03-01T12:30:05.123Z",
            "price": "12.50",
            "extra": {"a": [1, "x", None]},
            "code": "12345678-1234-5678-1234-567812345678",
            "span": "1 01:02:03.000005",
            "tags": [red.pk],
        },
    }
    limited = json.loads(serializers.serialize("json", [book], indent=2, fields=["title"]))
    assert limited == [{"model": "fixtureapp.fixturebook", "pk": book.pk, "fields": {"title": "One"}}]


def test_deserialize_saves_forward_references_and_many_to_many(fixture_db):
    fixture = json.dumps([
        {"model": "fixtureapp.fixtureauthor", "pk": 1, "fields": {"name": "Ann", "mentor": 2}},
        {"model": "fixtureapp.fixtureauthor", "pk": 2, "fields": {"name": "Bob", "mentor": None}},
        {"model": "fixtureapp.fixturebook", "pk": 5,
         "fields": {"author": 1, "title": "T", "tags": [7], "price": "3.10",
                    "stamped": "2024-03-01T12:30:05.123Z", "span": "-1 23:00:00"}},
        {"model": "fixtureapp.fixturetag", "pk": 7, "fields": {"name": "red"}},
    ])
    with serializers.foreign_key_checks_deferred():
        for item in serializers.deserialize("json", fixture):
            item.save()
    book = FixtureBook.objects.get(pk=5)
    assert book.author.mentor.name == "Bob"
    assert [tag.name for tag in book.tags.all()] == ["red"]
    assert book.price == decimal.Decimal("3.10")
    assert book.stamped == datetime.datetime(2024, 3, 1, 12, 30, 5, 123000, tzinfo=datetime.UTC)
    assert book.span == datetime.timedelta(hours=-1)


def test_a_key_pointing_at_no_row_fails_at_the_end_of_the_block(fixture_db):
    fixture = '[{"model": "fixtureapp.fixtureauthor", "pk": 1, "fields": {"name": "Ann", "mentor": 9}}]'
    with pytest.raises(orm.IntegrityError, match=r"fixtureapp.fixtureauthor.mentor = 9 points at no"):
        with serializers.foreign_key_checks_deferred():
            for item in serializers.deserialize("json", fixture):
                item.save()
    assert not FixtureAuthor.objects.exists()
    with pytest.raises(orm.IntegrityError):  # the checks are back on (MariaDB's were off)
        FixtureAuthor.objects.create(name="later", mentor_id=99)


def test_a_failed_save_rolls_the_block_back_and_turns_the_checks_back_on(fixture_db):
    fixture = json.dumps([
        {"model": "fixtureapp.fixturetag", "pk": 1, "fields": {"name": "red"}},
        {"model": "fixtureapp.fixturetag", "pk": 2, "fields": {"name": None}},
    ])
    with pytest.raises(orm.IntegrityError):
        with serializers.foreign_key_checks_deferred():
            for item in serializers.deserialize("json", fixture):
                item.save()
    assert not FixtureTag.objects.exists()
    with pytest.raises(orm.IntegrityError):
        FixtureAuthor.objects.create(name="later", mentor_id=99)


@pytest.fixture
def mark_model(fixture_db):
    """A model with a GenericForeignKey, defined for one test only.

    At module level its reverse relation on ContentType would outlive this
    module, and deleting content types elsewhere would cascade into its table.
    """
    from orm.registry import registry

    class FixtureMark(orm.Model):
        content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
        object_id = orm.PositiveIntegerField()
        content_object = GenericForeignKey("content_type", "object_id")

        class Meta:
            app_label = "fixtureapp"

    try:
        create_tables(FixtureMark)
        yield FixtureMark
    finally:
        registry.unregister_model("fixtureapp", "FixtureMark")
        ContentType.objects.clear_cache()


def test_generic_foreign_key_is_its_content_type_pk_and_object_id(mark_model):
    FixtureMark = mark_model
    ContentType.objects.clear_cache()
    tag = FixtureTag.objects.create(name="red")
    mark = FixtureMark.objects.create(content_object=tag)
    content_type = ContentType.objects.get_for_model(FixtureTag)
    [item] = json.loads(serializers.serialize("json", [mark]))
    assert item["fields"] == {"content_type": content_type.pk, "object_id": tag.pk}
    FixtureMark.objects.all().delete()
    for loaded in serializers.deserialize("json", json.dumps([item])):
        loaded.save()
    assert FixtureMark.objects.get().content_object == tag


def test_an_object_without_a_key_is_inserted(fixture_db):
    fixture = '[{"model": "fixtureapp.fixturetag", "fields": {"name": "new"}}]'
    for item in serializers.deserialize("json", fixture):
        item.save()
    assert list(FixtureTag.objects.values_list("name", flat=True)) == ["new"]


def test_uuid_keys_are_strings_and_a_key_with_a_default_is_updated_or_inserted(fixture_db):
    tag = FixtureTag.objects.create(name="a")
    first = FixtureTicket.objects.create()
    second = FixtureTicket.objects.create(holder=first)
    second.seats.add(tag)
    text = serializers.serialize("json", FixtureTicket.objects.order_by("holder_id"))
    items = json.loads(text)
    assert {item["pk"] for item in items} == {str(first.pk), str(second.pk)}
    assert {"holder": str(first.pk), "seats": [tag.pk]} in [item["fields"] for item in items]
    first_pk = first.pk
    first.delete()  # cascades to second: both are inserted again, the tag link too
    for _ in range(2):  # the second time, both rows exist and are updated
        with serializers.foreign_key_checks_deferred():
            for item in serializers.deserialize("json", text):
                item.save()
    assert FixtureTicket.objects.get(pk=second.pk).holder_id == first_pk
    assert list(FixtureTicket.objects.get(pk=second.pk).seats.all()) == [tag]
    assert FixtureTicket.objects.count() == 2


def test_saving_again_updates_the_row_by_key(fixture_db):
    FixtureTag.objects.create(pk=3, name="old")
    fixture = '[{"model": "fixtureapp.fixturetag", "pk": 3, "fields": {"name": "new"}}]'
    for item in serializers.deserialize("json", fixture):
        item.save()
    assert list(FixtureTag.objects.values_list("pk", "name")) == [(3, "new")]


def test_raw_save_keeps_auto_now_values_and_sends_raw_signals(fixture_db):
    seen = []

    def receiver(sender, raw, **kwargs):
        seen.append(raw)

    orm.pre_save.connect(receiver, sender=FixtureNote)
    try:
        fixture = json.dumps([{"model": "fixtureapp.fixturenote", "pk": 1,
                               "fields": {"text": "x", "touched": "2001-01-01T00:00:00Z"}}])
        for item in serializers.deserialize("json", fixture):
            item.save()
    finally:
        orm.pre_save.disconnect(receiver, sender=FixtureNote)
    assert seen == [True]
    assert FixtureNote.objects.get().touched == datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("[{", "invalid JSON"),
        ('{"model": "x"}', "JSON list"),
        ('[{"model": "fixtureapp.fixturetag", "fields": {}}, {"model": "nope.thing"}]',
         "object 1: invalid model identifier: 'nope.thing'"),
        ('[{"model": "fixtureapp.fixturetag", "fields": {"colour": 1}}]',
         "object 0: fixtureapp.fixturetag has no field named 'colour'"),
        ('[{"model": "fixtureapp.fixturebook", "fields": {"price": "cheap"}}]',
         "object 0: fixtureapp.fixturebook.price: 'cheap'"),
    ],
)
def test_bad_fixtures_name_the_object(fixture, message):
    with pytest.raises(serializers.DeserializationError) as caught:
        list(serializers.deserialize("json", fixture))
    assert message in str(caught.value)


def test_sort_dependencies_puts_targets_first():
    assert serializers.sort_dependencies([FixtureBook, FixtureNote, FixtureAuthor, FixtureTag, ContentType]) == [
        FixtureNote, FixtureAuthor, FixtureTag, ContentType, FixtureBook,
    ]
    # A cycle follows the rest, by class name (Django's allow_cycles).
    assert serializers.sort_dependencies([FixtureZone, FixtureNote, FixtureCity]) == [
        FixtureNote, FixtureCity, FixtureZone,
    ]
    # Within a pass, a model counts as placed as soon as it is: as Django's.
    assert serializers.sort_dependencies([FixtureTag, FixtureBook, FixtureAuthor]) == [
        FixtureTag, FixtureAuthor, FixtureBook,
    ]


# No control characters: PostgreSQL's text and jsonb refuse NUL.
_characters = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_names = st.text(_characters, max_size=20)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(_characters, max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(_characters, max_size=3), inner, max_size=3),
    max_leaves=6,
)
_books = st.lists(
    st.fixed_dictionaries({
        "subtitle": st.none() | _names,
        "published": st.none() | st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 1, 1)),
        "stamped": st.none() | st.datetimes(
            datetime.datetime(1971, 1, 1), datetime.datetime(2037, 1, 1)
        ).map(lambda value: value.replace(microsecond=value.microsecond // 1000 * 1000,
                                          tzinfo=datetime.UTC)),
        "price": st.none() | st.decimals(-999999, 999999, places=2, allow_nan=False),
        "extra": _json,
        "author": st.none() | st.integers(0, 2),
        "tags": st.sets(st.integers(0, 2), max_size=3),
    }),
    max_size=4,
)


def _snapshot() -> list:
    books = []
    for book in FixtureBook.objects.order_by("pk"):
        values = {field.attname: getattr(book, field.attname) for field in FixtureBook._meta.concrete_fields}
        values["tags"] = sorted(book.tags.values_list("pk", flat=True))
        books.append(values)
    authors = list(FixtureAuthor.objects.order_by("pk").values_list("pk", "name", "mentor_id"))
    return [authors, list(FixtureTag.objects.order_by("pk").values_list("pk", "name")), books]


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(books=_books)
def test_serialize_then_deserialize_gives_the_same_rows(fixture_db, books):
    for model in (FixtureBook, FixtureAuthor, FixtureTag):
        model.objects.all().delete()
    authors = [FixtureAuthor.objects.create(name=f"a{n}") for n in range(3)]
    authors[0].mentor = authors[2]
    authors[0].save()
    tags = [FixtureTag.objects.create(name=f"t{n}") for n in range(3)]
    for values in books:
        values = dict(values)
        tag_numbers = values.pop("tags")
        author = values.pop("author")
        book = FixtureBook.objects.create(
            title="b", author=authors[author] if author is not None else None, **values
        )
        book.tags.set([tags[n] for n in tag_numbers])
    before = _snapshot()
    objects = [
        *FixtureAuthor.objects.order_by("pk"), *FixtureTag.objects.order_by("pk"),
        *FixtureBook.objects.order_by("pk"),
    ]
    fixture = serializers.serialize("json", objects)
    for model in (FixtureBook, FixtureAuthor, FixtureTag):
        model.objects.all().delete()
    with serializers.foreign_key_checks_deferred():
        for item in serializers.deserialize("json", fixture):
            item.save()
    assert _snapshot() == before
