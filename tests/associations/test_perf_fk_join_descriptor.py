"""The forward descriptor's generated getter behaves as the general one.

Once a foreign key's target is known, its ``ForwardManyToOneDescriptor`` (a
``property``) gets a getter written for its names
(associations/descriptors.py). A descriptor subclass keeps the general one:
the same steps run on a model of each kind, and what they see (values,
errors, queries) must match.
"""

from __future__ import annotations

import pytest

import orm
from associations.descriptors import ForwardManyToOneDescriptor, ForwardOneToOneDescriptor


class KeptDescriptor(ForwardManyToOneDescriptor):
    """A subclass: its getter is not replaced, so it runs the general one."""


class KeptForeignKey(orm.ForeignKey):
    descriptor_attribute = KeptDescriptor


class Target(orm.Model):
    name = orm.CharField(max_length=30)
    code = orm.CharField(max_length=20, unique=True)

    class Meta:
        app_label = "perffkdescriptor"


class Generated(orm.Model):
    label = orm.CharField(max_length=30)
    target = orm.ForeignKey(Target, on_delete=orm.CASCADE, related_name="generated")
    spare = orm.ForeignKey(Target, on_delete=orm.SET_NULL, null=True, related_name="generated_spares")
    by_code = orm.ForeignKey(
        Target, on_delete=orm.CASCADE, to_field="code", null=True, related_name="generated_codes"
    )

    class Meta:
        app_label = "perffkdescriptor"


class General(orm.Model):
    label = orm.CharField(max_length=30)
    target = KeptForeignKey(Target, on_delete=orm.CASCADE, related_name="general")
    spare = KeptForeignKey(Target, on_delete=orm.SET_NULL, null=True, related_name="general_spares")
    by_code = KeptForeignKey(
        Target, on_delete=orm.CASCADE, to_field="code", null=True, related_name="general_codes"
    )

    class Meta:
        app_label = "perffkdescriptor"


class Sheet(orm.Model):
    target = orm.OneToOneField(Target, on_delete=orm.CASCADE, related_name="sheet")

    class Meta:
        app_label = "perffkdescriptor"


@pytest.fixture
def targets(setup_models):
    setup_models(Target, Generated, General, Sheet)
    return [Target.objects.create(name=f"t{i}", code=f"c{i}") for i in range(3)]


def _name(value):
    return None if value is None else value.name


def _scenario(model, targets) -> list:
    """The same accesses on ``model``: what each gave and how many queries it ran."""
    first, second, third = targets
    seen: list = []

    def look(step, read):
        with orm.capture_queries() as queries:
            try:
                value = read()
            except Exception as error:  # noqa: BLE001 - the error is what is compared
                value = type(error).__mro__[1].__name__, str(error).replace(model.__name__, "<model>")
        seen.append((step, value, len(queries)))

    model.objects.create(label="a", target=first, spare=None, by_code=second)
    obj = model.objects.get(label="a")
    look("first read", lambda: _name(obj.target))
    look("cached read", lambda: _name(obj.target))
    look("null key", lambda: _name(obj.spare))
    look("to_field", lambda: _name(obj.by_code))
    look("to_field cached", lambda: _name(obj.by_code))
    obj.target_id = second.pk
    look("changed key", lambda: _name(obj.target))
    obj.spare_id = third.pk
    look("null key set", lambda: _name(obj.spare))
    obj.spare_id = None
    look("key set back to null", lambda: _name(obj.spare))
    obj.by_code_id = "c2"
    look("to_field changed", lambda: _name(obj.by_code))
    unsaved = Target(name="late", code=f"late{model.__name__}")
    obj.target = unsaved
    look("unsaved assigned", lambda: (_name(obj.target), obj.target_id))
    unsaved.save()
    look("assigned then saved", lambda: (_name(obj.target), obj.target_id))
    obj.save()
    look("saved", lambda: (_name(obj.target), model.objects.get(pk=obj.pk).target_id == unsaved.pk))
    fresh = model(label="b")
    look("missing required", lambda: _name(fresh.target))
    joined = model.objects.select_related("target", "spare", "by_code").get(label="a")
    look("select_related", lambda: (_name(joined.target), _name(joined.spare), _name(joined.by_code)))
    joined.target_id = first.pk
    look("select_related then changed", lambda: _name(joined.target))
    return seen


def test_the_generated_get_sees_what_the_general_one_sees(targets):
    generated = _scenario(Generated, targets)
    general = _scenario(General, targets)
    assert generated == general
    assert ("cached read", "t0", 0) in generated and ("changed key", "t1", 1) in generated
    generated_get = Generated.__dict__["target"].fget
    assert generated_get.__code__.co_filename == "<ForwardManyToOneDescriptor for target>"
    kept = General.__dict__["target"]
    assert type(kept) is KeptDescriptor and kept.fget == kept._get


def test_the_generated_class_keeps_the_descriptor_api(targets):
    Generated.objects.create(label="x", target=targets[0])
    Generated.objects.get(label="x").target  # noqa: B018 - the first read generates
    descriptor = Generated.target
    assert isinstance(descriptor, ForwardManyToOneDescriptor)
    assert type(descriptor).__name__ == "ForwardManyToOneDescriptor"
    assert descriptor.field is Generated._meta.get_field("target")
    assert issubclass(descriptor.RelatedObjectDoesNotExist, Target.DoesNotExist)
    with pytest.raises(Generated.target.RelatedObjectDoesNotExist):
        Generated(label="y").target  # noqa: B018


def test_one_to_one_reads_through_the_generated_get(targets):
    Sheet.objects.create(target=targets[1])
    sheet = Sheet.objects.get()
    assert sheet.target.name == "t1"
    assert isinstance(Sheet.target, ForwardOneToOneDescriptor)
    with orm.capture_queries() as queries:
        assert sheet.target.name == "t1"
        joined = Sheet.objects.select_related("target").get()
    assert len(queries) == 1
    with orm.capture_queries() as queries:
        assert joined.target.sheet is joined
    assert not queries
