"""Deviations from SPEC §9/§10 found by probing the CLI as a user would, each a regression test."""

from __future__ import annotations

import pytest

import backends
import orm
from tests.cli.conftest import NOTE_MODELS, Project, make_project, run_manouche

GHOST_FIELD = """\
from migrations_engine import migrations
import orm


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [
        migrations.AddField(model_name="ghost", name="x", field=orm.IntegerField(null=True)),
    ]
"""


def note_project_with_ghost_migration(tmp_path) -> Project:
    """A project whose 0002 adds a field to a model no migration created."""
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    result = run_manouche(project, "makemigrations", "--noinput")
    assert result.returncode == 0, result.stderr
    project.write("blog/migrations/0002_ghost.py", GHOST_FIELD)
    return project


def assert_names_the_bad_file(result) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Error: ") and "0002_ghost.py" in result.stderr
    assert "ghost" in result.stderr.split("0002_ghost.py", 1)[1]


def test_sqlmigrate_of_an_operation_on_an_unknown_model_is_a_user_error(tmp_path, db_url):
    # Was a KeyError traceback: sqlmigrate replayed the history without naming the file.
    project = note_project_with_ghost_migration(tmp_path)
    for extra in ((), ("--backwards",)):
        result = run_manouche(project, "--database-url", db_url, "sqlmigrate", "blog", "0002", *extra)
        assert_names_the_bad_file(result)
        assert result.stdout == ""


def test_squashmigrations_over_a_bad_file_fails_and_writes_nothing(tmp_path):
    # Was: the squashed file (with the bad operation) was written, exit 0.
    project = note_project_with_ghost_migration(tmp_path)
    result = run_manouche(project, "squashmigrations", "blog", "0002", "--noinput")
    assert_names_the_bad_file(result)
    assert project.migration_files() == ["0001_initial.py", "0002_ghost.py"]


def test_squashmigrations_beside_an_earlier_squash_still_works(tmp_path):
    # The bad-file check replays only END's history, not the replaced and squashed files twice.
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    for number, field in (("0002", "x"), ("0003", "y")):
        project.write(f"blog/migrations/{number}_{field}.py", GHOST_FIELD.replace(
            '"ghost", name="x"', f'"note", name="{field}"'
        ).replace('"0001_initial"', '"0001_initial"' if number == "0002" else '"0002_x"'))
    result = run_manouche(project, "squashmigrations", "blog", "0002", "--noinput")
    assert result.returncode == 0, result.stderr
    result = run_manouche(project, "squashmigrations", "blog", "0003", "--noinput",
                          "--squashed-name", "all_three")
    assert result.returncode == 0, result.stderr
    assert "0001_all_three.py" in project.migration_files()


HALF_FAILING_SQL = """\
from migrations_engine import migrations


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [
        migrations.RunSQL(["CREATE TABLE half_done (id integer)", "THIS IS NOT SQL"]),
    ]
"""


def test_a_half_run_operation_is_reported_where_ddl_is_not_transactional(tmp_path, db_url):
    # Was, on MySQL: "No operation of it had run" while the operation's CREATE TABLE had committed.
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    project.write("blog/migrations/0002_half.py", HALF_FAILING_SQL)
    result = run_manouche(project, "--database-url", db_url, "migrate")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    connection = backends.connect(db_url)
    try:
        left = "half_done" in connection.introspection.table_names()
        transactional = connection.dialect.supports_transactional_ddl
    finally:
        connection.close()
    assert left is not transactional
    if transactional:
        assert "rolled back and it is not recorded" in result.stderr
    else:
        assert "No operation of it had run" not in result.stderr
        assert "Statements of operation 1 that ran before the error were NOT rolled back" in (
            result.stderr
        )


def test_config_without_a_database_leaves_database_url_in_force(tmp_path, invoke, monkeypatch):
    # --config beats DATABASE_URL only for a database it names (SPEC §2 order: then DATABASE_URL).
    project = make_project(tmp_path / "elsewhere", models=NOTE_MODELS)
    project.write("pyproject.toml", '[tool.manouche]\napps = ["blog"]\n')
    environment = tmp_path / "environment.sqlite3"
    connection = backends.connect(f"sqlite:///{environment}")
    connection.execute("CREATE TABLE from_environment (id integer PRIMARY KEY)")
    connection.close()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{environment}")
    result = invoke(tmp_path, "--config", str(project.path / "pyproject.toml"), "inspectdb")
    assert result.exit_code == 0, result.output
    assert "class FromEnvironment(" in result.stdout


def test_a_one_off_default_leaves_no_default_in_the_state(tmp_path, db_url):
    # Was: the state kept the column-default sentinel as the field's default, so
    # makemigrations --check found a spurious "Alter field" right after makemigrations, and
    # a renamed model with such a field was not suspected as a rename (silent drop + create).
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    assert run_manouche(project, "--database-url", db_url, "migrate").returncode == 0
    connection = backends.connect(db_url)
    connection.execute("INSERT INTO blog_note (text) VALUES (%s)", ["kept"])
    connection.close()
    project.write("blog/models.py", NOTE_MODELS + "    rank = orm.IntegerField()\n")
    result = run_manouche(project, "makemigrations", input="1\n42\n")
    assert result.returncode == 0, result.stderr
    assert "preserve_default=False" in (
        project.path / "blog/migrations/0002_note_rank.py").read_text()
    check = run_manouche(project, "makemigrations", "--check")
    assert check.returncode == 0 and "No changes detected" in check.stdout, check.stdout
    for command in (("migrate",), ("checkdb",), ("migrate", "blog", "zero"), ("migrate",)):
        result = run_manouche(project, "--database-url", db_url, *command)
        assert result.returncode == 0, result.stdout + result.stderr
    project.write("blog/models.py", NOTE_MODELS.replace("class Note", "class Memo")
                  + "    rank = orm.IntegerField()\n")
    result = run_manouche(project, "makemigrations", "--noinput")
    assert result.returncode == 1 and "--rename blog.Note=Memo" in result.stderr, result.stderr
    assert project.migration_files() == ["0001_initial.py", "0002_note_rank.py"]


ONE_TO_ONE_MODELS = """\
import orm


class Person(orm.Model):
    name = orm.CharField(max_length=50)


class Group(orm.Model):
    leader = orm.OneToOneField(Person, null=True, on_delete=orm.SET_NULL, related_name="leads")
"""


def test_a_one_to_one_field_becomes_a_foreign_key_and_back(tmp_path, db_url):
    # Was, on MySQL: "Cannot drop index ...: needed in a foreign key constraint" half way.
    project = make_project(tmp_path / "project", models=ONE_TO_ONE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    project.write("blog/models.py", ONE_TO_ONE_MODELS.replace("OneToOneField", "ForeignKey"))
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    for command in (("migrate",), ("checkdb",), ("migrate", "blog", "0001"), ("checkdb",),
                    ("migrate",), ("checkdb",)):
        result = run_manouche(project, "--database-url", db_url, *command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


def test_call_command_takes_an_option_as_the_command_line_spells_it():
    # Was TypeError: "showmigrations has no option 'graph'" (only graph_format= worked).
    from cli.call import _find_command, _option_argv

    def option_argv(name: str, **options: object) -> list[str]:
        return _option_argv(_find_command(name.split(), ()), name, dict(options))

    assert option_argv("showmigrations", graph="dot") == ["--graph", "dot"]
    assert option_argv("showmigrations", graph_format="mermaid") == ["--graph", "mermaid"]
    assert option_argv("makemigrations", no_input=True) == ["--noinput"]


def test_global_options_after_the_command_name(tmp_path, db_url):
    # Was a usage error (exit 2): "No such option '--database-url'" after the command name.
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    result = run_manouche(project, "migrate", "--database-url", db_url, "-v", "2")
    assert result.returncode == 0, result.stderr
    result = run_manouche(project, "showmigrations", "blog", f"--database-url={db_url}",
                          "--no-color")
    assert result.returncode == 0 and "[X] 0001_initial" in result.stdout, result.stderr
    assert not (project.path / "project.sqlite3").exists()


def test_hoisting_global_options_keeps_the_command_arguments():
    from cli.app import hoist_global_options

    assert hoist_global_options(["migrate", "blog", "zero", "--database", "r", "--fake"]) == [
        "--database", "r", "migrate", "blog", "zero", "--fake"]
    assert hoist_global_options(["-v", "2", "sqlmigrate", "blog", "0001", "-v3"]) == [
        "-v", "2", "-v3", "sqlmigrate", "blog", "0001"]
    assert hoist_global_options(["contenttypes", "prune", "--config=p.toml", "--noinput"]) == [
        "--config=p.toml", "contenttypes", "prune", "--noinput"]
    assert hoist_global_options(["makemigrations", "--name", "x", "--", "--no-color"]) == [
        "makemigrations", "--name", "x", "--", "--no-color"]
    assert hoist_global_options(["--help"]) == ["--help"]


SELF_FK_CHECK_MODELS = """\
import orm


class Node(orm.Model):
    label = orm.CharField(max_length=20)
    parent = orm.ForeignKey("self", null=True, on_delete=orm.CASCADE)

    class Meta:
        constraints = [
            orm.CheckConstraint(
                condition=orm.Q(label__startswith="root") | orm.Q(parent__isnull=False),
                name="only_roots_orphaned",
            ),
            orm.UniqueConstraint(fields=["label"], condition=~orm.Q(parent=None),
                                 name="child_label_unique"),
        ]
"""


def test_a_constraint_condition_on_a_foreign_keys_own_column(tmp_path, db_url):
    # Was FieldError "joined field references are not permitted" for parent__isnull at migrate.
    project = make_project(tmp_path / "project", models=SELF_FK_CHECK_MODELS)
    connection = backends.connect(db_url)
    partial = connection.dialect.supports_partial_indexes
    connection.close()
    if not partial:
        project.write("blog/models.py", SELF_FK_CHECK_MODELS.split("            orm.Unique")[0]
                      + "        ]\n")
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    for command in (("migrate",), ("checkdb",), ("migrate", "blog", "zero"), ("migrate",)):
        result = run_manouche(project, "--database-url", db_url, *command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    connection = backends.connect(db_url)
    try:
        connection.execute("INSERT INTO blog_node (label) VALUES (%s)", ["root"])
        with pytest.raises(orm.IntegrityError):
            connection.execute("INSERT INTO blog_node (label) VALUES (%s)", ["orphan"])
    finally:
        connection.close()


def test_a_constraint_condition_through_a_join_is_still_refused(tmp_path, db_url, monkeypatch):
    from orm.indexes import compile_condition

    project = make_project(tmp_path / "project", models=SELF_FK_CHECK_MODELS.split(
        "    class Meta")[0])
    monkeypatch.syspath_prepend(str(project.path))
    orm.configure(apps=["blog"], database=db_url)
    node = orm.registry.get_model("blog.Node")
    connection = orm.connections["default"]
    with pytest.raises(orm.FieldError, match="joined field references"):
        compile_condition(node, orm.Q(parent__label="x"), connection)
    assert "IS NULL" in compile_condition(node, orm.Q(parent__isnull=True), connection)


SEED_WITH_A_CONSTANT = """\
import datetime

from migrations_engine import migrations

GREETING = "hi"


def seed(apps, schema_editor):
    apps.get_model("blog", "Note").objects.create(text=f"{GREETING} {len(datetime.__name__)}")


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
"""


def test_squash_refuses_a_copied_function_that_reads_its_files_globals(tmp_path):
    # Was: the squashed file was written with seed() copied but not GREETING (NameError at migrate).
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    project.write("blog/migrations/0002_seed.py", SEED_WITH_A_CONSTANT)
    result = run_manouche(project, "squashmigrations", "blog", "0002", "--noinput")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "seed" in result.stderr and "GREETING, datetime" in result.stderr
    assert project.migration_files() == ["0001_initial.py", "0002_seed.py"]
    project.write("blog/migrations/0002_seed.py", SEED_WITH_A_CONSTANT.replace(
        'f"{GREETING} {len(datetime.__name__)}"', '"hi"'))
    result = run_manouche(project, "squashmigrations", "blog", "0002", "--noinput")
    assert result.returncode == 0, result.stderr


CASCADE_MODELS = """\
import orm


class Tag(orm.Model):
    name = orm.CharField(max_length=20)


class Author(orm.Model):
    name = orm.CharField(max_length=20)


class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE)
    tags = orm.ManyToManyField(Tag)


class Comment(orm.Model):
    post = orm.ForeignKey(Post, on_delete=orm.CASCADE)
"""

SEED_AND_DELETE_PARENTS = """\
from migrations_engine import migrations


def seed(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    tag = apps.get_model("blog", "Tag").objects.create(name="t")
    post = Post.objects.create(author=apps.get_model("blog", "Author").objects.create(name="a"))
    post.tags.add(tag)
    apps.get_model("blog", "Comment").objects.create(post=post)


def unseed(apps, schema_editor):
    # Only the parents are named: their deletion must reach posts, comments and junction rows.
    apps.get_model("blog", "Tag").objects.all().delete()
    apps.get_model("blog", "Author").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
"""


def test_historical_models_cascade_to_models_not_asked_for(tmp_path, db_url):
    # Was: the historical Author knew no Post (never rendered), so the delete did not cascade
    # and failed on the foreign keys (at commit on SQLite/PostgreSQL, at once on MySQL).
    project = make_project(tmp_path / "project", models=CASCADE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    project.write("blog/migrations/0002_seed.py", SEED_AND_DELETE_PARENTS)
    for command in (("migrate",), ("migrate", "blog", "0001"), ("migrate",)):
        result = run_manouche(project, "--database-url", db_url, *command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    assert run_manouche(project, "--database-url", db_url, "migrate", "blog", "0001").returncode == 0
    connection = backends.connect(db_url)
    try:
        for table in ("blog_post", "blog_comment", "blog_post_tags", "blog_tag", "blog_author"):
            assert connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
    finally:
        connection.close()


CIRCULAR_WITH_OPTIONS = """\
import orm


class Post(orm.Model):
    title = orm.CharField(max_length=10)
    best = orm.ForeignKey("Comment", null=True, on_delete=orm.SET_NULL, related_name="+")


class Comment(orm.Model):
    post = orm.ForeignKey(Post, on_delete=orm.CASCADE)
    score = orm.IntegerField()

    class Meta:
        unique_together = [("post", "id")]
        indexes = [orm.Index(fields=["post", "score"], name="ix_ps")]
        constraints = [orm.UniqueConstraint(fields=["post", "score"], name="uniq_ps")]
"""


def test_circular_models_whose_indexes_name_the_split_field(tmp_path, db_url):
    # Was RuntimeError "operations depend on each other in a cycle" (a traceback): the late
    # index/constraint needed two fields of one CreateModel and was counted waiting twice.
    project = make_project(tmp_path / "project", models=CIRCULAR_WITH_OPTIONS)
    result = run_manouche(project, "makemigrations", "--noinput")
    assert result.returncode == 0, result.stderr
    assert "Add field post to comment" in result.stdout
    assert run_manouche(project, "makemigrations", "--check").returncode == 0
    for command in (("migrate",), ("checkdb",), ("migrate", "blog", "zero"), ("migrate",)):
        result = run_manouche(project, "--database-url", db_url, *command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


def test_adding_an_auto_now_add_field_asks_for_the_existing_rows(tmp_path, db_url):
    # Was: written without a question (even under --noinput), then migrate failed with
    # "NOT NULL constraint failed" on a table with rows (SPEC §8: ask, or fail cleanly).
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    assert run_manouche(project, "--database-url", db_url, "migrate").returncode == 0
    connection = backends.connect(db_url)
    connection.execute("INSERT INTO blog_note (text) VALUES (%s)", ["old"])
    connection.close()
    project.write("blog/models.py",
                  NOTE_MODELS + "    created = orm.DateTimeField(auto_now_add=True)\n")
    result = run_manouche(project, "makemigrations", "--noinput")
    assert result.returncode == 1 and "blog.Note.created" in result.stderr, result.stderr
    assert project.migration_files() == ["0001_initial.py"]
    answer = "1\ndatetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)\n"
    assert run_manouche(project, "makemigrations", input=answer).returncode == 0
    for command in (("migrate",), ("checkdb",), ("makemigrations", "--check")):
        result = run_manouche(project, "--database-url", db_url, *command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"


def test_verbosity_0_is_quiet(tmp_path, db_url):
    # Was: -v 0 ("0 quiet" in --help) printed migrate's progress and "No changes detected".
    project = make_project(tmp_path / "project", models=NOTE_MODELS)
    assert run_manouche(project, "makemigrations", "--noinput").returncode == 0
    for command in (("migrate",), ("migrate", "blog", "zero"), ("makemigrations",)):
        result = run_manouche(project, "--database-url", db_url, "-v", "0", *command)
        assert result.returncode == 0 and result.stdout == "", f"{command}: {result.stdout}"
    shown = run_manouche(project, "--database-url", db_url, "showmigrations")
    assert "[ ] 0001_initial" in shown.stdout
    plan = run_manouche(project, "--database-url", db_url, "-v", "0", "migrate", "--plan")
    assert "blog.0001_initial" in plan.stdout
