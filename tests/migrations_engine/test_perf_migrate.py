"""``migrate``'s SQL text after issue 8's trims: the same statements as before, on every backend.

The schema editor builds a column definition as one string (no parts list;
``default_sql`` asked only when the column has a default) and an index
without ``ASC``/``DESC`` orders without the per-column order checks. The
oracles below are the previous implementations, kept verbatim.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.errors import NotSupportedError, ProgrammingError
from backends.schema import NOT_PROVIDED, Column, ForeignKeyRef, Index


def _old_column_sql(editor, column, inline_constraints=None):
    inline = (
        editor.inline_column_constraints if inline_constraints is None else inline_constraints
    )
    parts = [editor.quote_name(column.name), column.type]
    default = editor.default_sql(column)
    if default is not None:
        parts.append("DEFAULT " + default)
    parts.append("NULL" if column.null and not column.primary_key else "NOT NULL")
    if column.primary_key:
        parts.append("PRIMARY KEY")
        if column.autoincrement and editor.dialect.autoincrement_suffix:
            parts.append(editor.dialect.autoincrement_suffix)
    elif column.unique:
        parts.append("UNIQUE")
    if inline and column.check_sql:
        parts.append(f"CHECK ({column.check_sql})")
    if inline and column.references is not None:
        parts.append(editor.references_sql(column.references))
    return " ".join(parts)


def _old_index_sql(editor, table, index):
    if index.condition_sql and not editor.dialect.supports_partial_indexes:
        raise NotSupportedError("partial")
    columns = []
    for position, column in enumerate(index.columns):
        order = index.orders[position] if position < len(index.orders) else ""
        if order and order.upper() not in ("ASC", "DESC"):
            raise ProgrammingError(f"index {index.name!r}: order must be ASC or DESC")
        columns.append(editor.quote_name(column) + (f" {order.upper()}" if order else ""))
    sql = (
        f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {editor.quote_name(index.name)} "
        f"ON {editor.quote_name(table)} ({', '.join(columns)})"
    )
    if index.condition_sql:
        sql += f" WHERE {index.condition_sql}"
    return sql


names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
defaults = st.one_of(
    st.just(NOT_PROVIDED), st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
)
references = st.one_of(st.none(), st.builds(
    ForeignKeyRef, names, names, st.booleans(), st.sampled_from([None, "CASCADE", "SET NULL"])
))
columns = st.builds(
    Column, names, st.sampled_from(["integer", "varchar(20)", "text", "bigint"]), st.booleans(),
    st.booleans(), st.booleans(), st.booleans(), defaults,
    st.one_of(st.none(), st.just("0"), st.just("CURRENT_TIMESTAMP")),
    st.one_of(st.none(), st.just('"x" >= 0')), references,
)
orders = st.sampled_from(["ASC", "DESC", "asc", "", "sideways"])
indexes = st.builds(
    Index, names, st.lists(names, min_size=1, max_size=3).map(tuple), st.booleans(),
    st.one_of(st.none(), st.just('"a" > 0')), st.lists(orders, max_size=3).map(tuple),
)
FIXTURE = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture],
                   deadline=None)


@FIXTURE
@given(column=columns, inline=st.sampled_from([None, True, False]))
def test_column_sql_is_the_old_text(db, column, inline):
    editor = db.schema_editor(collect_sql=True)
    assert editor.column_sql(column, inline) == _old_column_sql(editor, column, inline)


def _outcome(build):
    try:
        return build()
    except (NotSupportedError, ProgrammingError) as error:
        return type(error)


@FIXTURE
@given(table=names, index=indexes)
def test_index_sql_is_the_old_text(db, table, index):
    editor = db.schema_editor(collect_sql=True)
    assert _outcome(lambda: editor.index_sql(table, index)) == _outcome(
        lambda: _old_index_sql(editor, table, index)
    )


# -- table descriptions -------------------------------------------------------------------

SHOP_MODELS = '''
class Brand(orm.Model):
    code = orm.CharField(max_length=10, primary_key=True)
    name = orm.CharField(max_length=50, unique=True)


class Item(orm.Model):
    title = orm.CharField(max_length=40, db_index=True, db_column="item_title")
    price = orm.DecimalField(max_digits=8, decimal_places=2, null=True)
    stock = orm.PositiveIntegerField(default=0)
    made = orm.DateTimeField(db_default=orm.Now())
    note = orm.TextField(default="it's")
    brand = orm.ForeignKey(Brand, on_delete=orm.CASCADE)
    by_name = orm.ForeignKey(Brand, on_delete=orm.SET_NULL, null=True, to_field="name",
                             related_name="named_items", db_constraint=False)
    parent = orm.ForeignKey("self", on_delete=orm.CASCADE, null=True, db_index=False,
                            related_name="children")
    tags = orm.ManyToManyField(Brand, related_name="tagged_items")

    class Meta:
        db_table = "shop_items"
        unique_together = [("title", "brand")]
        indexes = [orm.Index(fields=["-price", "title"], name="item_price_title")]
        constraints = [orm.CheckConstraint(condition=orm.Q(stock__lte=1000), name="stock_cap")]


class Special(Item):
    class Meta:
        proxy = True


class Pin(orm.Model):
    item = orm.OneToOneField(Special, on_delete=orm.CASCADE)
    sku = orm.SlugField(unique=True, db_default="x")
'''


def _old_table_for_model_state(model_state, project_state, connection):
    """``schema.table_for_model_state`` before issue 8 (column_for_field per field)."""
    from backends.schema import Table
    from migrations_engine import schema

    table = model_state.db_table
    columns = []
    indexes = []
    for name, field in model_state.fields.items():
        if getattr(field, "many_to_many", False) or not getattr(field, "concrete", True):
            continue
        field = schema.bound_field(field, name)
        columns.append(schema.column_for_field(model_state, name, field, project_state, connection))
        if field.db_index and not field.primary_key and not field.unique:
            indexes.append(Index(schema.field_index_name(table, field.column), (field.column,)))
    for index in model_state.options.get("indexes") or []:
        indexes.append(schema.index_description(model_state, index, project_state, connection))
    constraints = schema.unique_together_constraints(model_state)
    for constraint in model_state.options.get("constraints") or []:
        constraints.append(
            schema.constraint_description(model_state, constraint, project_state, connection)
        )
    return Table(table, tuple(columns), tuple(indexes), tuple(constraints))


def test_table_descriptions_equal_the_old_composition(tmp_path, db_url):
    from migrations_engine import schema
    from migrations_engine.state import ProjectState
    from tests.migrations_engine.runtime_project import Project

    project = Project(tmp_path, db_url)
    try:
        project.app("shop", models=SHOP_MODELS)
        project.configure()
        import importlib

        importlib.import_module("shop.models")
        connection = project.connection
        fresh = ProjectState.from_registry(app_labels={"shop"})
        old = ProjectState.from_registry(app_labels={"shop"})
        described = 0
        for key, model_state in fresh.models.items():
            if not model_state.has_table:
                continue
            table = schema.table_for_model_state(model_state, fresh, connection)
            assert table == _old_table_for_model_state(old.models[key], old, connection)
            assert schema.junction_tables_for(model_state, fresh, connection) == [
                junction for name, field in old.models[key].fields.items()
                if (junction := schema.junction_table_for_field(
                    old.models[key], name, field, old, connection)) is not None
            ]
            described += 1
        assert described == 3
    finally:
        project.close()
