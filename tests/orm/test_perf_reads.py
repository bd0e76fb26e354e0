"""The read fast paths give what the generic paths give, on every backend.

* the generated loaders (orm/query/row_factory.py) store plain attributes one
  by one and names the class handles itself (data descriptors, a custom
  ``__setattr__``) into ``__dict__``; the generic loop (taken when a
  ``post_init`` receiver is connected) is the oracle;
* a fully fetched QuerySet gets its list straight from the loader;
* statement-cache queries are prepared on PostgreSQL (run more than
  psycopg's threshold of 5 times here).
"""

from __future__ import annotations

import datetime
import decimal

import pytest

import orm
from orm import signals


class Maker(orm.Model):
    name = orm.CharField(max_length=50)

    class Meta:
        app_label = "perfreads"


class Shouting:
    """A data descriptor on a column's attribute: reads upper-case, stores as given."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__.get(self.name)
        return value.upper() if isinstance(value, str) else value

    def __set__(self, instance, value):
        instance.__dict__[self.name] = value


class Widget(orm.Model):
    label = orm.CharField(max_length=50, null=True)
    size = orm.IntegerField(null=True)
    weight = orm.FloatField(null=True)
    price = orm.DecimalField(max_digits=6, decimal_places=2, null=True)
    made = orm.DateField(null=True)
    stamp = orm.DateTimeField(null=True)
    active = orm.BooleanField(null=True)
    maker = orm.ForeignKey(Maker, on_delete=orm.CASCADE, null=True, related_name="widgets")

    class Meta:
        app_label = "perfreads"


class LoudWidget(orm.Model):
    label = orm.CharField(max_length=50)
    size = orm.IntegerField()

    class Meta:
        app_label = "perfreads"


LoudWidget.label = Shouting()  # type: ignore[assignment]
LoudWidget.label.__set_name__(LoudWidget, "label")


class Audited(orm.Model):
    label = orm.CharField(max_length=50)

    class Meta:
        app_label = "perfreads"

    def __setattr__(self, name, value):
        if name == "label" and isinstance(value, str):
            value = "set:" + value
        super().__setattr__(name, value)


MODELS = [Maker, Widget, LoudWidget, Audited]


@pytest.fixture
def widgets(models_db):
    makers = [Maker.objects.create(name=name) for name in ("acme", "b'o%b")]
    for i in range(30):
        Widget.objects.create(
            label=None if i % 7 == 0 else f"w{i}",
            size=None if i % 5 == 0 else i % 4,
            weight=None if i % 6 == 0 else i / 8,
            price=None if i % 4 == 0 else decimal.Decimal(i) / 4,
            made=None if i % 3 == 0 else datetime.date(2024, 1, 1 + i),
            stamp=None if i % 2 else datetime.datetime(2024, 2, 1, i % 24, tzinfo=datetime.timezone.utc),
            active=None if i % 8 == 0 else i % 2 == 0,
            maker=None if i % 9 == 0 else makers[i % 2],
        )
    return models_db


def _values(widget):
    return (widget.pk, widget.label, widget.size, widget.weight, widget.price, widget.made,
            widget.stamp, widget.active, widget.maker_id)


def _generic(build):
    """The results of ``build()`` through the generic loop (a post_init receiver forces it)."""

    def receiver(sender, instance, **kwargs):
        pass

    signals.post_init.connect(receiver)
    try:
        return list(build())
    finally:
        signals.post_init.disconnect(receiver)


def test_loaded_instances_equal_the_generic_loop_with_nulls_and_converters(widgets):
    def build():
        return Widget.objects.order_by("id")

    fast = list(build())
    assert [_values(w) for w in fast] == [_values(w) for w in _generic(build)]
    assert all(w._state.adding is False and w._state.db == "default" for w in fast)
    assert fast[1].price == decimal.Decimal("0.25") and isinstance(fast[1].made, datetime.date)
    # A loaded instance saves as an update and its foreign key descriptor still works.
    first = fast[1]
    first.size = 99
    first.save()
    assert Widget.objects.get(pk=first.pk).size == 99
    assert first.maker.name == "b'o%b"
    first.maker_id = widgets and Maker.objects.get(name="acme").pk
    assert first.maker.name == "acme"


def test_select_related_rows_equal_the_generic_loop_including_a_null_key(widgets):
    def build():
        return Widget.objects.select_related("maker").order_by("id")

    fast = list(build())
    generic = _generic(build)
    assert [(_values(w), w.maker and w.maker.name) for w in fast] == [
        (_values(w), w.maker and w.maker.name) for w in generic
    ]
    with orm.capture_queries() as queries:
        names = [w.maker.name for w in fast if w.maker_id is not None]
    assert not queries and names
    assert fast[0].maker is None and fast[0]._state.fields_cache == {"maker": None}
    assert fast[1].maker._state.db == "default" and fast[1].maker._state.adding is False


def test_a_data_descriptor_on_a_column_is_not_bypassed_on_reading(widgets):
    LoudWidget.objects.create(label="quiet", size=1)
    LoudWidget.objects.create(label="calm", size=2)
    loaded = list(LoudWidget.objects.order_by("id"))
    assert [w.label for w in loaded] == ["QUIET", "CALM"]
    assert loaded[0].__dict__["label"] == "quiet"
    assert [w.label for w in LoudWidget.objects.filter(size=2)] == ["CALM"]


def test_a_custom_setattr_is_not_called_for_loaded_rows(widgets):
    Audited.objects.create(label="x")
    stored = Audited.objects.get(label="x")  # loaded as stored: __setattr__ not involved
    assert stored.label == "x" and [a.label for a in Audited.objects.all()] == ["x"]
    stored.label = "y"
    assert stored.label == "set:y"


def test_statement_cache_runs_past_the_prepare_threshold_equal_the_ordinary_path(widgets):
    for _ in range(8):
        for size in (0, 1, 3, 70000):
            cached = list(Widget.objects.filter(size=size, weight__gte=0.0).order_by("-weight", "id")[:5])
            ordinary = Widget.objects.filter(size=size, weight__gte=0.0).order_by("-weight", "id")[:5]
            ordinary.query  # noqa: B018 - drops the plan
            assert [_values(w) for w in cached] == [_values(w) for w in ordinary]
        for label in ("w1", "b'o%b", "w%", "é", ""):
            assert [w.pk for w in Widget.objects.filter(label=label)] == [
                w.pk for w in Widget.objects.filter(label__in=[label])
            ]
        assert Widget.objects.get(label="w2").size == 2
        assert Widget.objects.filter(active=True, size__lt=3).count() == len(
            list(Widget.objects.filter(active=True, size__lt=3))
        )


def test_cached_queries_inside_a_transaction_see_its_writes_and_roll_back(widgets):
    some = Widget.objects.get(label="w1")
    for _ in range(6):
        assert Widget.objects.get(pk=some.pk).label == "w1"
    with pytest.raises(RuntimeError):
        with orm.atomic():
            Widget.objects.filter(pk=some.pk).update(label="changed")
            for _ in range(6):
                assert Widget.objects.get(pk=some.pk).label == "changed"
            raise RuntimeError("roll back")
    assert Widget.objects.get(pk=some.pk).label == "w1"


def test_loaders_and_cached_queries_on_a_second_database(models_db, new_db_url, vendor):
    from tests.orm.conftest import create_tables

    other = new_db_url(vendor)
    orm.configure(databases={"default": models_db, "other": other})
    create_tables(*MODELS, using="other")
    maker = Maker.objects.using("other").create(name="elsewhere")
    Widget.objects.using("other").create(label="far", size=3, maker=maker)
    Widget.objects.create(label="near", size=3)
    for _ in range(6):
        far = Widget.objects.using("other").get(size=3)
        assert (far.label, far._state.db) == ("far", "other")
        assert Widget.objects.get(size=3).label == "near"
    joined = list(Widget.objects.using("other").select_related("maker"))
    assert joined[0].maker.name == "elsewhere" and joined[0].maker._state.db == "other"
