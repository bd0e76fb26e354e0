"""The fast write paths: ``Manager.create``, the generated ``__init__`` and INSERT parameters,
lastrowid on SQLite, bulk INSERTs of one array per column on PostgreSQL.

Each test compares the fast path with the ordinary one (a custom manager or
QuerySet, a receiver, one-row batches, an expression) on every backend.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

import orm
from orm import signals
from orm.exceptions import DataError, IntegrityError

from .conftest import create_tables
from .test_perf_reads import Shouting


def _tomorrow():
    return datetime.date(2024, 1, 2)


class Record(orm.Model):
    name = orm.CharField(max_length=10)
    size = orm.IntegerField(null=True)
    weight = orm.FloatField(null=True)
    active = orm.BooleanField(default=True)
    note = orm.TextField(default="")
    due = orm.DateField(default=_tomorrow)
    price = orm.DecimalField(max_digits=6, decimal_places=2, null=True)
    at = orm.DateTimeField(null=True)
    token = orm.UUIDField(null=True)

    class Meta:
        app_label = "perfwrites"

    @property
    def label(self):
        return self.name.upper()

    @label.setter
    def label(self, value):
        self.name = value.lower()


class Code(orm.Model):
    code = orm.CharField(max_length=10, primary_key=True)
    count = orm.IntegerField(default=0)

    class Meta:
        app_label = "perfwrites"


class NamedQuerySet(orm.QuerySet):
    def create(self, **kwargs):
        kwargs["name"] = kwargs["name"] + "!"
        return super().create(**kwargs)


class ReplicaManager(orm.Manager):
    def get_queryset(self):
        return super().get_queryset().using("replica")


class Tagged(orm.Model):
    name = orm.CharField(max_length=20)

    objects = orm.Manager()
    named = NamedQuerySet.as_manager()
    replicated = ReplicaManager()

    class Meta:
        app_label = "perfwrites"


class Loud(orm.Model):
    label = orm.CharField(max_length=20)
    size = orm.IntegerField(default=0)

    class Meta:
        app_label = "perfwrites"


Loud.label = Shouting()  # type: ignore[assignment]
Loud.label.__set_name__(Loud, "label")


class Audited(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = "perfwrites"

    def __setattr__(self, name, value):
        self.__dict__.setdefault("_set", []).append(name)
        super().__setattr__(name, value)


class Kind(orm.Model):
    type = orm.CharField(max_length=10, default="plain")  # a field named like a builtin
    label = orm.CharField(max_length=10, db_column="label_column", default="")

    class Meta:
        app_label = "perfwrites"


class Item(orm.Model):
    kind = orm.ForeignKey(Kind, on_delete=orm.CASCADE, null=True)
    name = orm.CharField(max_length=10, default="")

    class Meta:
        app_label = "perfwrites"


class ItemProxy(Item):
    class Meta:
        proxy = True
        app_label = "perfwrites"


class Greeting(orm.Model):
    text = orm.CharField(max_length=20)

    class Meta:
        app_label = "perfwrites"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("text", "hello")
        super().__init__(*args, **kwargs)


class Stamped(orm.Model):
    made = orm.IntegerField(default=0)

    class Meta:
        abstract = True
        app_label = "perfwrites"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = True


class Note(Stamped):
    text = orm.CharField(max_length=20, default="")

    class Meta:
        app_label = "perfwrites"


MODELS = [Record, Code, Tagged, Loud, Audited, Kind, Item, Greeting, Note]

STRINGS = ['a"b', "c'd", "\\x", "{}", "a,b", "NULL", "null", "", " sp ", "é€", "x\ny", None]


def columns(record):
    return (
        record.name, record.size, record.weight, record.active, record.note, record.due,
        record.price, record.at, record.token,
    )


def stored(model=Record):
    return [columns(record) for record in model.objects.order_by("id")]


def sample(index):
    name = STRINGS[index % len(STRINGS)]
    return Record(
        name=name if name is not None else f"n{index}",
        size=None if index % 5 == 0 else index * 1000,
        weight=None if index % 7 == 0 else index / 3,
        active=index % 2 == 0,
        note=f"note {index}",
        due=datetime.date(2024, 1, 1 + index % 28),
        price=None if index % 4 == 0 else decimal.Decimal(index) / 4,
        at=datetime.datetime(2024, 1, 1, index % 24, tzinfo=datetime.timezone.utc) if index % 3 else None,
        token=uuid.UUID(int=index) if index % 2 else None,
    )


# -- create ----------------------------------------------------------------------------


def test_create_sets_pk_and_state_like_save(models_db):
    created = Record.objects.create(name="one", size=1)
    saved = Record(name="two", size=2)
    saved.save()
    assert created.pk is not None and saved.pk == created.pk + 1
    for record in (created, saved):
        assert record._state.adding is False
        assert record._state.db == "default"
    assert stored()[0][:2] == ("one", 1)
    assert created.due == datetime.date(2024, 1, 2) and created.active is True


def test_create_round_trips_every_value_past_the_prepare_threshold(models_db):
    objs = [sample(index) for index in range(12)]
    expected = [columns(obj) for obj in objs]
    created = [Record.objects.create(**{f.attname: getattr(obj, f.attname) for f in Record._meta.concrete_fields
                                        if not f.primary_key}) for obj in objs]
    assert [columns(obj) for obj in created] == expected == stored()
    assert [obj.pk for obj in created] == list(Record.objects.order_by("id").values_list("id", flat=True))
    with pytest.raises(IntegrityError):
        with orm.atomic():
            Record.objects.create(name=None)
    assert Record.objects.create(name="after").pk is not None


def test_create_with_a_given_or_non_integer_primary_key(models_db):
    explicit = Record.objects.create(id=50, name="fifty")
    after = Record.objects.create(name="next")
    assert explicit.pk == 50 and after.pk not in (None, 50)
    assert Record.objects.get(pk=after.pk).name == "next"
    code = Code.objects.create(code="abc")
    assert code.pk == "abc" and Code.objects.get(pk="abc").count == 0
    with pytest.raises(IntegrityError):
        with orm.atomic():
            Code.objects.create(code="abc")


def test_create_through_custom_querysets_and_managers(models_db, new_db_url):
    assert Tagged.named.create(name="x").name == "x!"
    assert Tagged.objects.get().name == "x!"
    orm.configure(databases={"default": models_db, "replica": new_db_url()})
    create_tables(Tagged, using="replica")
    replicated = Tagged.replicated.create(name="there")
    assert replicated._state.db == "replica"
    assert list(Tagged.objects.using("replica").values_list("name", flat=True)) == ["there"]
    assert Tagged.objects.db_manager("replica").create(name="also")._state.db == "replica"
    assert Tagged.objects.using("replica").count() == 2


class WriteRouter:
    def db_for_write(self, model, **hints):
        return "replica"


def test_create_asks_the_routers(models_db, new_db_url):
    orm.configure(databases={"default": models_db, "replica": new_db_url()}, routers=[WriteRouter()])
    create_tables(Tagged, using="replica")
    tagged = Tagged.objects.create(name="routed")
    assert tagged._state.db == "replica"
    assert Tagged.objects.using("replica").count() == 1
    assert Tagged.objects.using("default").count() == 0


def test_receivers_connected_later_are_called(models_db):
    Record.objects.create(name="warm")  # the generated functions exist now
    seen = []

    def on_pre_init(sender, **kwargs):
        seen.append(("pre_init", kwargs["kwargs"]["name"]))

    def on_post_init(sender, instance, **kwargs):
        seen.append(("post_init", instance.name))

    def on_pre_save(sender, instance, **kwargs):
        seen.append(("pre_save", instance.pk))

    def on_post_save(sender, instance, created, **kwargs):
        seen.append(("post_save", created, instance._state.adding))

    pairs = [(signals.pre_init, on_pre_init), (signals.post_init, on_post_init),
             (signals.pre_save, on_pre_save), (signals.post_save, on_post_save)]
    for signal, receiver in pairs:
        signal.connect(receiver, sender=Record)
    try:
        record = Record.objects.create(name="seen")
        record.size = 3
        record.save()
    finally:
        for signal, receiver in pairs:
            signal.disconnect(receiver, sender=Record)
    assert seen == [
        ("pre_init", "seen"), ("post_init", "seen"), ("pre_save", None),
        ("post_save", True, False), ("pre_save", record.pk), ("post_save", False, False),
    ]
    seen.clear()
    Record.objects.create(name="quiet")
    assert seen == []


# -- __init__ --------------------------------------------------------------------------


def test_init_keywords_defaults_and_properties(models_db):
    calls = []

    class Counted(orm.Model):
        name = orm.CharField(max_length=10, default="x")
        stamp = orm.IntegerField(default=lambda: calls.append(1) or len(calls))

        class Meta:
            app_label = "perfwrites_init"

    given = Counted(name="a", stamp=7)
    assert (given.name, given.stamp, calls) == ("a", 7, [])
    defaulted = Counted(name="b")
    assert (defaulted.stamp, calls) == (1, [1])
    assert Counted().name == "x" and calls == [1, 1]
    assert Record(label="UP").name == "up"
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Record(name="a", colour="red")

    class Base(orm.Model):
        class Meta:
            abstract = True
            app_label = "perfwrites_init"

    with pytest.raises(TypeError, match="abstract"):
        Base()
    positional = Record(None, "p", 4)
    assert (positional.name, positional.size, positional.due) == ("p", 4, datetime.date(2024, 1, 2))


def test_instances_made_before_and_after_fields_change_alike(models_db):
    first = Record(name="a")
    Record._meta._expire_cache()  # a new concrete_fields list: the init function is rebuilt
    second = Record(name="a")
    assert columns(first) == columns(second)


def test_init_and_inserts_keep_to_the_instance_dict_past_descriptors_and_setattr(models_db):
    loud = Loud.objects.create(label="quiet", size=1)
    assert loud.__dict__["label"] == "quiet" and loud.label == "QUIET"
    Loud.objects.bulk_create([Loud(label="calm"), Loud(label="still")])
    stored_labels = [row.__dict__["label"] for row in Loud.objects.order_by("id")]
    assert stored_labels == ["quiet", "calm", "still"]
    audited = Audited(name="a")
    assert "_set" not in audited.__dict__  # __init__ never calls __setattr__
    audited.save()
    Audited.objects.bulk_create([Audited(name="b")])
    assert sorted(Audited.objects.values_list("name", flat=True)) == ["a", "b"]


def test_generated_class_init_matches_model_init(models_db):
    Item(name="warm")  # generates the class __init__
    assert getattr(Item.__init__, "_generated_init", False)
    kind = Kind.objects.create(type="t", label="l")
    by_object = Item(kind=kind, name="a")
    by_key = Item(kind_id=kind.pk, name="a")
    assert by_object.kind_id == by_key.kind_id == kind.pk
    assert by_object.kind is kind
    by_both = Item(kind=kind, kind_id=kind.pk)  # handed to Model.__init__, as before
    assert by_both.kind_id == kind.pk
    assert Item().kind_id is None and Item().name == ""
    general = Item.__new__(Item)
    orm.Model.__init__(general, kind_id=kind.pk, name="b")
    fast = Item(kind_id=kind.pk, name="b")
    assert vars(general) == vars(fast)
    assert Item(None, kind.pk, "p").name == "p"  # positional arguments
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Item(colour="red")
    assert Kind(type="x").type == "x" and Kind().type == "plain"
    assert Kind(label="by name").label == "by name"
    proxied = ItemProxy(kind=kind, name="p")
    assert type(proxied) is ItemProxy and proxied.kind_id == kind.pk
    proxied.save()
    assert Item.objects.get(pk=proxied.pk).name == "p"


def test_an_init_of_the_user_is_kept(models_db):
    assert Greeting().text == "hello" and Greeting(text="hi").text == "hi"
    assert not getattr(Greeting.__init__, "_generated_init", False)
    note = Note(text="n")
    assert note.seen and note.made == 0
    assert not getattr(Note.__init__, "_generated_init", False)
    Note.objects.create(text="saved")
    assert Note.objects.get().text == "saved"


# -- bulk_create -----------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 1, 7])
def test_bulk_create_round_trips_every_value(models_db, batch_size):
    objs = [sample(index) for index in range(40)]
    expected = [columns(obj) for obj in objs]
    returned = Record.objects.bulk_create(objs, batch_size=batch_size)
    assert returned is not None and len(returned) == 40
    assert stored() == expected
    if orm.connections["default"].dialect.supports_returning:
        assert [obj.pk for obj in objs] == list(Record.objects.order_by("id").values_list("id", flat=True))
    assert all(obj._state.adding is False and obj._state.db == "default" for obj in objs)


def test_bulk_create_special_strings(models_db):
    objs = [Record(name=text if text is not None else "none", note=text or "") for text in STRINGS]
    Record.objects.bulk_create(objs)
    assert [record.name for record in Record.objects.order_by("id")] == [
        text if text is not None else "none" for text in STRINGS
    ]


def test_bulk_create_mixed_columns_take_the_general_path(models_db):
    objs = [
        Record(name="expr", size=orm.Value(5)),
        Record(name="plain", size=6),
        Record(name="decimal", price=3),  # an int for a DecimalField next to Decimals
        Record(name="decimal2", price=decimal.Decimal("1.50")),
    ]
    Record.objects.bulk_create(objs)
    assert [(r.name, r.size, r.price) for r in Record.objects.order_by("id")] == [
        ("expr", 5, None), ("plain", 6, None), ("decimal", None, decimal.Decimal("3.00")),
        ("decimal2", None, decimal.Decimal("1.50")),
    ]


def test_bulk_create_with_and_without_pks_and_errors(models_db):
    objs = [Record(id=100, name="hundred"), Record(name="a"), Record(name="b")]
    Record.objects.bulk_create(objs)
    assert sorted(Record.objects.values_list("name", flat=True)) == ["a", "b", "hundred"]
    if orm.connections["default"].vendor != "sqlite":  # SQLite stores what it is given
        with pytest.raises(DataError):
            with orm.atomic():
                Record.objects.bulk_create([Record(name="x" * 11), Record(name="fine")])
        assert Record.objects.count() == 3
    with pytest.raises(IntegrityError):
        with orm.atomic():
            Record.objects.bulk_create([Record(name=None), Record(name="fine")])
    assert Record.objects.count() == 3


def test_bulk_create_with_conflicts_handling(models_db):
    Code.objects.bulk_create([Code(code="a", count=1), Code(code="b", count=2)])
    Code.objects.bulk_create([Code(code="a", count=5), Code(code="c", count=3)], ignore_conflicts=True)
    assert list(Code.objects.order_by("code").values_list("code", "count")) == [("a", 1), ("b", 2), ("c", 3)]


def test_bulk_create_sends_one_statement_per_batch(models_db):
    with orm.capture_queries() as queries:
        Record.objects.bulk_create([sample(index) for index in range(30)], batch_size=10)
    assert len(queries) == 3
    if orm.connections["default"].dialect.supports_bulk_insert_arrays:
        assert all("UNNEST" in query.sql for query in queries)
    assert Record.objects.count() == 30


def test_bulk_create_on_a_second_database(models_db, new_db_url):
    orm.configure(databases={"default": models_db, "replica": new_db_url()})
    create_tables(Record, using="replica")
    objs = [sample(index) for index in range(5)]
    Record.objects.using("replica").bulk_create(objs)
    assert all(obj._state.db == "replica" and not obj._state.adding for obj in objs)
    assert Record.objects.using("replica").count() == 5 and Record.objects.count() == 0
    first = objs[0]
    first.size = 7
    first.save()  # an update on the database it was saved to
    assert Record.objects.using("replica").get(pk=first.pk).size == 7
    assert Record.objects.count() == 0


def test_bulk_create_state_already_used(models_db):
    record = Record(name="a")
    assert record._state.adding is True
    Record.objects.bulk_create([record, Record(name="b")])
    assert record._state.adding is False and record._state.db == "default"
