"""SPEC §8: migration operations, the autodetector's detections, applying them on every backend."""

from __future__ import annotations

import pytest

import backends
from tests.spec.test_spec_cli import make_project, manouche, migration_files, ok, write

OPERATIONS = (
    "CreateModel DeleteModel RenameModel AlterModelTable AlterModelOptions AlterModelManagers "
    "AddField RemoveField AlterField RenameField AddIndex RemoveIndex RenameIndex AddConstraint "
    "RemoveConstraint AlterUniqueTogether RunSQL RunPython SeparateDatabaseAndState"
).split()


@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_contract(name):
    from migrations_engine import migrations

    operation = getattr(migrations, name)
    for method in ("state_forwards", "database_forwards", "database_backwards", "describe", "reduce"):
        assert callable(getattr(operation, method, None)), f"{name}.{method}"


def test_operation_constructor_arguments_are_djangos():
    import orm
    from migrations_engine import migrations

    create = migrations.CreateModel(
        name="Tag", fields=[("id", orm.BigAutoField(primary_key=True))], options={"ordering": ["id"]}
    )
    assert create.name == "Tag" and create.fields[0][0] == "id" and create.options["ordering"]
    add = migrations.AddField(model_name="tag", name="x", field=orm.IntegerField(null=True))
    assert (add.model_name, add.name) == ("tag", "x") and "x" in add.describe()
    rename = migrations.RenameField(model_name="tag", old_name="a", new_name="b")
    assert (rename.old_name, rename.new_name) == ("a", "b")
    assert migrations.RenameModel(old_name="A", new_name="B").new_name == "B"
    assert migrations.AlterModelTable(name="tag", table="t").table == "t"
    index = orm.Index(fields=["x"], name="x_idx")
    assert migrations.AddIndex(model_name="tag", index=index).index is index
    assert migrations.RemoveIndex(model_name="tag", name="x_idx").name == "x_idx"
    renamed = migrations.RenameIndex(model_name="tag", new_name="y_idx", old_name="x_idx")
    assert renamed.new_name == "y_idx"
    constraint = orm.UniqueConstraint(fields=["x"], name="uniq_x")
    assert migrations.AddConstraint(model_name="tag", constraint=constraint).constraint is constraint
    assert migrations.RemoveConstraint(model_name="tag", name="uniq_x").name == "uniq_x"
    together = migrations.AlterUniqueTogether(name="tag", unique_together={("a", "b")})
    assert together.unique_together
    assert migrations.RunSQL("SELECT 1", reverse_sql="SELECT 2").reverse_sql == "SELECT 2"
    assert migrations.RunSQL("SELECT 1").reversible is False
    assert migrations.RunPython(lambda apps, editor: None).reversible is False
    both = migrations.RunPython(lambda a, e: None, reverse_code=migrations.RunPython.noop)
    assert both.reversible is True
    separate = migrations.SeparateDatabaseAndState(state_operations=[add], database_operations=[])
    assert separate.state_operations == [add]
    assert migrations.AlterModelOptions(name="tag", options={"ordering": []}).options == {
        "ordering": []
    }


def test_optimizer_reduces_create_and_add():
    import orm
    from migrations_engine import migrations

    create = migrations.CreateModel(name="Tag", fields=[("id", orm.BigAutoField(primary_key=True))])
    add = migrations.AddField(model_name="tag", name="x", field=orm.IntegerField(null=True))
    reduced = create.reduce(add, "blog")
    assert isinstance(reduced, list) and len(reduced) == 1
    assert [name for name, _ in reduced[0].fields] == ["id", "x"]


def test_migration_attributes():
    from migrations_engine import migrations

    class Migration(migrations.Migration):
        dependencies = [("blog", "0001_initial")]
        operations = []

    migration = Migration("0002_x", "blog")
    for attribute in ("dependencies", "operations", "initial", "replaces", "run_before", "atomic"):
        assert hasattr(migration, attribute), attribute


BASE = """\
import orm


class Author(orm.Model):
    name = orm.CharField(max_length=100)
    email = orm.EmailField(unique=True)
"""

STEPS = [
    # (models appended to BASE, --rename options, operations expected in the new file)
    ("""
class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="posts")
    title = orm.CharField(max_length=200)
""", [], ["CreateModel"]),
    ("""
class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="posts")
    title = orm.CharField(max_length=200)
    body = orm.TextField(default="")
    rank = orm.IntegerField(null=True)
""", [], ["AddField"]),
    ("""
class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.PROTECT, related_name="posts")
    title = orm.CharField(max_length=250, db_index=True)
    body = orm.TextField(default="x")
    rank = orm.IntegerField(null=False, default=0)
""", [], ["AlterField"]),
    ("""
class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.PROTECT, related_name="posts")
    headline = orm.CharField(max_length=250, db_index=True)
    body = orm.TextField(default="x")
    rank = orm.IntegerField(null=False, default=0)
""", ["blog.Post.title=headline"], ["RenameField"]),
    ("""
class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.PROTECT, related_name="posts")
    headline = orm.CharField(max_length=250, db_index=True)
    body = orm.TextField(default="x")
    rank = orm.IntegerField(null=False, default=0)

    class Meta:
        ordering = ["-rank"]
        indexes = [orm.Index(fields=["rank"], name="post_rank_idx")]
        constraints = [orm.CheckConstraint(condition=orm.Q(rank__gte=0), name="rank_positive")]
        unique_together = [("author", "headline")]
""", [], ["AlterModelOptions", "AddIndex", "AddConstraint", "AlterUniqueTogether"]),
    ("""
class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.PROTECT, related_name="posts")
    headline = orm.CharField(max_length=250, db_index=True)
    body = orm.TextField(default="x")
    rank = orm.IntegerField(null=False, default=0)

    class Meta:
        ordering = ["-rank"]
        db_table = "posts"
        indexes = [orm.Index(fields=["rank"], name="post_rank2_idx")]
""", [], ["AlterModelTable", "RenameIndex", "RemoveConstraint", "AlterUniqueTogether"]),
    ("""
class Tag(orm.Model):
    name = orm.CharField(max_length=20)


class Article(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.PROTECT, related_name="posts")
    headline = orm.CharField(max_length=250, db_index=True)
    body = orm.TextField(default="x")
    rank = orm.IntegerField(null=False, default=0)
    tags = orm.ManyToManyField(Tag, blank=True)

    class Meta:
        ordering = ["-rank"]
        db_table = "posts"
        indexes = [orm.Index(fields=["rank"], name="post_rank2_idx")]
""", ["blog.Post=Article"], ["RenameModel", "CreateModel", "AddField"]),
    ("""
class Tag(orm.Model):
    name = orm.CharField(max_length=20)


class Article(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.PROTECT, related_name="posts")
    headline = orm.CharField(max_length=250, db_index=True)
    body = orm.TextField(default="x")
    tags = orm.ManyToManyField(Tag, blank=True)

    class Meta:
        db_table = "posts"
""", [], ["RemoveField", "RemoveIndex"]),
    ("", [], ["DeleteModel"]),
]


def test_autodetector_and_executor_through_model_edits(tmp_path, db_url, vendor):
    project = make_project(tmp_path / "proj", models=BASE)
    url = ["--database-url", db_url]
    ok(manouche(project, "makemigrations"))
    ok(manouche(project, *url, "migrate"))
    connection = backends.connect(db_url)
    connection.execute("INSERT INTO blog_author (name, email) VALUES (%s, %s)", ["Ann", "a@x"])
    connection.close()
    for number, (models, renames, expected) in enumerate(STEPS, start=2):
        write(project / "blog" / "models.py", BASE + models)
        options = [item for rename in renames for item in ("--rename", rename)]
        out = ok(manouche(project, "makemigrations", "--noinput", *options))
        files = migration_files(project)
        assert len(files) == number, out
        text = (project / "blog" / "migrations" / files[-1]).read_text()
        for operation in expected:
            assert f"migrations.{operation}(" in text, (number, operation, text)
        ok(manouche(project, *url, "migrate"))
        checked = manouche(project, *url, "checkdb")
        assert checked.returncode == 0, (number, checked.stdout, checked.stderr, text)
        assert "No changes detected" in ok(manouche(project, "makemigrations"))
        if number == 2:
            connection = backends.connect(db_url)
            author_id = connection.execute("SELECT id FROM blog_author").fetchone()[0]
            connection.execute(
                "INSERT INTO blog_post (author_id, title) VALUES (%s, %s)", [author_id, "kept"]
            )
            connection.close()
        if 3 <= number <= 8:
            table = "blog_post" if number < 7 else "posts"
            column = "title" if number < 5 else "headline"
            connection = backends.connect(db_url)
            rows = connection.execute(f"SELECT {column} FROM {table}").fetchall()
            connection.close()
            assert [tuple(r) for r in rows] == [("kept",)], number
    ok(manouche(project, *url, "migrate", "blog", "zero"))
    connection = backends.connect(db_url)
    try:
        left = [t for t in connection.introspection.table_names() if t != "manouche_migrations"]
    finally:
        connection.close()
    assert left == []


def test_circular_foreign_keys_split_into_create_and_add(tmp_path, db_url):
    project = make_project(tmp_path / "proj", models="""\
import orm


class Person(orm.Model):
    employer = orm.ForeignKey("Company", on_delete=orm.SET_NULL, null=True)


class Company(orm.Model):
    owner = orm.ForeignKey(Person, on_delete=orm.SET_NULL, null=True, related_name="owned")
""")
    ok(manouche(project, "makemigrations"))
    text = (project / "blog" / "migrations" / "0001_initial.py").read_text()
    assert text.count("migrations.CreateModel(") == 2 and "migrations.AddField(" in text
    ok(manouche(project, "--database-url", db_url, "migrate"))
    ok(manouche(project, "--database-url", db_url, "checkdb"))


def test_cross_app_dependencies(tmp_path):
    project = make_project(tmp_path / "proj", models=BASE)
    write(project / "pyproject.toml", '[tool.manouche]\napps = ["blog", "shop"]\n')
    write(project / "shop" / "__init__.py", "")
    write(project / "shop" / "models.py", """\
        import orm


        class Order(orm.Model):
            buyer = orm.ForeignKey("blog.Author", on_delete=orm.CASCADE)
        """)
    ok(manouche(project, "makemigrations"))
    text = (project / "shop" / "migrations" / "0001_initial.py").read_text()
    assert '("blog", "0001_initial")' in text
    ok(manouche(project, "migrate"))


def test_run_python_gets_historical_models(tmp_path, db_url):
    project = make_project(tmp_path / "proj", models=BASE)
    ok(manouche(project, "makemigrations"))
    write(project / "blog" / "migrations" / "0002_fill.py", """\
        from migrations_engine import migrations


        def forwards(apps, schema_editor):
            Author = apps.get_model("blog", "Author")
            Author.objects.create(name="Made", email="made@x")
            assert apps.get_model("blog.Author") is Author


        def backwards(apps, schema_editor):
            apps.get_model("blog", "Author").objects.filter(name="Made").delete()


        class Migration(migrations.Migration):
            dependencies = [("blog", "0001_initial")]
            operations = [
                migrations.RunPython(forwards, backwards),
                migrations.RunSQL(
                    "UPDATE blog_author SET name = 'Sql' WHERE name = 'Made'",
                    reverse_sql="UPDATE blog_author SET name = 'Made' WHERE name = 'Sql'",
                ),
            ]
        """)
    url = ["--database-url", db_url]
    ok(manouche(project, *url, "migrate"))
    connection = backends.connect(db_url)
    assert [tuple(r) for r in connection.execute("SELECT name FROM blog_author").fetchall()] == [
        ("Sql",)
    ]
    connection.close()
    ok(manouche(project, *url, "migrate", "blog", "0001"))
    connection = backends.connect(db_url)
    assert connection.execute("SELECT COUNT(*) FROM blog_author").fetchone()[0] == 0
    connection.close()


def test_irreversible_migration_says_why(tmp_path):
    project = make_project(tmp_path / "proj", models=BASE)
    ok(manouche(project, "makemigrations"))
    write(project / "blog" / "migrations" / "0002_sql.py", """\
        from migrations_engine import migrations


        class Migration(migrations.Migration):
            dependencies = [("blog", "0001_initial")]
            operations = [migrations.RunSQL("SELECT 1")]
        """)
    ok(manouche(project, "migrate"))
    result = manouche(project, "migrate", "blog", "0001")
    assert result.returncode == 1 and "0002_sql" in result.stderr
    assert "revers" in result.stderr.lower() and "Traceback" not in result.stderr


def test_not_null_one_off_default_interactive(tmp_path):
    project = make_project(tmp_path / "proj", models=BASE)
    ok(manouche(project, "makemigrations"))
    write(project / "blog" / "models.py", BASE + "    age = orm.IntegerField()\n")
    result = manouche(project, "makemigrations", input="1\n7\n")
    assert result.returncode == 0, result.stdout + result.stderr
    text = (project / "blog" / "migrations" / migration_files(project)[-1]).read_text()
    assert "migrations.AddField(" in text and "default=7" in text
