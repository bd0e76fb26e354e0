"""Probes of less common association APIs (H3, session 14)."""

from __future__ import annotations

import pytest

import orm
from orm import Prefetch


class APerson(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14a"
        ordering = ["name"]


class AClub(orm.Model):
    name = orm.CharField(max_length=30)
    members = orm.ManyToManyField(
        APerson, through="AJoin", through_fields=("club", "person"), related_name="clubs"
    )
    hidden = orm.ForeignKey(APerson, on_delete=orm.CASCADE, null=True, related_name="+")

    class Meta:
        app_label = "assoc_s14a"
        ordering = ["name"]


class AJoin(orm.Model):
    club = orm.ForeignKey(AClub, on_delete=orm.CASCADE)
    person = orm.ForeignKey(APerson, on_delete=orm.CASCADE, related_name="joins")
    inviter = orm.ForeignKey(APerson, on_delete=orm.CASCADE, null=True, related_name="invites")

    class Meta:
        app_label = "assoc_s14a"


class ABase(orm.Model):
    owner = orm.ForeignKey(APerson, on_delete=orm.CASCADE, related_name="%(app_label)s_%(class)s_set")

    class Meta:
        abstract = True


class ANote(ABase):
    text = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14a"


MODELS = [APerson, AClub, AJoin, ANote]


@pytest.fixture
def api(setup_models):
    setup_models(*MODELS)


def test_through_fields(api):
    ann = APerson.objects.create(name="ann")
    bob = APerson.objects.create(name="bob")
    club = AClub.objects.create(name="c")
    club.members.add(ann, through_defaults={"inviter": bob})
    assert list(club.members.all()) == [ann]
    assert list(ann.clubs.all()) == [club]
    assert list(bob.clubs.all()) == []
    assert list(APerson.objects.filter(invites__club=club)) == [bob]
    clubs = list(AClub.objects.prefetch_related("members"))
    assert list(clubs[0].members.all()) == [ann]
    bob.delete()
    assert AJoin.objects.count() == 0


def test_related_name_plus_and_placeholders(api):
    ann = APerson.objects.create(name="ann")
    AClub.objects.create(name="c", hidden=ann)
    assert not hasattr(ann, "+")
    ANote.objects.create(owner=ann, text="t")
    assert [n.text for n in ann.assoc_s14a_anote_set.all()] == ["t"]
    ann.delete()
    assert AClub.objects.count() == 0 and ANote.objects.count() == 0


def test_prefetch_lookup_twice_with_different_querysets(api):
    ann = APerson.objects.create(name="ann")
    with pytest.raises(ValueError):
        list(APerson.objects.prefetch_related(
            Prefetch("joins", queryset=AJoin.objects.all()),
            Prefetch("joins", queryset=AJoin.objects.filter(club=None)),
        ))
    assert ann


def test_prefetch_to_attr_clashing_with_a_field(api):
    APerson.objects.create(name="ann")
    with pytest.raises(ValueError, match="conflicts with a field"):
        list(APerson.objects.prefetch_related(Prefetch("joins", to_attr="joins")))


def test_prefetch_none_clears_and_slicing(api):
    ann = APerson.objects.create(name="ann")
    APerson.objects.create(name="bob")
    club = AClub.objects.create(name="c")
    club.members.add(ann)
    qs = APerson.objects.prefetch_related("clubs").prefetch_related(None)
    people = list(qs)
    with orm.capture_queries() as queries:
        list(people[0].clubs.all())
    assert len(queries) == 1
    first = APerson.objects.prefetch_related("clubs").first()
    with orm.capture_queries() as queries:
        assert list(first.clubs.all()) == [club]
    assert len(queries) == 0
    sliced = list(APerson.objects.prefetch_related("clubs")[1:])
    with orm.capture_queries() as queries:
        assert list(sliced[0].clubs.all()) == []
    assert len(queries) == 0


def test_prefetch_related_objects_function(api):
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    club.members.add(ann)
    people = list(APerson.objects.all())
    orm.prefetch_related_objects(people, "clubs")
    with orm.capture_queries() as queries:
        assert list(people[0].clubs.all()) == [club]
    assert len(queries) == 0


def test_select_related_none_and_defer(api):
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    AJoin.objects.create(club=club, person=ann)
    join = AJoin.objects.select_related("person").select_related(None).get()
    with orm.capture_queries() as queries:
        assert join.person.name == "ann"
    assert len(queries) == 1
    rows = list(AJoin.objects.select_related("person").values("person__name"))
    assert rows == [{"person__name": "ann"}]


def test_m2m_through_create_requires_required_fields(api):
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    club.members.set([ann])
    assert list(club.members.all()) == [ann]
    club.members.clear()
    assert AJoin.objects.count() == 0
    p = club.members.create(name="zed")
    assert list(p.clubs.all()) == [club]
