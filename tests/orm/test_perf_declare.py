"""Declaring models: the reverse-relation indexes of ``_meta`` give the same clash errors as a full scan."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orm

_labels = itertools.count()


def new_app():
    """``(app_label, define)``: ``define(name, **attrs)`` builds a model of that app with ``type()``."""
    app = f"perf_declare_{next(_labels)}"
    meta = type("Meta", (), {"app_label": app})

    def define(name: str, **attrs):
        return type(name, (orm.Model,), {"__module__": __name__, "Meta": meta, **attrs})

    return app, define


def expected_clash(hub, owner: str, field_name: str, related_name: str | None, query_name: str | None):
    """The existing relation a new ``owner.field_name`` FK to ``hub`` clashes with, by scanning (or None)."""
    accessor = related_name or f"{owner.lower()}_set"
    query = query_name or related_name or owner.lower()
    for existing in hub._meta.related_objects:
        if existing.hidden:
            continue
        same_field = existing.field.model._meta.object_name == owner and existing.field.name == field_name
        current = orm.registry.all_models.get(existing.field.model._meta.app_label, {}).get(
            existing.field.model._meta.model_name
        )
        if same_field or (current is not None and current is not existing.field.model):
            continue
        if existing.get_accessor_name() == accessor or existing.query_name == query:
            clash = accessor if existing.get_accessor_name() == accessor else query
            return f"{hub.__name__}.{clash} clashes with the one of {existing.field.model.__name__}.{existing.field.name}"
    return None


def test_redefined_model_replaces_its_reverse_relation():
    app, model = new_app()
    Hub = model("Hub")
    first = model("Leaf", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="leaves"))
    model("Other", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="others"))
    second = model("Leaf", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="leaves"))
    assert second is not first
    assert [(rel.field.model.__name__, rel.get_accessor_name()) for rel in Hub._meta.related_objects] == [
        ("Other", "others"), ("Leaf", "leaves"),
    ]
    assert Hub._meta.get_field("leaves").field.model is second
    with pytest.raises(orm.ImproperlyConfigured, match=r"Hub\.leaves clashes with the one of Leaf\.hub"):
        model("Third", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="leaves"))


def test_first_registered_clash_is_reported_when_accessor_and_query_name_clash_with_two_relations():
    app, model = new_app()
    Hub = model("Hub")
    model("Alpha", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="items",
                                           related_query_name="things"))
    model("Beta", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="stuff"))
    with pytest.raises(orm.ImproperlyConfigured) as error:
        model("Gamma", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="stuff",
                                               related_query_name="things"))
    assert "Hub.things clashes with the one of Alpha.hub" in str(error.value)


def test_unregistered_model_frees_its_reverse_names():
    app, model = new_app()
    Hub = model("Hub")
    model("Gone", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="spare"))
    orm.registry.unregister_model(app, "gone")
    Kept = model("Kept", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="spare"))
    assert [rel.field.model for rel in Hub._meta.related_objects] == [Kept]


def test_related_objects_assigned_from_outside_is_reindexed():
    app, model = new_app()
    Hub = model("Hub")
    model("Old", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="shared"))
    Hub._meta.related_objects = []
    model("New", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="shared"))
    assert Hub._meta.reverse_relations_named("shared")[0].field.model.__name__ == "New"


def test_hidden_and_default_names():
    app, model = new_app()
    Hub = model("Hub")
    model("Quiet", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="+"))
    model("Quiet2", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="+"))
    Loud = model("Loud", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE))
    assert Hub._meta.reverse_relations_named("loud_set") == Hub._meta.reverse_relations_named("loud")
    assert [rel.field.model for rel in Hub._meta.reverse_relations_named("loud_set", "loud")] == [Loud]
    assert len(Hub._meta.related_objects) == 3
    with pytest.raises(orm.ImproperlyConfigured, match=r"Hub\.loud_set clashes with the one of Loud\.hub"):
        model("Other", hub=orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name="loud_set"))


# Each step: (owner model, related_name, related_query_name, unregister the owner first).
_steps = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),
        st.sampled_from([None, "x", "y", "a_set", "b", "+"]),
        st.sampled_from([None, "x", "b"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(_steps)
def test_clash_errors_match_a_scan_of_every_reverse_relation(steps):
    app, model = new_app()
    Hub = model("Hub")
    for owner, related_name, query_name, unregister in steps:
        if unregister:
            orm.registry.unregister_model(app, owner.lower())
        hidden = related_name == "+"
        expected = None if hidden else expected_clash(Hub, owner, "hub", related_name, query_name)
        field = orm.ForeignKey(Hub, on_delete=orm.CASCADE, related_name=related_name,
                               related_query_name=query_name)
        if expected is None:
            model(owner, hub=field)
        else:
            with pytest.raises(orm.ImproperlyConfigured) as error:
                model(owner, hub=field)
            assert expected in str(error.value)
        relations = Hub._meta.related_objects
        keys = [(rel.field.model.__name__, rel.field.name) for rel in relations]
        assert len(keys) == len(set(keys))


# -- field construction: the class's merged error messages are computed once -------------------


class _StrictField(orm.CharField):
    default_error_messages = {"blank": "Say something.", "strict": "Too loose."}


class _StricterField(_StrictField):
    pass


def test_field_error_messages_merge_the_class_chain_and_the_arguments():
    plain = orm.CharField(max_length=5)
    strict = _StrictField(max_length=5)
    custom = _StricterField(max_length=5, error_messages={"null": "No nulls."})
    assert plain.error_messages["blank"] == "This field cannot be blank."
    assert strict.error_messages["blank"] == "Say something." and strict.error_messages["strict"] == "Too loose."
    assert custom.error_messages["null"] == "No nulls." and custom.error_messages["strict"] == "Too loose."
    assert custom.error_messages["invalid_choice"] == plain.error_messages["invalid_choice"]
    # Each field owns its dict: changing one changes neither its class nor other fields.
    strict.error_messages["blank"] = "changed"
    assert _StrictField(max_length=5).error_messages["blank"] == "Say something."
    assert _StricterField(max_length=5).error_messages["null"] == "This field cannot be null."
    assert custom.deconstruct()[3]["error_messages"] == {"null": "No nulls."}


def test_fields_count_in_declaration_order_and_auto_created_ones_before_all():
    first, second = orm.IntegerField(), orm.CharField(max_length=3)
    auto_first, auto_second = orm.BigAutoField(primary_key=True, auto_created=True), orm.IntegerField(auto_created=True)
    third = orm.TextField()
    assert first.creation_counter < second.creation_counter < third.creation_counter
    assert auto_second.creation_counter < auto_first.creation_counter < 0 <= first.creation_counter
    assert sorted([third, auto_first, second, first, auto_second]) == [auto_second, auto_first, first, second, third]
