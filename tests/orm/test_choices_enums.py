"""TextChoices / IntegerChoices / Choices, as Django's, stored and queried on every backend."""

from __future__ import annotations

import enum

import pytest

import orm
from migrations_engine.serializer import serialize


class Status(orm.TextChoices):
    DRAFT = "d", "Draft"
    PUBLISHED = "p"
    IN_REVIEW = enum.auto()


class Level(orm.IntegerChoices):
    LOW = 1, "Low"
    HIGH = 2, "High"
    __empty__ = "(Unknown)"


class Quarter(orm.Choices):
    FIRST = 1.0, "First"
    SECOND = 2.0


class ChArticle(orm.Model):
    status = orm.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    level = orm.IntegerField(choices=Level, null=True, blank=True)

    class Meta:
        app_label = "chenum"


MODELS = [ChArticle]


def test_class_lists_and_members():
    assert Status.choices == [("d", "Draft"), ("p", "Published"), ("IN_REVIEW", "In Review")]
    assert Level.choices == [(None, "(Unknown)"), (1, "Low"), (2, "High")]
    assert Level.values == [None, 1, 2] and Level.labels == ["(Unknown)", "Low", "High"]
    assert Level.names == ["__empty__", "LOW", "HIGH"]
    assert Status.DRAFT == "d" and str(Status.DRAFT) == "d" and f"{Level.HIGH}" == "2"
    assert Status.DRAFT.label == "Draft" and repr(Status.DRAFT) == "Status.DRAFT"
    assert "p" in Status and "x" not in Status and Status.PUBLISHED in Status
    assert Level.LOW + 1 == 2 and Level(2) is Level.HIGH
    assert Quarter.FIRST.value == 1.0 and Quarter.SECOND.label == "Second"


def test_duplicate_values_are_refused():
    with pytest.raises(ValueError):
        class Twice(orm.TextChoices):  # noqa: F841 - the class statement is the test
            A = "a"
            B = "a"


def test_field_choices_come_from_the_class():
    field = ChArticle._meta.get_field("level")
    assert field.choices == [(None, "(Unknown)"), (1, "Low"), (2, "High")]


def test_members_are_stored_and_read_back_as_values(models_db):
    article = ChArticle.objects.create(level=Level.HIGH)
    assert article.status == Status.DRAFT
    fresh = ChArticle.objects.get(pk=article.pk)
    assert fresh.status == "d" and type(fresh.status) is str
    assert fresh.level == 2 and type(fresh.level) is int
    assert fresh.get_status_display() == "Draft" and fresh.get_level_display() == "High"


def test_members_filter_update_and_bulk_create(models_db):
    ChArticle.objects.bulk_create([ChArticle(status=Status.PUBLISHED, level=Level.LOW), ChArticle()])
    assert ChArticle.objects.filter(status=Status.PUBLISHED).count() == 1
    assert ChArticle.objects.filter(level__in=[Level.LOW, Level.HIGH]).count() == 1
    ChArticle.objects.filter(status=Status.DRAFT).update(status=Status.IN_REVIEW)
    assert sorted(ChArticle.objects.values_list("status", flat=True)) == ["IN_REVIEW", "p"]
    assert ChArticle.objects.filter(level__isnull=True).get().get_level_display() == "(Unknown)"


def test_full_clean_checks_the_choices(models_db):
    with pytest.raises(orm.ValidationError):
        ChArticle(status="zzz").full_clean()
    ChArticle(status=Status.PUBLISHED, level=Level.LOW).full_clean()


def test_migration_files_hold_values_not_the_enumeration():
    assert serialize(Status.PUBLISHED)[0] == '"p"'
    assert serialize(Level.HIGH)[0] == "2"
    field = ChArticle._meta.get_field("status")
    _name, _path, _args, kwargs = field.deconstruct()
    source, imports = serialize(kwargs["choices"])
    assert "Status" not in source and '"Draft"' in source
    assert serialize(kwargs["default"])[0] == '"d"'
