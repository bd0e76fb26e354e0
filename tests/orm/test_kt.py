"""KT(): a JSON key path read as text, as Django's."""

from __future__ import annotations

import pytest

import orm


class KtDoc(orm.Model):
    data = orm.JSONField(null=True)

    class Meta:
        app_label = "ktdocs"


MODELS = [KtDoc]


@pytest.fixture
def docs(models_db):
    KtDoc.objects.bulk_create([
        KtDoc(data={"owner": {"name": "bob"}, "n": 7, "flag": True, "gone": None}),
        KtDoc(data={"owner": {"name": 'Alice "A"'}, "n": 12}),
        KtDoc(data={"other": 1}),
        KtDoc(data=None),
    ])


def test_kt_reads_the_value_unquoted(docs):
    rows = KtDoc.objects.annotate(owner=orm.KT("data__owner__name")).order_by("id").values_list("owner", flat=True)
    assert list(rows) == ["bob", 'Alice "A"', None, None]


def test_kt_non_string_values_come_as_text(docs):
    first = KtDoc.objects.annotate(
        n=orm.KT("data__n"), flag=orm.KT("data__flag"), gone=orm.KT("data__gone")
    ).order_by("id").first()
    assert (first.n, first.flag, first.gone) == ("7", "true", None)


def test_kt_filters_orders_and_feeds_functions(docs):
    annotated = KtDoc.objects.annotate(owner=orm.KT("data__owner__name"))
    assert [d.owner for d in annotated.filter(owner__icontains="ALI")] == ['Alice "A"']
    assert [d.owner for d in annotated.filter(owner__startswith="b")] == ["bob"]
    named = annotated.filter(owner__isnull=False).order_by("-owner")
    assert [d.owner for d in named] == ["bob", 'Alice "A"']
    shout = annotated.filter(owner="bob").annotate(loud=orm.Upper("owner")).get()
    assert shout.loud == "BOB"


def test_kt_needs_a_json_key(docs):
    with pytest.raises(ValueError, match="JSONField"):
        list(KtDoc.objects.annotate(x=orm.KT("id")))
