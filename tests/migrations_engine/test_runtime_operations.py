"""Every operation forwards and backwards on a real database, checked by introspection."""

from __future__ import annotations

import pytest

from tests.migrations_engine.runtime_project import Project, migration_source, snapshot

INITIAL = migration_source('''
    migrations.CreateModel(
        name="Author",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("name", orm.CharField(max_length=50)),
        ],
    ),
    migrations.CreateModel(
        name="Tag",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("label", orm.CharField(max_length=20, unique=True)),
        ],
    ),
    migrations.CreateModel(
        name="Book",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("title", orm.CharField(max_length=100)),
            ("author", orm.ForeignKey("lib.Author", on_delete=orm.CASCADE)),
            ("tags", orm.ManyToManyField("lib.Tag")),
        ],
        options={"ordering": ["title"]},
    ),
''', initial=True)

ADDITIONS = migration_source('''
    migrations.AddField("book", "pages", orm.IntegerField(default=0)),
    migrations.AddField("book", "isbn", orm.CharField(max_length=13, null=True, db_index=True)),
    migrations.AddIndex("book", orm.Index(fields=["title", "pages"], name="book_title_pages")),
    migrations.AddConstraint(
        "book", orm.CheckConstraint(condition=orm.Q(pages__gte=0), name="book_pages_positive")
    ),
    migrations.AddConstraint(
        "book", orm.UniqueConstraint(fields=["isbn"], name="book_isbn_unique")
    ),
    migrations.AlterUniqueTogether("book", [("title", "author")]),
    migrations.AlterModelOptions("book", {"ordering": ["-title"]}),
''', dependencies=[("lib", "0001_initial")])

CHANGES = migration_source('''
    migrations.AlterField("book", "title", orm.CharField(max_length=200, null=True)),
    migrations.RenameField("book", "pages", "page_count"),
    migrations.RenameIndex("book", new_name="book_title_count", old_name="book_title_pages"),
''', dependencies=[("lib", "0002_additions")])

RENAMES = migration_source('''
    migrations.RenameModel("Author", "Writer"),
    migrations.AlterModelTable("tag", "lib_labels"),
''', dependencies=[("lib", "0003_changes")])

REMOVALS = migration_source('''
    migrations.RemoveIndex("book", "book_title_count"),
    migrations.RemoveConstraint("book", "book_pages_positive"),
    migrations.RemoveConstraint("book", "book_isbn_unique"),
    migrations.AlterUniqueTogether("book", []),
    migrations.RemoveField("book", "tags"),
    migrations.RemoveField("book", "isbn"),
    migrations.DeleteModel("Tag"),
''', dependencies=[("lib", "0004_renames")])

STEPS = ["0001_initial", "0002_additions", "0003_changes", "0004_renames", "0005_removals"]


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.app("lib", dict(zip(STEPS, [INITIAL, ADDITIONS, CHANGES, RENAMES, REMOVALS])))
    project.configure()
    yield project
    project.close()


def _names(columns):
    return set(columns)


def test_every_operation_forwards_then_backwards_restores_each_schema(project):
    snapshots = [snapshot(project.connection)]
    for step in STEPS:
        project.migrate("lib", step)
        snapshots.append(snapshot(project.connection))

    after_initial = snapshots[1]
    assert set(after_initial) == {"lib_author", "lib_tag", "lib_book", "lib_book_tags"}
    assert ("author_id", ("lib_author", "id")) in after_initial["lib_book"]["fks"]
    assert ("author_id",) in after_initial["lib_book"]["indexes"]
    assert ("label",) in after_initial["lib_tag"]["unique"]

    after_additions = snapshots[2]["lib_book"]
    assert {"pages", "isbn"} <= {c[0] for c in after_additions["columns"]}
    assert ("title", "pages") in after_additions["indexes"]
    assert ("isbn",) in after_additions["indexes"]
    assert ("title", "author_id") in after_additions["unique"]
    assert ("isbn",) in after_additions["unique"]
    if project.connection.vendor != "mysql" or True:
        assert "book_pages_positive" in after_additions["checks"]

    after_changes = snapshots[3]["lib_book"]
    columns = {c[0]: c for c in after_changes["columns"]}
    assert "page_count" in columns and "pages" not in columns
    assert columns["title"][1] == "varchar(200)" and columns["title"][2] is True
    assert ("title", "page_count") in after_changes["indexes"]

    after_renames = snapshots[4]
    assert "lib_writer" in after_renames and "lib_author" not in after_renames
    assert "lib_labels" in after_renames and "lib_tag" not in after_renames
    assert ("author_id", ("lib_writer", "id")) in after_renames["lib_book"]["fks"]
    assert ("lib_labels", "id") in dict(after_renames["lib_book_tags"]["fks"]).values()

    after_removals = snapshots[5]
    assert set(after_removals) == {"lib_writer", "lib_book"}
    assert "book_pages_positive" not in after_removals["lib_book"]["checks"]
    assert ("title", "author_id") not in after_removals["lib_book"]["unique"]

    for index in range(len(STEPS) - 1, 0, -1):
        project.migrate("lib", STEPS[index - 1])
        assert snapshot(project.connection) == snapshots[index], f"unapplying {STEPS[index]}"
    project.migrate("lib", "zero")
    assert project.tables() == set()
    assert project.applied() == set()


def test_rows_survive_alter_rename_field_and_rename_model(project):
    project.migrate("lib", "0002")
    connection = project.connection
    connection.execute("INSERT INTO lib_author (name) VALUES (%s)", ("Ann",))
    author_id = connection.execute("SELECT id FROM lib_author").fetchone()[0]
    connection.execute(
        "INSERT INTO lib_book (title, author_id, pages) VALUES (%s, %s, %s)",
        ("Dune", author_id, 412),
    )
    project.migrate("lib", "0004")
    rows = connection.execute("SELECT title, page_count, author_id FROM lib_book").fetchall()
    assert [tuple(row) for row in rows] == [("Dune", 412, author_id)]
    assert connection.execute("SELECT name FROM lib_writer").fetchone()[0] == "Ann"
    project.migrate("lib", "0002")
    rows = connection.execute("SELECT title, pages FROM lib_book").fetchall()
    assert [tuple(row) for row in rows] == [("Dune", 412)]


def test_add_not_null_field_with_default_fills_existing_rows(project):
    project.migrate("lib", "0001")
    connection = project.connection
    connection.execute("INSERT INTO lib_author (name) VALUES (%s)", ("Ann",))
    connection.execute(
        "INSERT INTO lib_book (title, author_id) VALUES (%s, %s)",
        ("Dune", connection.execute("SELECT id FROM lib_author").fetchone()[0]),
    )
    project.migrate("lib", "0002")
    assert connection.execute("SELECT pages FROM lib_book").fetchone()[0] == 0
    assert project.columns("lib_book")["pages"].null is False


def test_state_after_all_migrations_matches_operations(project):
    from migrations_engine.loader import MigrationLoader

    state = MigrationLoader().project_state()
    assert set(state.models) == {("lib", "writer"), ("lib", "book")}
    book = state.get_model("lib", "Book")
    assert list(book.fields) == ["id", "title", "author", "page_count"]
    assert book.options["ordering"] == ["-title"]
    assert book.fields["author"].remote_field.model == "lib.Writer"
