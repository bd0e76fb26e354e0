"""Proxy models and fields, probed on every backend (helper H1's round, session 15).

A proxy model adds no column: a field declared on it raises ``FieldError`` at
class creation (it used to vanish silently). A proxy's reverse relations are
its concrete model's, whenever they were declared, and a foreign key to a
proxy is a reverse relation of the concrete model too (deleting a concrete
row cascades along it).
"""

from __future__ import annotations

import pytest

import orm
from orm.registry import registry

APP = "probes15proxy"


class Band(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class LoudManager(orm.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(name__startswith="L")


class FamousBand(Band):
    """A proxy with what a proxy may hold: managers, methods, properties and Meta options."""

    loud = LoudManager()
    objects = orm.Manager()

    class Meta:
        app_label = APP
        proxy = True
        ordering = ["-name"]

    def shout(self) -> str:
        return self.name.upper()

    @property
    def initial(self) -> str:
        return self.name[:1]


class VeryFamousBand(FamousBand):
    class Meta:
        app_label = APP
        proxy = True


class Gig(orm.Model):
    """Declared after the proxies: its reverse relation must reach them."""

    band = orm.ForeignKey(Band, on_delete=orm.CASCADE, related_name="gigs")
    town = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class Fan(orm.Model):
    """A foreign key to a proxy: a reverse relation of the concrete model as well."""

    band = orm.ForeignKey(FamousBand, on_delete=orm.CASCADE, related_name="fans")
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = APP


class Festival(orm.Model):
    """A many-to-many relation to a proxy."""

    bands = orm.ManyToManyField(FamousBand, related_name="festivals")

    class Meta:
        app_label = APP


MODELS = [Band, Gig, Fan, Festival, Festival.bands.through]


def _declare_proxy(name: str, **attrs):
    attrs.update({"__module__": __name__, "Meta": type("Meta", (), {"app_label": APP, "proxy": True})})
    return type(name, (Band,), attrs)


@pytest.mark.parametrize(
    "make_field",
    [
        lambda: orm.CharField(max_length=10, default=""),
        lambda: orm.IntegerField(null=True),
        lambda: orm.ForeignKey(Band, on_delete=orm.CASCADE, null=True, related_name="+"),
        lambda: orm.ForeignKey("probes15proxy.Gig", on_delete=orm.CASCADE, null=True, related_name="proxied"),
        lambda: orm.OneToOneField(Gig, on_delete=orm.CASCADE, null=True, related_name="proxy_one"),
        lambda: orm.ManyToManyField(Gig, related_name="proxy_many"),
    ],
    ids=["char", "integer", "fk-self", "fk-string", "one-to-one", "many-to-many"],
)
def test_a_field_declared_on_a_proxy_is_a_field_error(make_field):
    fields_before = list(Band._meta.local_fields), list(Band._meta.local_many_to_many)
    gig_relations = list(Gig._meta.related_objects)
    with pytest.raises(orm.FieldError) as raised:
        _declare_proxy("ProxyWithField", extra=make_field())
    message = str(raised.value)
    assert message.startswith("Proxy model 'ProxyWithField' contains model fields ('extra')")
    assert "declare 'extra' on Band" in message
    assert (list(Band._meta.local_fields), list(Band._meta.local_many_to_many)) == fields_before
    assert list(Gig._meta.related_objects) == gig_relations
    assert "proxywithfield" not in registry.all_models.get(APP, {})


def test_a_field_added_to_a_proxy_later_is_refused_and_leaves_the_concrete_model_alone():
    fields_before = list(Band._meta.local_fields)
    with pytest.raises(orm.FieldError, match="Proxy model 'FamousBand' contains model fields"):
        FamousBand.add_to_class("late", orm.CharField(max_length=5, default=""))
    assert list(Band._meta.local_fields) == fields_before
    assert [field.name for field in FamousBand._meta.fields] == ["id", "name"]


def test_an_abstract_parent_with_fields_is_refused_on_a_proxy():
    class Stamped(orm.Model):
        stamp = orm.IntegerField(default=0)

        class Meta:
            abstract = True
            app_label = APP

    with pytest.raises(orm.FieldError, match=r"contains model fields \('stamp' from the abstract Stamped\)"):

        class StampedBand(Stamped, Band):
            class Meta:
                app_label = APP
                proxy = True


def test_an_abstract_parent_with_only_managers_and_methods_is_allowed_on_a_proxy(models_db):
    class Greeting(orm.Model):
        greeters = LoudManager()

        class Meta:
            abstract = True
            app_label = APP

        def greet(self) -> str:
            return f"hello {self.name}"

    class GreetingBand(Greeting, Band):
        class Meta:
            app_label = APP
            proxy = True

    Band.objects.create(name="Lalo")
    Band.objects.create(name="Django")
    assert [band.greet() for band in GreetingBand.greeters.all()] == ["hello Lalo"]
    assert [field.name for field in GreetingBand._meta.fields] == ["id", "name"]


def test_managers_methods_properties_and_ordering_work_on_a_proxy(models_db):
    for name in ("Django", "Lalo", "Babik"):
        Band.objects.create(name=name)
    assert [band.name for band in FamousBand.objects.all()] == ["Lalo", "Django", "Babik"]
    loud = FamousBand.loud.get()
    assert (type(loud), loud.shout(), loud.initial) == (FamousBand, "LALO", "L")
    assert [band.name for band in VeryFamousBand.loud.all()] == ["Lalo"]


def test_reverse_relations_declared_after_the_proxy_reach_it(models_db):
    band = Band.objects.create(name="Lalo")
    Gig.objects.create(band=band, town="Samois")
    assert FamousBand._meta.get_field("gigs") is Band._meta.get_field("gigs")
    assert VeryFamousBand._meta.get_field("gigs") is Band._meta.get_field("gigs")
    assert list(FamousBand.objects.filter(gigs__town="Samois").values_list("name", flat=True)) == ["Lalo"]
    assert VeryFamousBand.objects.filter(gigs__town="Samois").count() == 1
    famous = FamousBand.objects.get()
    assert [gig.town for gig in famous.gigs.all()] == ["Samois"]
    assert [gig.town for gig in FamousBand.objects.prefetch_related("gigs")[0].gigs.all()] == ["Samois"]
    counts = FamousBand.objects.annotate(n=orm.Count("gigs")).values_list("n", flat=True)
    assert list(counts) == [1]


def test_get_fields_of_a_proxy_are_its_concrete_models(models_db):
    names = [field.name for field in Band._meta.get_fields()]
    assert [field.name for field in FamousBand._meta.get_fields()] == names
    assert [field.name for field in VeryFamousBand._meta.get_fields()] == names
    assert {"gigs", "fans"} <= set(names)


def test_a_foreign_key_to_a_proxy_is_a_reverse_relation_of_the_concrete_model(models_db):
    band = Band.objects.create(name="Lalo")
    Fan.objects.create(band_id=band.pk, name="ann")
    assert list(Band.objects.filter(fans__name="ann").values_list("name", flat=True)) == ["Lalo"]
    assert [fan.name for fan in FamousBand.objects.get().fans.all()] == ["ann"]
    assert not hasattr(band, "fans")  # the accessor stays on the proxy, as in Django
    # Deleting the concrete row cascades to the fans (it used to fail on the foreign key).
    assert band.delete() == (2, {f"{APP}.Fan": 1, f"{APP}.Band": 1})
    assert Fan.objects.count() == 0


def test_deleting_through_a_proxy_cascades_like_the_concrete_model(models_db):
    band = Band.objects.create(name="Lalo")
    Gig.objects.create(band=band, town="Samois")
    Fan.objects.create(band_id=band.pk, name="ann")
    total, _per_model = VeryFamousBand.objects.filter(name="Lalo").delete()
    assert total == 3
    assert (Band.objects.count(), Gig.objects.count(), Fan.objects.count()) == (0, 0, 0)


def test_select_related_to_a_proxy_gives_proxy_instances(models_db):
    band = Band.objects.create(name="Lalo")
    Fan.objects.create(band_id=band.pk, name="ann")
    # The path to the target is the proxy's, as in Django: select_related built Band instances.
    loaded = Fan.objects.select_related("band").get()
    assert type(loaded.band) is FamousBand and loaded.band.shout() == "LALO"
    assert type(Fan.objects.get().band) is FamousBand
    assert type(Fan.objects.prefetch_related("band").get().band) is FamousBand


def test_a_many_to_many_to_a_proxy_is_a_reverse_relation_of_the_concrete_model(models_db):
    band = Band.objects.create(name="Lalo")
    festival = Festival.objects.create()
    festival.bands.add(band.pk)
    assert [type(b) for b in festival.bands.all()] == [FamousBand]
    assert Band.objects.filter(festivals=festival).count() == 1
    assert FamousBand.objects.get().festivals.get() == festival
    # Deleting the concrete row removes its junction rows (it used to fail on the foreign key).
    assert band.delete() == (2, {f"{APP}.Festival_bands": 1, f"{APP}.Band": 1})
    assert list(festival.bands.all()) == []
