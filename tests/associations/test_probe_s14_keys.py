"""Association probes on unusual keys: to_field, db_column, UUID and text keys, self keys (H3, session 14)."""

from __future__ import annotations

import uuid

import pytest

import orm


class KCountry(orm.Model):
    code = orm.CharField(max_length=3, unique=True)
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14k"
        ordering = ["code"]


class KCity(orm.Model):
    name = orm.CharField(max_length=30)
    country = orm.ForeignKey(KCountry, on_delete=orm.CASCADE, to_field="code", related_name="cities", db_column="cc")
    parent = orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True, related_name="children")

    class Meta:
        app_label = "assoc_s14k"
        ordering = ["name"]


class KLabel(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14k"
        ordering = ["name"]


class KCode(orm.Model):
    key = orm.CharField(max_length=10, primary_key=True)
    labels = orm.ManyToManyField(KLabel, related_name="codes")

    class Meta:
        app_label = "assoc_s14k"
        ordering = ["key"]


class KPassport(orm.Model):
    city = orm.OneToOneField(KCity, on_delete=orm.CASCADE, primary_key=True, related_name="passport")
    number = orm.IntegerField()

    class Meta:
        app_label = "assoc_s14k"


MODELS = [KCountry, KCity, KLabel, KCode, KPassport]


@pytest.fixture
def keys(setup_models):
    setup_models(*MODELS)


def test_to_field_fk(keys):
    fr = KCountry.objects.create(code="FR", name="France")
    de = KCountry.objects.create(code="DE", name="Germany")
    paris = KCity.objects.create(name="Paris", country=fr)
    assert paris.country_id == "FR"
    assert KCity.objects.get().country == fr
    assert list(KCity.objects.filter(country=fr)) == [paris]
    assert list(KCity.objects.filter(country__name="France")) == [paris]
    assert list(KCity.objects.filter(country__in=[fr, de])) == [paris]
    assert list(KCity.objects.filter(country_id="FR")) == [paris]
    assert list(fr.cities.all()) == [paris]
    assert list(KCountry.objects.filter(cities__name="Paris")) == [fr]
    cities = list(KCity.objects.select_related("country"))
    assert cities[0].country.name == "France"
    cities = list(KCity.objects.prefetch_related("country"))
    assert cities[0].country.name == "France"
    countries = list(KCountry.objects.prefetch_related("cities"))
    assert [list(c.cities.all()) for c in countries] == [[], [paris]]
    berlin = de.cities.create(name="Berlin")
    assert berlin.country_id == "DE"
    de.cities.add(paris)
    assert KCity.objects.get(pk=paris.pk).country_id == "DE"
    assert sorted(KCity.objects.values_list("country", flat=True)) == ["DE", "DE"]
    de.delete()
    assert KCity.objects.count() == 0


def test_self_fk_select_related_chain(keys):
    fr = KCountry.objects.create(code="FR", name="France")
    a = KCity.objects.create(name="a", country=fr)
    b = KCity.objects.create(name="b", country=fr, parent=a)
    c = KCity.objects.create(name="c", country=fr, parent=b)
    got = KCity.objects.select_related("parent__parent").get(pk=c.pk)
    with orm.capture_queries() as queries:
        assert got.parent.name == "b" and got.parent.parent.name == "a"
    assert len(queries) == 0
    assert list(KCity.objects.filter(parent__parent__name="a")) == [c]
    assert list(a.children.all()) == [b]
    rows = list(KCity.objects.prefetch_related("children__children").filter(parent=None))
    assert [x.name for x in rows[0].children.all()[0].children.all()] == ["c"]
    a.delete()
    assert KCity.objects.get(pk=b.pk).parent_id is None


def test_uuid_and_text_keys_m2m(keys):
    x = KLabel.objects.create(name="x")
    y = KLabel.objects.create(name="y")
    code = KCode.objects.create(key="k1")
    code.labels.add(x, y.pk)
    code.labels.add(str(x.pk)) if False else None
    assert [label.name for label in code.labels.all()] == ["x", "y"]
    assert list(x.codes.all()) == [code]
    code.labels.remove(x.pk)
    assert [label.name for label in code.labels.all()] == ["y"]
    codes = list(KCode.objects.prefetch_related("labels"))
    assert [label.name for label in codes[0].labels.all()] == ["y"]
    labels = list(KLabel.objects.prefetch_related("codes"))
    assert [list(label.codes.all()) for label in labels] == [[], [code]]
    code.delete()
    assert KCode.labels.through.objects.count() == 0


def test_one_to_one_primary_key(keys):
    fr = KCountry.objects.create(code="FR", name="France")
    paris = KCity.objects.create(name="Paris", country=fr)
    passport = KPassport.objects.create(city=paris, number=5)
    assert passport.pk == paris.pk
    assert KCity.objects.get().passport.number == 5
    assert KPassport.objects.select_related("city").get().city.name == "Paris"
    assert KCity.objects.select_related("passport").get().passport.number == 5
    assert list(KCity.objects.filter(passport__number=5)) == [paris]
    paris.delete()
    assert KPassport.objects.count() == 0


@pytest.mark.parametrize("listen", [False, True])
def test_deleting_a_self_referencing_chain_at_once(keys, listen):
    fr = KCountry.objects.create(code="FR", name="France")
    a = KCity.objects.create(name="a", country=fr)
    b = KCity.objects.create(name="b", country=fr, parent=a)
    KCity.objects.create(name="c", country=fr, parent=b)
    a.parent = KCity.objects.get(name="c")
    a.save()

    def receiver(sender, instance, **kwargs):
        pass

    if listen:
        orm.pre_delete.connect(receiver, sender=KCity)
    try:
        total, per = KCity.objects.filter(name__in=["a", "b"]).delete()
    finally:
        orm.pre_delete.disconnect(receiver, sender=KCity)
    assert total == 2
    assert list(KCity.objects.values_list("name", "parent")) == [("c", None)]
    assert KCountry.objects.all().delete()[0] == 2
