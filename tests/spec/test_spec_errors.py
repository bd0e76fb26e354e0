"""SPEC §10: exceptions, bad migration files, invalid model definitions."""

from __future__ import annotations

import pytest

import orm
import orm.exceptions
from tests.spec.test_spec_cli import MODELS, make_project, manouche, migration_files, ok, write

NAMES = (
    "ObjectDoesNotExist MultipleObjectsReturned FieldError FieldDoesNotExist ValidationError "
    "ProtectedError RestrictedError ImproperlyConfigured DatabaseError IntegrityError "
    "OperationalError ProgrammingError DataError"
).split()


@pytest.mark.parametrize("name", NAMES)
def test_exceptions_live_in_orm_and_orm_exceptions(name):
    assert getattr(orm, name) is getattr(orm.exceptions, name)
    assert issubclass(getattr(orm, name), Exception)


def test_database_error_hierarchy():
    for name in ("IntegrityError", "OperationalError", "ProgrammingError", "DataError"):
        assert issubclass(getattr(orm, name), orm.DatabaseError)


def test_model_does_not_exist_classes(models):
    assert issubclass(models.Author.DoesNotExist, orm.ObjectDoesNotExist)
    assert issubclass(models.Author.MultipleObjectsReturned, orm.MultipleObjectsReturned)
    assert models.Author.DoesNotExist is not models.Post.DoesNotExist
    assert models.Author._meta.get_field("name").name == "name"
    with pytest.raises(orm.FieldDoesNotExist):
        models.Author._meta.get_field("nope")


def test_driver_errors_are_ours_with_cause(models, spec_db):
    models.Author.objects.create(name="A", email="a@x.org")
    with pytest.raises(orm.IntegrityError) as error:
        models.Author.objects.create(name="B", email="a@x.org")
    assert error.value.__cause__ is not None
    assert type(error.value.__cause__).__module__.split(".")[0] in ("sqlite3", "psycopg", "pymysql")
    connection = orm.connections["default"]
    with pytest.raises(orm.ProgrammingError) as error:
        connection.execute("SELECT * FROM no_such_table_here")
    assert error.value.__cause__ is not None
    with pytest.raises(orm.IntegrityError):
        models.Post.objects.create(author_id=987654, title="orphan")  # FKs enforced


def test_data_error_for_out_of_range_values(models, spec_db):
    if spec_db == "sqlite":
        pytest.skip("SQLite stores what it is given")
    with pytest.raises((orm.DataError, orm.IntegrityError)):
        models.Sample.objects.create(small=10**9)


def _define(body: str, label: str = "specbad"):
    namespace: dict = {"orm": orm}
    exec(body.replace("LABEL", label), namespace)
    return namespace


def test_two_fields_with_one_column():
    with pytest.raises(orm.ImproperlyConfigured) as error:
        _define("""
class Twice(orm.Model):
    a = orm.IntegerField(db_column="c")
    b = orm.IntegerField(db_column="c")

    class Meta:
        app_label = "LABEL"
""")
    assert "Twice" in str(error.value) and "b" in str(error.value)


def test_max_length_missing():
    with pytest.raises(orm.ImproperlyConfigured) as error:
        _define("""
class NoLength(orm.Model):
    title = orm.CharField()

    class Meta:
        app_label = "LABEL"
""")
    assert "NoLength" in str(error.value) and "title" in str(error.value)
    assert "max_length" in str(error.value)


def test_clashing_reverse_names():
    with pytest.raises(orm.ImproperlyConfigured) as error:
        _define("""
class Target(orm.Model):
    class Meta:
        app_label = "LABEL"


class Clash(orm.Model):
    first = orm.ForeignKey(Target, on_delete=orm.CASCADE)
    second = orm.ForeignKey(Target, on_delete=orm.CASCADE)

    class Meta:
        app_label = "LABEL"
""", label="specclash")
    assert "Clash" in str(error.value) and "second" in str(error.value)


def test_foreign_key_to_unknown_model_in_a_project(tmp_path):
    project = make_project(tmp_path / "proj", models=MODELS + (
        "\n\nclass Broken(orm.Model):\n"
        "    target = orm.ForeignKey('blog.Nowhere', on_delete=orm.CASCADE)\n"
    ))
    result = manouche(project, "makemigrations")
    assert result.returncode == 1
    assert "Broken" in result.stderr and "target" in result.stderr and "Nowhere" in result.stderr
    assert "Traceback" not in result.stderr
    assert migration_files(project) == []


def test_foreign_key_to_unknown_model_on_configure(tmp_path, monkeypatch):
    root = tmp_path / "cfg"
    write(root / "brokenapp" / "__init__.py", "")
    write(root / "brokenapp" / "models.py", """\
        import orm


        class Dangling(orm.Model):
            target = orm.ForeignKey("Missing", on_delete=orm.CASCADE)
        """)
    monkeypatch.syspath_prepend(str(root))
    try:
        with pytest.raises(orm.ImproperlyConfigured) as error:
            orm.configure(apps=["brokenapp"], databases={"default": "sqlite:///:memory:"})
            orm.registry.get_model("brokenapp.Dangling")
        assert "Dangling" in str(error.value) and "target" in str(error.value)
    finally:
        orm.configure(apps=[], databases={"default": "sqlite:///:memory:"})
        orm.connections.close_all()


BAD_FILES = {
    "syntax": "this is not python(\n",
    "missing dependency": """\
from migrations_engine import migrations


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial"), ("blog", "0042_nowhere")]
    operations = []
""",
    "unknown model": """\
import orm
from migrations_engine import migrations


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [migrations.AddField(model_name="ghost", name="x", field=orm.IntegerField(null=True))]
""",
}


@pytest.mark.parametrize("problem", sorted(BAD_FILES))
def test_bad_migration_files_fail_before_any_sql(tmp_path, problem):
    project = make_project(tmp_path / "proj")
    ok(manouche(project, "makemigrations"))
    write(project / "blog" / "migrations" / "0002_bad.py", BAD_FILES[problem])
    result = manouche(project, "migrate")
    assert result.returncode == 1
    assert "0002_bad" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "db.sqlite3").exists() or "[X]" not in manouche(
        project, "showmigrations").stdout


def test_migration_cycle_is_named(tmp_path):
    project = make_project(tmp_path / "proj")
    ok(manouche(project, "makemigrations"))
    first = project / "blog" / "migrations" / "0001_initial.py"
    first.write_text(first.read_text().replace(
        "dependencies = []", 'dependencies = [("blog", "0002_loop")]'
    ).replace("    initial = True\n", '    initial = True\n    dependencies = [("blog", "0002_loop")]\n', 1)
        if "dependencies" not in first.read_text() else first.read_text().replace(
        "dependencies = []", 'dependencies = [("blog", "0002_loop")]'))
    write(project / "blog" / "migrations" / "0002_loop.py", """\
        from migrations_engine import migrations


        class Migration(migrations.Migration):
            dependencies = [("blog", "0001_initial")]
            operations = []
        """)
    result = manouche(project, "migrate")
    assert result.returncode == 1
    assert "0001_initial" in result.stderr and "0002_loop" in result.stderr
    assert "cycle" in result.stderr.lower() or "circular" in result.stderr.lower()


def test_failed_migration_rolls_back_and_is_not_recorded(tmp_path, db_url, vendor):
    project = make_project(tmp_path / "proj")
    ok(manouche(project, "makemigrations"))
    write(project / "blog" / "migrations" / "0002_fails.py", """\
        import orm
        from migrations_engine import migrations


        class Migration(migrations.Migration):
            dependencies = [("blog", "0001_initial")]
            operations = [
                migrations.AddField("author", "nick", orm.CharField(max_length=5, default="")),
                migrations.RunSQL("SELECT * FROM table_that_is_not_there"),
            ]
        """)
    url = ["--database-url", db_url]
    result = manouche(project, *url, "migrate")
    assert result.returncode == 1 and "0002_fails" in result.stderr
    assert "Traceback" not in result.stderr
    listing = ok(manouche(project, *url, "showmigrations"))
    assert "[X] 0001_initial" in listing and "[ ] 0002_fails" in listing
    import backends

    connection = backends.connect(db_url)
    try:
        columns = [c.name for c in connection.introspection.get_columns("blog_author")]
    finally:
        connection.close()
    if vendor == "mysql":
        assert "nick" in columns
        assert "Add field nick" in result.stderr or "already ran" in result.stderr
    else:
        assert "nick" not in columns
