"""Lookups whose SQL differs per backend match the same rows everywhere."""

from __future__ import annotations

import pytest

import orm


class Entry(orm.Model):
    name = orm.CharField(max_length=40)
    data = orm.JSONField(null=True)

    class Meta:
        app_label = "lookupportability"


MODELS = [Entry]


@pytest.fixture
def entries(models_db):
    Entry.objects.create(name="Ünïcode Straße", data={"owner": None, "n": 1})
    Entry.objects.create(name="ÉCOLE", data={"n": 2})
    Entry.objects.create(name="plain", data={"owner": {"name": "Ann"}})
    Entry.objects.create(name="none", data=None)


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def test_case_insensitive_lookups_fold_every_script(entries):
    assert names(Entry.objects.filter(name__iexact="ünïcode straße")) == ["Ünïcode Straße"]
    assert names(Entry.objects.filter(name__icontains="NÏC")) == ["Ünïcode Straße"]
    assert names(Entry.objects.filter(name__istartswith="éc")) == ["ÉCOLE"]
    assert names(Entry.objects.filter(name__iendswith="OLE")) == ["ÉCOLE"]
    assert names(Entry.objects.exclude(name__icontains="école")) == ["none", "plain", "Ünïcode Straße"]


def test_a_json_key_equal_to_none_means_json_null(entries):
    # As Django: key=None matches a JSON null; a missing key (or a NULL document) is key__isnull=True.
    assert names(Entry.objects.filter(data__owner=None)) == ["Ünïcode Straße"]
    assert names(Entry.objects.filter(data__owner__isnull=True)) == ["none", "ÉCOLE"]
    assert names(Entry.objects.filter(data__owner__isnull=False)) == ["plain", "Ünïcode Straße"]
    assert names(Entry.objects.exclude(data__owner=None)) == ["none", "plain", "ÉCOLE"]
