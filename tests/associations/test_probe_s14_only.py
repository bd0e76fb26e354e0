"""only() naming a field across a relation loads that relation's key (H3, session 14)."""

from __future__ import annotations

import pytest

import orm

from .test_probe_s14_api import MODELS, AClub, AJoin, APerson


@pytest.fixture
def joined(setup_models):
    setup_models(*MODELS)
    ann = APerson.objects.create(name="ann")
    club = AClub.objects.create(name="c")
    AJoin.objects.create(club=club, person=ann)


@pytest.mark.parametrize("fields", [("club_id", "person__name"), ("person__name",), ("club", "person__name")])
def test_only_across_select_related_loads_the_key(joined, fields):
    # Django puts "person" in the mask of only("person__name"): reading join.person must not
    # fetch the deferred person_id again (one query per row).
    joins = list(AJoin.objects.select_related("person").only(*fields))
    with orm.capture_queries() as queries:
        assert joins[0].person.name == "ann"
        assert joins[0].person_id == joins[0].person.pk
    assert len(queries) == 0


def test_only_across_a_relation_without_select_related(joined):
    join = AJoin.objects.only("person__name").get()
    with orm.capture_queries() as queries:
        assert join.person_id is not None
    assert len(queries) == 0
    assert join.get_deferred_fields() == {"club_id", "inviter_id"}


@pytest.mark.parametrize("build", [
    lambda: AJoin.objects.select_related("person").defer("person"),
    lambda: AJoin.objects.select_related("person").only("club"),
    lambda: AJoin.objects.select_related("person").defer("person_id"),
])
def test_a_deferred_key_cannot_be_traversed_by_select_related(joined, build):
    # As Django: the related row would be joined, then thrown away and fetched again per row.
    with pytest.raises(orm.FieldError, match="AJoin.person cannot be both deferred and traversed"):
        list(build())


def test_deferring_other_fields_or_the_related_ones_is_fine(joined):
    joins = list(AJoin.objects.select_related("person", "club").defer("inviter", "person__name"))
    assert joins[0].person.name == "ann"
    joins = list(AJoin.objects.select_related("person").only("person"))
    assert joins[0].person.name == "ann"
    people = list(APerson.objects.select_related().only("name"))
    assert people[0].name == "ann"
