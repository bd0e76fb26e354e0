"""Auto-created many-to-many junctions: migrations create the table the live field describes."""

from __future__ import annotations

import io

import pytest

from migrations_engine import commands, schema
from migrations_engine.loader import MigrationLoader
from migrations_engine.state import ProjectState
from orm.registry import registry
from tests.migrations_engine.runtime_project import Project, migration_source

MODELS = '''
class Tag(orm.Model):
    name = orm.CharField(max_length=20)


class Post(orm.Model):
    title = orm.CharField(max_length=20)
    tags = orm.ManyToManyField(Tag, related_name="posts")
    loose = orm.ManyToManyField(Tag, related_name="+", db_constraint=False, db_table="loose_tags")
    friends = orm.ManyToManyField("self")
'''

INITIAL = migration_source('''
    migrations.CreateModel(
        name="Tag",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("name", orm.CharField(max_length=20)),
        ],
    ),
    migrations.CreateModel(
        name="Post",
        fields=[
            ("id", orm.BigAutoField(primary_key=True)),
            ("title", orm.CharField(max_length=20)),
            ("tags", orm.ManyToManyField("blog.Tag", related_name="posts")),
            ("loose", orm.ManyToManyField(
                "blog.Tag", related_name="+", db_constraint=False, db_table="loose_tags",
            )),
            ("friends", orm.ManyToManyField("blog.Post")),
        ],
    ),
''', initial=True)


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.app("blog", {"0001_initial": INITIAL}, models=MODELS)
    project.configure()
    yield project
    project.close()


def test_migration_junctions_equal_the_live_fields_descriptions(project):
    connection = project.connection
    migrated = MigrationLoader(connection).project_state()
    post_state = migrated.get_model("blog", "Post")
    Post = registry.get_model("blog.Post")
    for name in ("tags", "loose", "friends"):
        live = Post._meta.get_field(name).junction_table_description(connection)
        from_state = schema.junction_table_for_field(
            post_state, name, post_state.get_field(name), migrated, connection
        )
        assert from_state == live, name
    # The state built from the live models gives the same junctions too.
    live_state = ProjectState.from_registry(app_labels={"blog"})
    assert {t.name: t for t in schema.tables_of_state(live_state, connection)} == {
        t.name: t for t in schema.tables_of_state(migrated, connection)
    }


def test_migrated_junctions_pass_checkdb_and_honour_db_constraint(project):
    project.migrate()
    assert {"blog_post_tags", "loose_tags", "blog_post_friends"} <= project.tables()
    introspection = project.connection.introspection
    assert introspection.get_foreign_keys("loose_tags") == {}
    assert set(introspection.get_foreign_keys("blog_post_tags")) == {"post_id", "tag_id"}
    assert set(project.columns("blog_post_friends")) == {"id", "from_post_id", "to_post_id"}
    # The target column has its own index; the source leads the unique pair.
    indexes = {index.columns for index in introspection.get_indexes("blog_post_tags")}
    assert ("tag_id",) in indexes
    out = io.StringIO()
    assert commands.checkdb(stdout=out) == 0, out.getvalue()
    # The live models work on the migrated tables.
    Tag, Post = registry.get_model("blog.Tag"), registry.get_model("blog.Post")
    tag = Tag.objects.create(name="x")
    post = Post.objects.create(title="p")
    post.tags.add(tag)
    post.loose.add(tag)
    post.friends.add(Post.objects.create(title="q"))
    assert [t.name for t in post.tags.all()] == ["x"]
    assert post.friends.count() == 1
