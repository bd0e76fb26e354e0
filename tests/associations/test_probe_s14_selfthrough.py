"""Symmetrical self many-to-many through an explicit model, and a custom junction table (H3, session 14)."""

from __future__ import annotations

import pytest

import orm


class TPerson(orm.Model):
    name = orm.CharField(max_length=30)
    friends = orm.ManyToManyField("self", through="TFriendship", symmetrical=True)
    likes = orm.ManyToManyField("TPerson", db_table="assoc_s14t_likes_custom", symmetrical=False, related_name="liked_by")

    class Meta:
        app_label = "assoc_s14t"
        ordering = ["name"]


class TFriendship(orm.Model):
    from_person = orm.ForeignKey(TPerson, on_delete=orm.CASCADE, related_name="+")
    to_person = orm.ForeignKey(TPerson, on_delete=orm.CASCADE, related_name="+")
    since = orm.IntegerField(default=2000)

    class Meta:
        app_label = "assoc_s14t"


@pytest.fixture
def people(setup_models):
    setup_models(TPerson, TFriendship)


def test_symmetrical_through(people):
    a = TPerson.objects.create(name="a")
    b = TPerson.objects.create(name="b")
    a.friends.add(b, through_defaults={"since": 2010})
    assert list(b.friends.all()) == [a]
    assert sorted(TFriendship.objects.values_list("since", flat=True)) == [2010, 2010]
    b.friends.remove(a)
    assert list(a.friends.all()) == []
    assert TFriendship.objects.count() == 0


def test_custom_junction_table(people):
    a = TPerson.objects.create(name="a")
    b = TPerson.objects.create(name="b")
    a.likes.add(b)
    assert TPerson.likes.through._meta.db_table == "assoc_s14t_likes_custom"
    assert list(b.liked_by.all()) == [a]
    assert list(TPerson.objects.filter(likes=b)) == [a]
    people = list(TPerson.objects.prefetch_related("likes", "liked_by"))
    assert [list(p.likes.all()) for p in people] == [[b], []]
    assert [list(p.liked_by.all()) for p in people] == [[], [a]]
