"""The forward descriptor is a ``property`` (associations/descriptors.py): the same API as before.

Reading ``post.author`` calls the property's getter from C (the general
getter, then one generated for the field's names); assigning goes through
the descriptor's ``__set__``. What code sees of the descriptor must not
change: the class attribute, explicit ``__get__``/``__set__`` calls, a
subclass with its own ``__get__``, deleting, keyword arguments, one-to-one.
"""

from __future__ import annotations

import pytest

import orm
from associations.descriptors import ForwardManyToOneDescriptor, ForwardOneToOneDescriptor


class Shouting(ForwardManyToOneDescriptor):
    """A subclass with its own ``__get__`` calling the stock one."""

    def __get__(self, instance, owner=None):
        value = super().__get__(instance, owner)
        if instance is None or value is None:
            return value
        return ("loud", value.name)


class ShoutingForeignKey(orm.ForeignKey):
    descriptor_attribute = Shouting


class Writer(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "perfh3descriptor"


class Note(orm.Model):
    text = orm.CharField(max_length=30)
    writer = orm.ForeignKey(Writer, on_delete=orm.CASCADE, null=True, related_name="notes")
    loud = ShoutingForeignKey(Writer, on_delete=orm.CASCADE, null=True, related_name="loud_notes")

    class Meta:
        app_label = "perfh3descriptor"


class Profile(orm.Model):
    writer = orm.OneToOneField(Writer, on_delete=orm.CASCADE, related_name="profile")

    class Meta:
        app_label = "perfh3descriptor"


@pytest.fixture
def writers(setup_models):
    setup_models(Writer, Note, Profile)
    return [Writer.objects.create(name=name) for name in ("ann", "bob")]


def test_the_class_attribute_and_explicit_calls(writers):
    ann, bob = writers
    descriptor = Note.writer
    assert isinstance(descriptor, ForwardManyToOneDescriptor)
    assert descriptor is Note.__dict__["writer"]
    assert descriptor.__get__(None, Note) is descriptor
    note = Note.objects.create(text="n", writer=ann)
    fresh = Note.objects.get(pk=note.pk)
    assert descriptor.__get__(fresh, Note).name == "ann"
    assert fresh.writer.name == "ann"  # the generated getter from here on
    assert descriptor.field is Note._meta.get_field("writer")
    descriptor.__set__(fresh, bob)
    assert fresh.writer_id == bob.pk and fresh.writer is bob
    descriptor.fset(fresh, ann)
    assert fresh.writer_id == ann.pk and fresh.writer is ann
    assert descriptor.fget(fresh) is ann


def test_deleting_the_attribute_still_fails(writers):
    note = Note.objects.create(text="n", writer=writers[0])
    with pytest.raises(AttributeError):
        del note.writer
    assert note.writer.name == "ann"


def test_a_subclass_with_its_own_get(writers):
    ann, _bob = writers
    Note.objects.create(text="n", loud=ann)
    note = Note.objects.get()
    assert note.loud == ("loud", "ann")
    assert note.loud == ("loud", "ann")
    assert isinstance(Note.loud, Shouting)
    joined = Note.objects.select_related("loud").get()
    with orm.capture_queries() as queries:
        assert joined.loud == ("loud", "ann")
    assert not queries
    assert Note.objects.get().writer is None


def test_keyword_arguments_and_missing_objects(writers):
    ann, _bob = writers
    note = Note(text="k", writer=ann)
    assert note.writer is ann and note.writer_id == ann.pk
    note.save()
    assert Note.objects.get(pk=note.pk).writer.name == "ann"
    with pytest.raises(Profile.writer.RelatedObjectDoesNotExist):
        Profile().writer  # noqa: B018
    assert issubclass(Profile.writer.RelatedObjectDoesNotExist, AttributeError)


def test_one_to_one(writers):
    ann, bob = writers
    Profile.objects.create(writer=ann)
    profile = Profile.objects.get()
    assert isinstance(Profile.writer, ForwardOneToOneDescriptor)
    assert profile.writer.name == "ann"
    assert profile.writer.profile is profile
    profile.writer = bob
    assert profile.writer_id == bob.pk and bob.profile is profile
