"""Altering a field other tables point at: their foreign key columns follow its new type."""

from __future__ import annotations

import io

import pytest

from migrations_engine import commands
from tests.migrations_engine.runtime_project import Project, migration_source

INITIAL = migration_source('''
    migrations.CreateModel(
        name="Author",
        fields=[("id", orm.AutoField(primary_key=True)), ("name", orm.CharField(max_length=20))],
    ),
    migrations.CreateModel(
        name="Book",
        fields=[
            ("id", orm.AutoField(primary_key=True)),
            ("author", orm.ForeignKey("memo.author", on_delete=orm.CASCADE)),
            ("sequel", orm.ForeignKey("memo.book", null=True, on_delete=orm.SET_NULL)),
            ("readers", orm.ManyToManyField("memo.author", related_name="read")),
        ],
    ),
''', initial=True)
WIDEN = migration_source('''
    migrations.AlterField("author", "id", orm.BigAutoField(primary_key=True)),
    migrations.AlterField("book", "id", orm.BigAutoField(primary_key=True)),
''', dependencies=[("memo", "0001_initial")])


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    yield project
    project.close()


def _types(connection, table):
    return {column.name: column.type for column in connection.introspection.get_columns(table)}


def _checkdb() -> tuple[int, str]:
    out = io.StringIO()
    code = commands.checkdb(stdout=out)
    return code, out.getvalue()


def test_widening_primary_keys_widens_the_keys_pointing_at_them(project):
    project.app("memo", {"0001_initial": INITIAL, "0002_widen": WIDEN})
    project.configure()
    project.migrate("memo", "0001_initial")
    connection = project.connection
    connection.execute("INSERT INTO memo_author (name) VALUES ('ann')")
    author = connection.execute("SELECT id FROM memo_author").fetchone()[0]
    connection.execute("INSERT INTO memo_book (author_id) VALUES (%s)", [author])
    book = connection.execute("SELECT id FROM memo_book").fetchone()[0]
    connection.execute("UPDATE memo_book SET sequel_id = %s", [book])
    connection.execute(
        "INSERT INTO memo_book_readers (book_id, author_id) VALUES (%s, %s)", [book, author]
    )

    project.migrate()
    assert _checkdb() == (0, _checkdb()[1]), _checkdb()[1]
    big = "integer" if connection.vendor == "sqlite" else "bigint"
    assert _types(connection, "memo_author")["id"] == big
    book_types = _types(connection, "memo_book")
    assert (book_types["id"], book_types["author_id"], book_types["sequel_id"]) == (big, "bigint", "bigint")
    junction = _types(connection, "memo_book_readers")
    assert (junction["book_id"], junction["author_id"]) == ("bigint", "bigint")
    # The rows and the keys between them survived, and the keys still hold.
    assert tuple(connection.execute("SELECT author_id, sequel_id FROM memo_book").fetchone()) == (author, book)
    large = 2**40
    connection.execute("INSERT INTO memo_author (id, name) VALUES (%s, 'big')", [large])
    connection.execute("INSERT INTO memo_book (author_id) VALUES (%s)", [large])
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, at insert or at commit (deferred)
        from orm import atomic

        with atomic():
            connection.execute("INSERT INTO memo_book (author_id) VALUES (%s)", [large + 1])
    connection.execute("DELETE FROM memo_book WHERE author_id = %s", [large])
    connection.execute("DELETE FROM memo_author WHERE id = %s", [large])

    # And back: the keys narrow again, rows intact, schema as the first migration says.
    project.migrate("memo", "0001_initial")
    assert _checkdb()[0] == 0, _checkdb()[1]
    small = "integer"
    assert _types(connection, "memo_book")["author_id"] == small
    assert _types(connection, "memo_book_readers")["author_id"] == small
    assert tuple(connection.execute("SELECT author_id, sequel_id FROM memo_book").fetchone()) == (author, book)


def test_a_unique_to_field_target_carries_its_keys_along(project):
    project.app("memo", {
        "0001_initial": migration_source('''
            migrations.CreateModel(
                name="Country",
                fields=[
                    ("id", orm.BigAutoField(primary_key=True)),
                    ("code", orm.CharField(max_length=2, unique=True)),
                ],
            ),
            migrations.CreateModel(
                name="City",
                fields=[
                    ("id", orm.BigAutoField(primary_key=True)),
                    ("country", orm.ForeignKey("memo.country", to_field="code", on_delete=orm.CASCADE)),
                ],
            ),
        ''', initial=True),
        "0002_longer": migration_source('''
            migrations.AlterField("country", "code", orm.CharField(max_length=3, unique=True)),
        ''', dependencies=[("memo", "0001_initial")]),
    })
    project.configure()
    project.migrate("memo", "0001_initial")
    connection = project.connection
    connection.execute("INSERT INTO memo_country (code) VALUES ('fr')")
    connection.execute("INSERT INTO memo_city (country_id) VALUES ('fr')")
    project.migrate()
    assert _checkdb()[0] == 0, _checkdb()[1]
    assert _types(connection, "memo_city")["country_id"] == "varchar(3)"
    connection.execute("INSERT INTO memo_country (code) VALUES ('deu')")
    connection.execute("INSERT INTO memo_city (country_id) VALUES ('deu')")
    assert sorted(row[0] for row in connection.execute("SELECT country_id FROM memo_city").fetchall()) == ["deu", "fr"]


def test_a_self_referential_junction_widens_both_columns(project):
    project.app("memo", {
        "0001_initial": migration_source('''
            migrations.CreateModel(
                name="Part",
                fields=[
                    ("id", orm.AutoField(primary_key=True)),
                    ("compatible", orm.ManyToManyField("memo.part")),
                ],
            ),
        ''', initial=True),
        "0002_widen": migration_source('''
            migrations.AlterField("part", "id", orm.BigAutoField(primary_key=True)),
        ''', dependencies=[("memo", "0001_initial")]),
    })
    project.configure()
    project.migrate("memo", "0001_initial")
    connection = project.connection
    connection.execute("INSERT INTO memo_part (id) VALUES (1)")
    connection.execute("INSERT INTO memo_part (id) VALUES (2)")
    connection.execute("INSERT INTO memo_part_compatible (from_part_id, to_part_id) VALUES (1, 2)")
    project.migrate()
    assert _checkdb()[0] == 0, _checkdb()[1]
    junction = _types(connection, "memo_part_compatible")
    assert (junction["from_part_id"], junction["to_part_id"]) == ("bigint", "bigint")
    project.migrate("memo", "0001_initial")
    assert _checkdb()[0] == 0, _checkdb()[1]
    junction = _types(connection, "memo_part_compatible")
    assert (junction["from_part_id"], junction["to_part_id"]) == ("integer", "integer")
    pairs = connection.execute("SELECT from_part_id, to_part_id FROM memo_part_compatible").fetchall()
    assert [tuple(pair) for pair in pairs] == [(1, 2)]
