"""What ``migrate`` reuses since issue 8's last round gives what the plain calls give, on every backend.

* `SchemaEditor._column_definitions` remembers ``column_sql`` per column value
  (per editor class and dialect);
* `Field.column_description` looks a stock field's shared column up by dialect
  and attributes before deriving anything;
* DDL without parameters runs on the connection's reused cursor;
* `Migration.forward_steps` hands an operation whose ``database_forwards`` is
  marked `ignores_from_state` the state after it (no copy).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backends
import orm
from backends.base import schema_editor as base_editor
from backends.errors import DatabaseError
from backends.listeners import add_query_listener, remove_query_listener
from backends.schema import NOT_PROVIDED, Column, ForeignKeyRef
from migrations_engine import migrations
from migrations_engine.migration import ignores_from_state
from migrations_engine.recorder import MigrationRecorder
from migrations_engine.state import ProjectState

names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=10)
columns = st.builds(
    Column,
    name=names,
    type=st.sampled_from(["integer", "varchar(20)", "text", "bigint"]),
    null=st.booleans(),
    primary_key=st.booleans(),
    autoincrement=st.booleans(),
    unique=st.booleans(),
    default=st.one_of(st.just(NOT_PROVIDED), st.none(), st.integers(),
                      st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=5),
                      st.lists(st.integers(), max_size=2)),
    db_default_sql=st.one_of(st.none(), st.just("1 + 1")),
    check_sql=st.one_of(st.none(), st.just('"x" >= 0')),
    references=st.one_of(st.none(), st.builds(ForeignKeyRef, names, names, st.booleans())),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(columns, max_size=6))
def test_column_definitions_equal_column_sql(db, values):
    editor = db.schema_editor(collect_sql=True)
    shared = [*values, *values]  # the same column values again: the second time from the cache
    expected = [editor.column_sql(column) for column in shared]
    assert editor._column_definitions(shared) == expected
    assert db.schema_editor(collect_sql=True)._column_definitions(shared) == expected


def test_column_definitions_are_kept_per_editor_class_and_dialect(db):
    column = Column("c", "integer", False, False, False, False, NOT_PROVIDED, None, '"c" >= 0')
    editor = db.schema_editor(collect_sql=True)
    inline = editor.column_sql(column)
    assert editor._column_definitions([column]) == [inline]

    class Outlined(type(editor)):  # type: ignore[misc, valid-type]
        inline_column_constraints = False

    outlined = Outlined(db, collect_sql=True)
    assert outlined._column_definitions([column]) == [outlined.column_sql(column)]
    other = backends.connect("sqlite:///:memory:")
    try:
        sqlite_editor = other.schema_editor(collect_sql=True)
        assert sqlite_editor._column_definitions([column]) == [sqlite_editor.column_sql(column)]
    finally:
        other.close()
    assert editor._column_definitions([column]) == [inline]


def test_quoted_defaults_and_overriding_editors_are_written_each_time(db):
    editor = db.schema_editor(collect_sql=True)
    with_default = Column("d", "text", default="it's")
    assert editor._column_definitions([with_default]) == [editor.column_sql(with_default)]
    assert id(with_default) not in base_editor._COLUMN_SQL.get((type(editor), editor.dialect), {})

    class Commented(type(editor)):  # type: ignore[misc, valid-type]
        suffix = ""

        def column_sql(self, column, inline_constraints=None):
            return super().column_sql(column, inline_constraints) + self.suffix

    plain = Column("p", "integer")
    commented = Commented(db, collect_sql=True)
    assert commented._column_definitions([plain]) == [editor.column_sql(plain)]
    commented.suffix = " /* p */"
    assert commented._column_definitions([plain]) == [editor.column_sql(plain) + " /* p */"]


def test_a_reused_id_is_not_taken_for_another_column(db):
    editor = db.schema_editor(collect_sql=True)
    old = Column("old", "integer")
    new = Column("new", "text")
    cache = base_editor._COLUMN_SQL.setdefault((type(editor), editor.dialect), {})
    cache[id(new)] = (old, editor.column_sql(old))  # what a freed column at the same address left
    assert editor._column_definitions([new]) == [editor.column_sql(new)]


def test_column_definitions_stay_bounded(db, monkeypatch):
    monkeypatch.setattr(base_editor, "_COLUMN_SQL_MAX", 4)
    editor = db.schema_editor(collect_sql=True)
    values = [Column(f"c{number}", "integer") for number in range(10)]
    assert editor._column_definitions(values) == [editor.column_sql(column) for column in values]
    assert len(base_editor._COLUMN_SQL[(type(editor), editor.dialect)]) <= 4


def _oracle(field, connection) -> Column:
    return field._column_description(connection, None)


def test_shared_lookup_keeps_dialects_and_look_alike_sizes_apart(db):
    other = backends.connect("sqlite:///:memory:")
    try:
        for connection in (db, other, db):
            for make in (
                lambda: orm.BigAutoField(primary_key=True),
                lambda: orm.CharField(max_length=1),
                lambda: orm.CharField(max_length=True),
                lambda: orm.CharField(max_length=1.0),
                lambda: orm.DecimalField(max_digits=5, decimal_places=2),
                lambda: orm.PositiveIntegerField(null=1),
                lambda: orm.IntegerField(unique=True),
                lambda: orm.IntegerField(unique=1, primary_key=True),
            ):
                field = make()
                field.set_attributes_from_name("f")
                described = field.column_description(connection)
                assert described == _oracle(field, connection)
                assert repr(described) == repr(_oracle(field, connection))
    finally:
        other.close()


def test_ddl_on_the_reused_cursor_is_seen_and_translated(db):
    seen = []

    def listen(sql, params, vendor, alias):
        seen.append((sql, params))

    table, column = db.dialect.quote_name("reuse_t"), db.dialect.quote_name("id")
    create = f"CREATE TABLE {table} ({column} integer)"
    add_query_listener(listen)
    try:
        with db.schema_editor() as editor:
            editor.execute(create)
        assert (create, ()) in seen
        with pytest.raises(DatabaseError):  # the driver's error, translated as before
            with db.schema_editor() as editor:
                editor.execute(create)
        assert db.introspection.has_table("reuse_t")
        with db.schema_editor() as editor:
            editor.execute(f"INSERT INTO {table} ({column}) VALUES (%s)", (7,))
        assert [tuple(row) for row in db.fetch_all(f"SELECT {column} FROM {table}")] == [(7,)]
    finally:
        remove_query_listener(listen)


def test_recorded_time_keeps_its_text_form(db):
    recorded = []

    def listen(sql, params, vendor, alias):
        if "INSERT" in sql and params:
            recorded.append(params[2])

    recorder = MigrationRecorder(db)
    recorder.ensure_schema()
    add_query_listener(listen)
    try:
        recorder.record_applied("app", "0001_initial")
    finally:
        remove_query_listener(listen)
    assert len(recorded) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", recorded[0])


class _SpyCreateModel(migrations.CreateModel):
    """Overrides database_forwards (unmarked): it must be given its own state before."""

    seen: list = []

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self.seen.append((from_state, to_state))


class _MarkedSpy(migrations.CreateModel):
    seen: list = []

    @ignores_from_state
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self.seen.append((from_state, to_state))


def test_forward_steps_copy_the_state_unless_the_operation_ignores_it():
    fields = [("id", orm.BigAutoField(primary_key=True))]

    class Migration(migrations.Migration):
        operations = [
            migrations.CreateModel("First", fields=list(fields)),
            _SpyCreateModel("Second", fields=list(fields)),
            migrations.AddField("First", "extra", orm.IntegerField(default=0)),
            _MarkedSpy("Third", fields=list(fields)),
        ]

    state = ProjectState()
    steps = []
    for _operation, before, after in Migration("0001_initial", "app").forward_steps(state):
        steps.append((before is after, set(before.models), set(after.models)))
    assert steps[0][0] is True  # CreateModel: its database_forwards reads only to_state
    assert steps[1] == (False, {("app", "first")}, {("app", "first"), ("app", "second")})
    assert steps[2][0] is False  # AddField reads the state before it
    assert steps[3][0] is True
    assert migrations.CreateModel.database_forwards.ignores_from_state is True
    assert not getattr(_SpyCreateModel.database_forwards, "ignores_from_state", False)


def test_a_subclass_overriding_database_forwards_sees_the_state_before(tmp_path):
    _SpyCreateModel.seen.clear()
    fields = [("id", orm.BigAutoField(primary_key=True))]

    class Migration(migrations.Migration):
        operations = [_SpyCreateModel("Spied", fields=fields)]

    connection = backends.connect(f"sqlite:///{tmp_path / 'spy.sqlite3'}")
    try:
        with connection.schema_editor() as editor:
            Migration("0001_initial", "app").apply(ProjectState(), editor)
    finally:
        connection.close()
    (before, after), = _SpyCreateModel.seen
    assert not before.has_model("app", "Spied") and after.has_model("app", "Spied")
