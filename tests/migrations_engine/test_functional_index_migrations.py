"""Indexes and unique constraints on expressions through makemigrations and migrate, on the three backends.

MariaDB has no functional key parts: there they are left out with a
``SkippedConstraintWarning`` (as Django on MySQL < 8.0.13), and nothing else
changes (checkdb, makemigrations --check, unapplying).
"""

from __future__ import annotations

import warnings

import pytest

from backends.base.schema_editor import SkippedConstraintWarning
from backends.errors import IntegrityError
from migrations_engine.checkdb import compare_schema
from migrations_engine.state import ProjectState
from orm.registry import registry

from .authoring_project import AuthoringProject

V1 = """
class Book(orm.Model):
    title = orm.CharField(max_length=50)
    category = orm.CharField(max_length=20, default="")
    price = orm.IntegerField(default=0)
    pub_date = orm.DateField(null=True)

    class Meta:
        indexes = [
            orm.Index(orm.Lower("title").desc(), "pub_date", name="book_lower_title_idx"),
            orm.Index(orm.F("price") * 2, name="book_double_price_idx"),
        ]
        constraints = [
            orm.UniqueConstraint(orm.Lower("title"), "category", name="book_title_ci_uniq"),
        ]
"""

# The expression of an index changes (Lower -> Upper): RemoveIndex then AddIndex.
V2 = V1.replace('orm.Index(orm.Lower("title").desc()', 'orm.Index(orm.Upper("title").desc()')
# A column the expressions use is altered (a SQLite table rebuild), and a field is added.
V3 = V2.replace("max_length=50", "max_length=80") + """
    isbn = orm.CharField(max_length=13, default="")
"""
# The index direction alone changes.
V4 = V3.replace('orm.Upper("title").desc()', 'orm.Upper("title").asc()')

NAMES = {"book_lower_title_idx", "book_double_price_idx", "book_title_ci_uniq"}


@pytest.fixture
def project(tmp_path, db_url):
    project = AuthoringProject(tmp_path, db_url)
    yield project
    project.close()


def _migrate(project, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project.migrate(*args)
    return [str(w.message) for w in caught if issubclass(w.category, SkippedConstraintWarning)]


def _expression_indexes(project):
    return {
        index.name for index in project.connection.introspection.get_indexes("fidx_book")
        if index.expressions
    }


def _clean(project):
    live_state = ProjectState.from_registry(registry, app_labels={"fidx"})
    assert compare_schema(project.connection, live_state) == []
    code, output = project.makemigrations(check=True)
    assert (code, output.strip()) == (0, "No changes detected"), output


def _next(project, source):
    project.models("fidx", source)
    code, output = project.makemigrations("fidx")
    assert code == 0, output
    project.reload()
    return project.migration_text("fidx", project.migration_names("fidx")[-1])


def test_expression_indexes_migrate_survive_rebuilds_and_unapply(project, vendor):
    project.models("fidx", V1)
    code, output = project.makemigrations("fidx")
    assert code == 0, output
    text = project.migration_text("fidx", "0001_initial")
    assert 'orm.Index(orm.OrderBy(orm.Lower("title"), descending=True), orm.F("pub_date"), ' \
        'name="book_lower_title_idx")' in text, text
    assert 'orm.UniqueConstraint(orm.Lower("title"), orm.F("category"), ' \
        'name="book_title_ci_uniq")' in text, text
    skipped = _migrate(project)
    supported = vendor != "mysql"
    assert len(skipped) == (0 if supported else 3), skipped
    if not supported:
        assert any("indexes on expressions: index 'book_double_price_idx'" in m for m in skipped)
        assert any("unique constraints on expressions: 'book_title_ci_uniq'" in m for m in skipped)
    assert _expression_indexes(project) == (NAMES if supported else set())
    _clean(project)
    book = registry.get_model("fidx.Book")
    book.objects.create(title="Dune", category="sf")
    book.objects.create(title="DUNE", category="classic")
    if supported:
        with pytest.raises(IntegrityError):
            book.objects.create(title="dune", category="sf")

    text = _next(project, V2)
    assert "migrations.RemoveIndex(" in text and 'orm.Upper("title")' in text
    _migrate(project)
    assert _expression_indexes(project) == (NAMES if supported else set())
    _clean(project)

    _next(project, V3)
    _migrate(project)
    assert _expression_indexes(project) == (NAMES if supported else set())
    _clean(project)
    book = registry.get_model("fidx.Book")
    assert book.objects.count() == 2
    if supported:
        # The unique index still works after the rebuild of the table.
        with pytest.raises(IntegrityError):
            book.objects.create(title="dUnE", category="classic")

    text = _next(project, V4)
    assert "descending=False" in text or 'orm.OrderBy(orm.Upper("title"))' in text, text
    _migrate(project)
    _clean(project)

    names = project.migration_names("fidx")
    for name in reversed(names[:-1]):
        _migrate(project, "fidx", name)
        assert _expression_indexes(project) == (NAMES if supported else set())
    _migrate(project, "fidx", "zero")
    assert project.tables() == set()


RENAMED = V1.replace('"title"', '"heading"').replace("title = ", "heading = ")


def test_renaming_a_field_renames_it_inside_the_expressions(project, vendor):
    project.models("fidx", V1)
    assert project.makemigrations("fidx")[0] == 0
    _migrate(project)
    project.models("fidx", RENAMED)
    code, output = project.makemigrations("fidx", renames=["fidx.Book.title=heading"])
    assert code == 0, output
    text = project.migration_text("fidx", project.migration_names("fidx")[-1])
    assert "migrations.RenameField(" in text
    assert "RemoveIndex" not in text and "RemoveConstraint" not in text, text
    project.reload()
    _migrate(project)
    _clean(project)
    if vendor != "mysql":
        assert _expression_indexes(project) == NAMES
        book = registry.get_model("fidx.Book")
        book.objects.create(heading="Emma", category="x")
        with pytest.raises(IntegrityError):
            book.objects.create(heading="EMMA", category="x")


def test_dropping_a_field_an_expression_index_uses_needs_the_index_gone_first(project, vendor):
    project.models("fidx", V1)
    assert project.makemigrations("fidx")[0] == 0
    _migrate(project)
    without_price = V1.replace("    price = orm.IntegerField(default=0)\n", "").replace(
        '            orm.Index(orm.F("price") * 2, name="book_double_price_idx"),\n', ""
    )
    text = _next(project, without_price)
    assert text.index("migrations.RemoveIndex(") < text.index("migrations.RemoveField(")
    _migrate(project)
    _clean(project)
    expected = NAMES - {"book_double_price_idx"}
    assert _expression_indexes(project) == (expected if vendor != "mysql" else set())


def test_the_optimizer_keeps_a_field_an_expression_uses_out_of_create_model():
    import orm
    from migrations_engine import migrations
    from migrations_engine.optimizer import optimize

    def create(index=None, constraint=None):
        options = {}
        if index is not None:
            options["indexes"] = [index]
        if constraint is not None:
            options["constraints"] = [constraint]
        return migrations.CreateModel(
            "Book", [("id", orm.BigAutoField(primary_key=True)), ("title", orm.CharField(max_length=9))],
            options=options,
        )

    for model in (
        create(index=orm.Index(orm.Lower("title"), name="i")),
        create(constraint=orm.UniqueConstraint(orm.Lower("title"), name="u")),
    ):
        for other in (migrations.RenameField("Book", "title", "heading"), migrations.RemoveField("Book", "title")):
            assert len(optimize([model, other], "fidx")) == 2
    add = migrations.AddIndex("Book", orm.Index(orm.Lower("title"), name="i"))
    assert add.references_field("Book", "title", "fidx")
    assert not add.references_field("Book", "price", "fidx")


def test_dropping_a_field_index_leaves_an_expression_index_on_the_same_column(project, vendor):
    with_db_index = V1.replace("pub_date = orm.DateField(null=True)", "pub_date = orm.DateField(null=True, db_index=True)")
    project.models("fidx", with_db_index)
    assert project.makemigrations("fidx")[0] == 0
    _migrate(project)
    _clean(project)
    _next(project, V1)
    _migrate(project)
    _clean(project)
    assert _expression_indexes(project) == (NAMES if vendor != "mysql" else set())
    plain = {
        index.columns for index in project.connection.introspection.get_indexes("fidx_book")
        if not index.expressions
    }
    assert ("pub_date",) not in plain


def test_renaming_an_expression_index_is_a_rename_index(project, vendor):
    project.models("fidx", V1)
    assert project.makemigrations("fidx")[0] == 0
    _migrate(project)
    text = _next(project, V1.replace('"book_double_price_idx"', '"book_price_x2_idx"'))
    assert "migrations.RenameIndex(" in text and "RemoveIndex" not in text, text
    _migrate(project)
    _clean(project)
    renamed = NAMES - {"book_double_price_idx"} | {"book_price_x2_idx"}
    assert _expression_indexes(project) == (renamed if vendor != "mysql" else set())
    _migrate(project, "fidx", "0001_initial")
    assert _expression_indexes(project) == (NAMES if vendor != "mysql" else set())
