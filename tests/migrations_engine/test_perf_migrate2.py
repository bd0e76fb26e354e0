"""CreateModel's leaner constructor keeps what it stores and rejects; graph plans keep their order."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orm
from migrations_engine import migrations
from migrations_engine.graph import MigrationGraph


def test_create_model_normalises_its_arguments_as_before():
    fields = {"id": orm.BigAutoField(primary_key=True), "name": orm.CharField(max_length=5)}
    for options, bases, managers in [
        (None, None, None),
        ({}, (), []),
        ({"ordering": ["name"]}, ["orm.Model"], [("objects", orm.Manager())]),
    ]:
        operation = migrations.CreateModel("Thing", fields, options, bases, managers)
        assert operation.fields == list(fields.items())
        assert operation.options == dict(options or {}) and operation.options is not options
        assert operation.bases == tuple(bases or ("orm.Model",))
        assert operation.managers == list(managers or []) and operation.managers is not managers
    listed = [("a", orm.IntegerField()), ("b", orm.IntegerField())]
    operation = migrations.CreateModel(name="Pair", fields=listed)
    assert operation.fields == listed and operation.fields is not listed
    assert operation.deconstruct() == ("CreateModel", [], {"name": "Pair", "fields": listed})


def test_create_model_still_rejects_duplicates_and_bad_entries():
    field = orm.IntegerField()
    with pytest.raises(ValueError, match=r"duplicate field name\(s\) \['a'\]"):
        migrations.CreateModel("Twice", [("a", field), ("b", field), ("a", field)])
    with pytest.raises(ValueError):
        migrations.CreateModel("Bad", [("a", field, "extra")])


@st.composite
def dags(draw):
    """A random migration graph: nodes over a few apps, edges only from earlier to later nodes."""
    count = draw(st.integers(min_value=1, max_value=14))
    apps = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=count, max_size=count))
    nodes = [(app, f"{number:04d}_m") for number, app in enumerate(apps)]
    edges = draw(st.lists(
        st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(lambda pair: pair[0] < pair[1]),
        max_size=30,
    ))
    order = draw(st.permutations(nodes))
    return nodes, order, [(nodes[parent], nodes[child]) for parent, child in edges]


@settings(max_examples=150, deadline=None)
@given(dags())
def test_plans_equal_the_sort_of_the_graph_view(dag):
    nodes, order, edges = dag
    graph = MigrationGraph()
    for node in order:
        graph.add_node(node, None)
    for parent, child in edges:
        graph.add_dependency(child, parent)
    for target in nodes:
        ancestors = nx.ancestors(graph.graph, target) | {target}
        assert graph.forwards_plan(target) == list(
            nx.lexicographical_topological_sort(graph.graph.subgraph(ancestors))
        )
        descendants = nx.descendants(graph.graph, target) | {target}
        assert graph.backwards_plan(target) == list(
            reversed(list(nx.lexicographical_topological_sort(graph.graph.subgraph(descendants))))
        )
