"""Association probes: loading, caches and counts (H3, session 14)."""
from __future__ import annotations

import pytest

import orm
from orm import Prefetch

from .test_probe_s14_api import MODELS, AClub, AJoin, APerson
from .test_probe_s14_relations import MODELS as M2
from .test_probe_s14_relations import SCard, SOwner, SThing


@pytest.fixture
def b3(setup_models):
    setup_models(*MODELS, *M2)


def test_reverse_one_to_one_setter(b3):
    o = SOwner.objects.create(name="o")
    card = SCard(number=1)
    o.card = card
    assert card.owner is o and card.owner_id == o.pk
    card.save()
    assert SOwner.objects.get().card.number == 1


def test_prefetch_queryset_with_select_related(b3):
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    AJoin.objects.create(club=club, person=ann, inviter=ann)
    clubs = list(AClub.objects.prefetch_related(Prefetch("ajoin_set", queryset=AJoin.objects.select_related("inviter"))))
    with orm.capture_queries() as queries:
        assert clubs[0].ajoin_set.all()[0].inviter.name == "ann"
        assert clubs[0].ajoin_set.all()[0].club is clubs[0]
    assert len(queries) == 0


def test_fk_cache_after_save_of_new_parent(b3):
    o = SOwner.objects.create(name="o")
    t = SThing.objects.create(name="t", owner=o)
    assert t.owner is o
    fetched = SThing.objects.get()
    owner = fetched.owner
    assert fetched.owner is owner
    assert list(owner.things.all())[0].owner_id == owner.pk


def test_reverse_fk_prefetch_sets_back_reference(b3):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="t", owner=o)
    owners = list(SOwner.objects.prefetch_related("things"))
    with orm.capture_queries() as queries:
        assert owners[0].things.all()[0].owner is owners[0]
    assert len(queries) == 0
    owner = SOwner.objects.get()
    things = list(owner.things.all())
    with orm.capture_queries() as queries:
        assert things[0].owner is owner
    assert len(queries) == 0


def test_exists_and_first_on_prefetched(b3):
    o = SOwner.objects.create(name="o")
    SThing.objects.create(name="t", owner=o)
    owners = list(SOwner.objects.prefetch_related("things"))
    with orm.capture_queries() as queries:
        assert owners[0].things.exists()
        assert owners[0].things.count() == 1
        assert owners[0].things.first().name == "t"
    assert len(queries) <= 1


def test_m2m_set_by_objects_of_other_type_fails(b3):
    club = AClub.objects.create(name="c")
    o = SOwner.objects.create(name="o")
    with pytest.raises(TypeError):
        club.members.set([o])


def test_delete_returns_counts_through_m2m(b3):
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    club.members.add(ann)
    total, per = club.delete()
    assert total == 2 and per == {"assoc_s14a.AClub": 1, "assoc_s14a.AJoin": 1}


def test_values_m2m_with_nulls(b3):
    APerson.objects.create(name="ann")
    assert list(APerson.objects.values_list("name", "clubs__name")) == [("ann", None)]


def test_one_to_one_duplicate_raises_integrity(b3):
    o = SOwner.objects.create(name="o")
    SCard.objects.create(owner=o)
    with pytest.raises(orm.IntegrityError):
        SCard.objects.create(owner=o)


def test_select_related_reverse_o2o_then_forward_chain(b3):
    o = SOwner.objects.create(name="o")
    SCard.objects.create(owner=o, number=2)
    SThing.objects.create(name="t", owner=o)
    thing = SThing.objects.select_related("owner__card").get()
    with orm.capture_queries() as queries:
        assert thing.owner.card.number == 2
        assert thing.owner.card.owner is thing.owner
    assert len(queries) == 0


def test_select_related_reverse_one_to_one_with_only(b3):
    o = SOwner.objects.create(name="o")
    SCard.objects.create(owner=o, number=2)
    owner = SOwner.objects.select_related("card").only("name").get()
    with orm.capture_queries() as queries:
        assert owner.card.number == 2
    assert len(queries) == 0


def test_writes_through_managers_drop_the_prefetched_list(b3):
    ann = APerson.objects.create(name="ann")
    bob = APerson.objects.create(name="bob")
    club = AClub.objects.prefetch_related("members").get(pk=AClub.objects.create(name="c").pk)
    assert list(club.members.all()) == []
    club.members.add(ann)
    assert list(club.members.all()) == [ann]
    club = AClub.objects.prefetch_related("members").get()
    club.members.remove(ann)
    assert list(club.members.all()) == []
    club = AClub.objects.prefetch_related("members").get()
    club.members.set([bob])
    assert list(club.members.all()) == [bob]
    club = AClub.objects.prefetch_related("members").get()
    club.members.clear()
    assert list(club.members.all()) == []
    o = SOwner.objects.create(name="o")
    owner = SOwner.objects.prefetch_related("things", "kept").get(pk=o.pk)
    owner.things.create(name="t")
    assert [t.name for t in owner.things.all()] == ["t"]
    thing = SThing.objects.get()
    owner.kept.add(thing)
    assert list(owner.kept.all()) == [thing]
    owner = SOwner.objects.prefetch_related("kept").get(pk=o.pk)
    owner.kept.remove(thing)
    assert list(owner.kept.all()) == []


def test_refresh_from_db_drops_prefetched_and_cached_relations(b3):
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    person = APerson.objects.prefetch_related("clubs").get()
    assert list(person.clubs.all()) == []
    club.members.add(ann)
    person.refresh_from_db()
    assert list(person.clubs.all()) == [club]
