"""Properties: random operation sequences are undone exactly; state replay of a big history."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from migrations_engine import migrations
from migrations_engine.loader import replay
from migrations_engine.migration import Migration
from migrations_engine.optimizer import optimize
from migrations_engine.state import ProjectState
from tests.migrations_engine.runtime_project import snapshot

APP = "prop"


def _base_operations():
    return [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", orm.BigAutoField(primary_key=True)),
                ("name", orm.CharField(max_length=20)),
            ],
        )
    ]


def _field(kind: str, size: int):
    if kind == "int_null":
        return orm.IntegerField(null=True)
    if kind == "int_default":
        return orm.IntegerField(default=size)
    if kind == "char":
        return orm.CharField(max_length=size, null=True)
    return orm.BooleanField(default=False)


@st.composite
def operation_sequences(draw):
    """Valid operations against a state that starts with model Item(id, name)."""
    fields = {"name"}
    indexed: dict[str, str] = {}
    models = ["Item"]
    operations = []
    counter = 0
    for _ in range(draw(st.integers(1, 6))):
        counter += 1
        free = sorted(f for f in fields if f not in indexed.values())
        choice = draw(st.sampled_from(
            ["add", "add", "alter", "rename", "remove", "index", "unindex", "model", "rename_model"]
        ))
        if choice == "add" or (not free and choice in ("alter", "rename", "remove")):
            name = f"f{counter}"
            kind = draw(st.sampled_from(["int_null", "int_default", "char", "bool"]))
            operations.append(migrations.AddField(
                models[0], name, _field(kind, draw(st.integers(1, 30)))
            ))
            fields.add(name)
        elif choice == "alter":
            name = draw(st.sampled_from(free))
            operations.append(migrations.AlterField(
                models[0], name,
                orm.CharField(max_length=draw(st.integers(20, 40)), null=draw(st.booleans()),
                              default="x"),
            ))
        elif choice == "rename":
            name = draw(st.sampled_from(free))
            operations.append(migrations.RenameField(models[0], name, f"r{counter}"))
            fields.remove(name)
            fields.add(f"r{counter}")
        elif choice == "remove":
            name = draw(st.sampled_from(free))
            operations.append(migrations.RemoveField(models[0], name))
            fields.remove(name)
        elif choice == "index" and fields - set(indexed.values()):
            name = draw(st.sampled_from(sorted(fields - set(indexed.values()))))
            index_name = f"prop_idx_{counter}"
            operations.append(migrations.AddIndex(
                models[0], orm.Index(fields=[name], name=index_name)
            ))
            indexed[index_name] = name
        elif choice == "unindex" and indexed:
            index_name = draw(st.sampled_from(sorted(indexed)))
            operations.append(migrations.RemoveIndex(models[0], index_name))
            del indexed[index_name]
        elif choice == "model":
            operations.append(migrations.CreateModel(
                name=f"Part{counter}",
                fields=[
                    ("id", orm.BigAutoField(primary_key=True)),
                    ("item", orm.ForeignKey(f"{APP}.{models[0]}", on_delete=orm.CASCADE)),
                ],
            ))
        elif choice == "rename_model":
            new = f"Item{counter}"
            operations.append(migrations.RenameModel(models[0], new))
            models[0] = new
    return operations


@settings(
    max_examples=12, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=operation_sequences())
def test_random_operations_forwards_then_backwards_restore_the_schema(db, operations):
    state = ProjectState()
    base = Migration("0001_initial", APP)
    base.operations = _base_operations()
    with db.schema_editor() as editor:
        base.apply(state, editor)
    try:
        start = snapshot(db)
        migration = Migration("0002_random", APP)
        migration.operations = operations
        before = state.clone()
        with db.schema_editor() as editor:
            migration.apply(state, editor)
        with db.schema_editor() as editor:
            migration.unapply(before, editor)
        assert snapshot(db) == start, [op.describe() for op in operations]
    finally:
        for table in sorted(db.introspection.table_names(), key=lambda t: t == "prop_item"):
            with db.schema_editor() as editor:
                editor.drop_table(table)


@given(operations=operation_sequences())
@settings(max_examples=40, deadline=None)
def test_optimized_operations_reach_the_same_state(operations):
    base = _base_operations()
    full = ProjectState()
    for operation in [*base, *operations]:
        operation.state_forwards(APP, full)
    optimized = optimize([*base, *operations], APP)
    assert len(optimized) <= len(base) + len(operations)
    short = ProjectState()
    for operation in optimized:
        operation.state_forwards(APP, short)
    assert short == full


def test_create_then_add_field_folds_into_create_model():
    operations = [
        *_base_operations(),
        migrations.AddField("item", "price", orm.IntegerField(null=True)),
        migrations.RenameField("item", "price", "cost"),
        migrations.AddField("item", "tmp", orm.IntegerField(null=True)),
        migrations.RemoveField("item", "tmp"),
    ]
    optimized = optimize(operations, APP)
    assert len(optimized) == 1
    assert [name for name, _ in optimized[0].fields] == ["id", "name", "cost"]


def test_state_replay_of_a_thousand_model_history_is_fast():
    history = []
    for number in range(10):
        migration = Migration(f"{number:04d}_step", "big")
        operations = []
        for index in range(number * 100, number * 100 + 100):
            operations.append(migrations.CreateModel(
                name=f"Model{index}",
                fields=[
                    ("id", orm.BigAutoField(primary_key=True)),
                    ("name", orm.CharField(max_length=50)),
                    *([("previous", orm.ForeignKey(f"big.Model{index - 1}",
                                                    on_delete=orm.CASCADE))] if index else []),
                ],
            ))
            operations.append(migrations.AddField(
                f"model{index}", "count", orm.IntegerField(default=0)
            ))
        migration.operations = operations
        history.append(migration)
    started = time.perf_counter()
    state = ProjectState()
    for migration in history:
        replay(migration, state)
    elapsed = time.perf_counter() - started
    print(f"\nstate replay: 1000 models, 2000 operations in {elapsed * 1000:.1f} ms")
    assert len(state.models) == 1000
    assert list(state.get_model("big", "Model999").fields) == ["id", "name", "previous", "count"]
