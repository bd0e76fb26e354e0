"""The writer: state -> file -> loaded -> the same state, byte-identical output, the file format."""

from __future__ import annotations

import datetime
import decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm
from migrations_engine import migrations
from migrations_engine.autodetector import detect_changes
from migrations_engine.migration import Migration
from migrations_engine.state import ModelState, ProjectState
from migrations_engine.writer import render_migration

names = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True).filter(
    lambda name: name not in {"id", "pk"} and not name.endswith("_"))
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def fields(draw, model_names: list[str]):
    kind = draw(st.sampled_from(
        ["char", "int", "decimal", "date", "datetime", "bool", "text", "json", "uuid", "fk"]))
    common = {}
    if draw(st.booleans()):
        common["null"] = True
    if draw(st.booleans()):
        common["db_index"] = True
    if draw(st.booleans()):
        common["help_text"] = draw(texts)
    if draw(st.booleans()):
        common["db_column"] = draw(names) + "_col"
    if kind == "char":
        choices = draw(st.none() | st.lists(st.tuples(texts, texts), min_size=1, max_size=3))
        return orm.CharField(max_length=draw(st.integers(1, 500)), choices=choices,
                             default=draw(st.none() | texts), **common)
    if kind == "int":
        return orm.IntegerField(default=draw(st.none() | st.integers(-(2**31), 2**31 - 1)),
                                unique=draw(st.booleans()), **common)
    if kind == "decimal":
        return orm.DecimalField(max_digits=10, decimal_places=2,
                                default=decimal.Decimal(draw(st.integers(-999, 999))) / 100,
                                **common)
    if kind == "date":
        return orm.DateField(default=draw(st.dates()), **common)
    if kind == "datetime":
        aware = draw(st.datetimes(timezones=st.just(datetime.timezone.utc)))
        return orm.DateTimeField(default=aware, **common)
    if kind == "bool":
        return orm.BooleanField(default=draw(st.booleans()), **common)
    if kind == "text":
        return orm.TextField(blank=True, **common)
    if kind == "json":
        return orm.JSONField(default=dict, **common)
    if kind == "uuid":
        return orm.UUIDField(default=draw(st.uuids()), **common)
    target = draw(st.sampled_from(model_names))
    action = draw(st.sampled_from([orm.CASCADE, orm.PROTECT, orm.SET_NULL, orm.DO_NOTHING]))
    return orm.ForeignKey(f"rt.{target}", on_delete=action, null=True, related_name="+")


@st.composite
def project_states(draw):
    model_names = draw(st.lists(names.map(str.capitalize), min_size=1, max_size=4, unique=True))
    state = ProjectState()
    for model_name in model_names:
        field_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
        model_fields = {"id": orm.BigAutoField(primary_key=True)}
        for field_name in field_names:
            model_fields[field_name] = draw(fields(model_names))
        options = {}
        plain = [n for n in field_names if not isinstance(model_fields[n], orm.ForeignKey)]
        if plain and draw(st.booleans()):
            options["ordering"] = [draw(st.sampled_from(plain))]
        if draw(st.booleans()):
            options["verbose_name"] = draw(texts)
        if plain and draw(st.booleans()):
            options["indexes"] = [orm.Index(fields=[plain[0]], name=f"{model_name.lower()}_ix")]
        if len(plain) > 1 and draw(st.booleans()):
            options["unique_together"] = [tuple(plain[:2])]
        if plain and draw(st.booleans()):
            options["constraints"] = [orm.CheckConstraint(
                condition=orm.Q(**{f"{plain[0]}__isnull": False}), name=f"{model_name}_c")]
        state.add_model(ModelState("rt", model_name, model_fields, options))
    return state


def load(text: str, name: str = "0001_initial", app_label: str = "rt") -> Migration:
    namespace: dict = {}
    exec(compile(text, f"{name}.py", "exec"), namespace)
    return namespace["Migration"](name, app_label)


def written(state: ProjectState) -> tuple[Migration, str]:
    migration = Migration("0001_initial", "rt")
    migration.operations = [step.operation for step in detect_changes(ProjectState(), state)]
    migration.initial = True
    return migration, render_migration(migration)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(project_states())
def test_state_to_file_to_state_round_trip(monkeypatch_timestamp, state):
    _migration, text = written(state)
    loaded = load(text)
    assert loaded.mutate_state(ProjectState()) == state
    assert render_migration(loaded) == text


def test_circular_foreign_keys_round_trip_with_the_closing_field_added_last(
        monkeypatch_timestamp):
    state = ProjectState()
    state.add_model(ModelState("rt", "B", {
        "id": orm.BigAutoField(primary_key=True),
        "a": orm.ForeignKey("rt.A", on_delete=orm.CASCADE, null=True, related_name="+"),
    }))
    state.add_model(ModelState("rt", "A", {
        "id": orm.BigAutoField(primary_key=True),
        "a": orm.ForeignKey("rt.B", on_delete=orm.CASCADE, null=True, related_name="+"),
        "a0": orm.CharField(max_length=3),
    }))
    _migration, text = written(state)
    replayed = load(text).mutate_state(ProjectState())
    # The history creates A without the field that closes the cycle and adds it after,
    # so its column comes last; states compare their fields regardless of order.
    assert list(replayed.get_model("rt", "A").fields) == ["id", "a0", "a"]
    assert replayed == state


@pytest.fixture
def monkeypatch_timestamp(monkeypatch):
    monkeypatch.setenv("MANOUCHE_MIGRATION_TIMESTAMP", "2026-11-21 12:00")


def sample_state() -> ProjectState:
    state = ProjectState()
    state.add_model(ModelState("blog", "Tag", {
        "id": orm.BigAutoField(primary_key=True),
        "name": orm.CharField(max_length=50, unique=True),
    }, {"ordering": ["name"]}))
    return state


def test_file_format_matches_the_spec(monkeypatch_timestamp):
    migration = Migration("0001_initial", "blog")
    migration.initial = True
    migration.dependencies = [("contenttypes", "0001_initial"), ("blog", "0001_initial")]
    migration.operations = [step.operation for step in detect_changes(ProjectState(),
                                                                        sample_state())]
    assert render_migration(migration) == '''\
# Generated by manouche 0.1.0 on 2026-11-21 12:00
import orm
from migrations_engine import migrations

class Migration(migrations.Migration):
    initial = True
    dependencies = [("blog", "0001_initial"), ("contenttypes", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", orm.BigAutoField(primary_key=True)),
                ("name", orm.CharField(max_length=50, unique=True)),
            ],
            options={"ordering": ["name"]},
        ),
    ]
'''


def test_same_input_gives_byte_identical_output_and_the_timestamp_varies_alone(monkeypatch):
    monkeypatch.setenv("MANOUCHE_MIGRATION_TIMESTAMP", "2026-11-21 12:00")
    first = written(sample_state())[1]
    second = written(sample_state())[1]
    assert first.encode() == second.encode()
    monkeypatch.setenv("MANOUCHE_MIGRATION_TIMESTAMP", "2030-01-01 00:00")
    third = written(sample_state())[1]
    assert third.splitlines()[1:] == first.splitlines()[1:] and third != first


def test_extra_imports_for_values_that_need_them(monkeypatch_timestamp):
    migration = Migration("0002_x", "blog")
    migration.dependencies = [("blog", "0001_initial")]
    migration.operations = [
        migrations.AddField(model_name="tag", name="when",
                            field=orm.DateField(default=datetime.date(2024, 1, 1))),
        migrations.AddField(model_name="tag", name="price",
                            field=orm.DecimalField(max_digits=5, decimal_places=2,
                                                   default=decimal.Decimal("1.00"))),
    ]
    text = render_migration(migration)
    assert text.splitlines()[1:5] == [
        "import datetime", "import decimal", "import orm",
        "from migrations_engine import migrations"]
    assert "initial = True" not in text
    load(text, "0002_x", "blog")


def test_nested_operations_and_run_python_render_and_load(monkeypatch_timestamp):
    migration = Migration("0003_y", "blog")
    migration.operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Tag")],
            database_operations=[migrations.RunSQL("DROP TABLE blog_tag", reverse_sql=None)],
        ),
        migrations.RunPython(datetime.date.today),
    ]
    text = render_migration(migration)
    assert "            state_operations=[\n                migrations.DeleteModel(" in text
    loaded = load(text, "0003_y", "blog")
    assert render_migration(loaded) == text
