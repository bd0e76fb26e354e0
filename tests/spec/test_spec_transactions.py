"""SPEC §6: transactions, signals, several databases, raw connections, capture_queries."""

from __future__ import annotations

import threading

import pytest

import backends
import orm


def test_atomic_context_manager_and_decorator(models):
    with pytest.raises(RuntimeError):
        with orm.atomic():
            models.Tag.objects.create(name="a")
            raise RuntimeError
    assert models.Tag.objects.count() == 0

    @orm.atomic
    def make():
        models.Tag.objects.create(name="b")

    make()

    @orm.atomic(using="default", savepoint=True)
    def make_more():
        models.Tag.objects.create(name="c")

    make_more()
    assert models.Tag.objects.count() == 2


def test_nested_atomic_rolls_back_to_the_right_level(models):
    with orm.atomic():
        models.Tag.objects.create(name="outer")
        try:
            with orm.atomic():
                models.Tag.objects.create(name="inner")
                raise ValueError
        except ValueError:
            pass
        models.Tag.objects.create(name="after")
    assert sorted(models.Tag.objects.values_list("name", flat=True)) == ["after", "outer"]


def test_durable_atomic_cannot_nest(models):
    with pytest.raises(RuntimeError):
        with orm.atomic():
            with orm.atomic(durable=True):
                pass


def test_on_commit_and_set_rollback(models):
    calls = []
    with orm.atomic():
        orm.on_commit(lambda: calls.append("committed"))
        assert calls == []
    assert calls == ["committed"]
    with orm.atomic():
        orm.on_commit(lambda: calls.append("never"), using="default")
        models.Tag.objects.create(name="x")
        orm.set_rollback(True)
    assert calls == ["committed"] and models.Tag.objects.count() == 0
    orm.on_commit(lambda: calls.append("now"))  # outside atomic: runs at once
    assert calls[-1] == "now"


def test_autocommit_outside_atomic(models, spec_db, db_url):
    models.Tag.objects.create(name="seen")
    other = backends.connect(db_url)
    try:
        rows = other.execute("SELECT name FROM specblog_tag").fetchall()
    finally:
        other.close()
    assert [tuple(r) for r in rows] == [("seen",)]


def test_signals(models):
    seen = []

    @orm.receiver(orm.post_save, sender=models.Tag)
    def saved(sender, instance, created, **kwargs):
        seen.append(("post_save", instance.name, created))

    def pre(sender, instance, **kwargs):
        seen.append(("pre_save", instance.name))

    def changed(sender, instance, action, pk_set, **kwargs):
        seen.append(("m2m", action, len(pk_set or ())))

    def initialised(sender, instance, **kwargs):
        seen.append(("post_init", type(instance).__name__))

    orm.pre_save.connect(pre, sender=models.Tag)
    orm.m2m_changed.connect(changed, sender=models.Post.tags.through)
    orm.post_init.connect(initialised, sender=models.Tag)
    try:
        tag = models.Tag.objects.create(name="t")
        tag.save()
        author = models.Author.objects.create(name="A", email="a@x.org")
        post = models.Post.objects.create(author=author, title="p")
        post.tags.add(tag)
        models.Tag.objects.bulk_create([models.Tag(name="bulk")])
    finally:
        orm.post_save.disconnect(saved, sender=models.Tag)
        orm.pre_save.disconnect(pre, sender=models.Tag)
        orm.m2m_changed.disconnect(changed, sender=models.Post.tags.through)
        orm.post_init.disconnect(initialised, sender=models.Tag)
    assert ("pre_save", "t") in seen
    assert ("post_save", "t", True) in seen and ("post_save", "t", False) in seen
    assert ("m2m", "pre_add", 1) in seen and ("m2m", "post_add", 1) in seen
    assert ("post_init", "Tag") in seen
    assert not any(entry[:2] == ("post_save", "bulk") for entry in seen)
    for name in ("pre_init", "pre_delete", "post_delete", "pre_migrate", "post_migrate"):
        assert hasattr(getattr(orm, name), "connect")


def test_several_databases_and_routers(tmp_path, db_url, vendor):
    import cli

    replica = f"sqlite:///{tmp_path / 'replica.sqlite3'}"

    class Router:
        def db_for_read(self, model, **hints):
            return "replica" if model._meta.model_name == "tag" else None

        def db_for_write(self, model, **hints):
            return None

        def allow_relation(self, a, b, **hints):
            return True

        def allow_migrate(self, db, app_label, model_name=None, **hints):
            return True

    orm.configure(
        apps=["specblog", "contenttypes"],
        databases={"default": db_url, "replica": replica},
        routers=[Router()],
    )
    try:
        assert cli.call_command("migrate", verbosity=0) == 0
        assert cli.call_command("migrate", database="replica", verbosity=0) == 0
        from specblog.models import Tag

        Tag.objects.create(name="primary")
        assert Tag.objects.count() == 0  # reads go to the replica
        assert Tag.objects.using("default").count() == 1
        Tag(name="copied").save(using="replica")
        assert [t.name for t in Tag.objects.all()] == ["copied"]
        assert orm.connections["replica"].vendor == "sqlite"
        assert orm.connections["default"].vendor == vendor
    finally:
        orm.connections.close_all()


def test_raw_connections_same_on_every_backend(db_url, vendor):
    connection = backends.connect(db_url)
    try:
        assert connection.vendor == vendor
        connection.execute("CREATE TABLE raw_t (id integer PRIMARY KEY, name varchar(20))")
        cursor = connection.execute("INSERT INTO raw_t (id, name) VALUES (%s, %s)", (1, "a%b"))
        assert hasattr(cursor, "fetchall") and hasattr(cursor, "rowcount")
        cursor = connection.execute("SELECT name FROM raw_t WHERE id = %s", [1])
        assert cursor.fetchone()[0] == "a%b"
        assert cursor.description[0][0] == "name"
        cursor = connection.execute("SELECT COUNT(*) FROM raw_t WHERE name LIKE %s", ["a%%"])
        assert cursor.fetchone()[0] == 1
        assert "raw_t" in connection.introspection.table_names()
        assert [c.name for c in connection.introspection.get_columns("raw_t")] == ["id", "name"]
        assert connection.introspection.get_constraints("raw_t")
        assert connection.introspection.get_indexes("raw_t") == []
        assert connection.introspection.get_foreign_keys("raw_t") == {}
        with connection.schema_editor() as editor:
            assert editor is not None
    finally:
        connection.close()


def test_orm_connection_is_the_same_shape(models, spec_db):
    connection = orm.connections["default"]
    assert connection.vendor == spec_db
    assert connection.execute("SELECT %s", [41]).fetchone()[0] in (41, "41")
    assert "specblog_post" in connection.introspection.table_names()
    fks = connection.introspection.get_foreign_keys("specblog_post")
    assert fks["author_id"] == ("specblog_author", "id")


def test_sqlite_runs_with_foreign_keys_on(tmp_path):
    connection = backends.connect(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        connection.close()
    memory = backends.connect("sqlite:///:memory:")
    try:
        assert memory.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        memory.close()


def test_capture_queries_records_sql_and_params(models):
    with orm.capture_queries() as queries:
        models.Tag.objects.filter(name="x").exists()
        models.Tag.objects.create(name="y")
    assert len(queries) >= 2
    assert any("specblog_tag" in q.sql for q in queries)
    assert any("x" in list(q.params or ()) for q in queries)


def test_one_connection_per_thread(models):
    mine = orm.connections["default"]
    seen = []

    def work():
        seen.append(orm.connections["default"])
        seen.append(models.Tag.objects.count())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen[0] is not mine and seen[1] == 0
    assert orm.connections["default"] is mine


def test_close_all_then_reuse(models):
    models.Tag.objects.create(name="a")
    orm.connections.close_all()
    assert models.Tag.objects.count() == 1


def test_isolation_level_option(db_url, vendor):
    separator = "&" if "?" in db_url else "?"
    connection = backends.connect(f"{db_url}{separator}isolation_level=serializable")
    try:
        connection.execute("SELECT 1").fetchall()
        if vendor == "postgresql":
            connection.begin()
            level = connection.execute("SHOW transaction_isolation").fetchone()[0]
            connection.rollback()
            assert level == "serializable"
    finally:
        connection.close()


@pytest.mark.backends("postgresql")
def test_pool_size_option(db_url):
    separator = "&" if "?" in db_url else "?"
    orm.configure(databases={"default": f"{db_url}{separator}pool_size=2"})
    try:
        assert orm.connections["default"].execute("SELECT 1").fetchone()[0] == 1
    finally:
        orm.connections.close_all()


@pytest.mark.backends("postgresql", "mysql")
def test_connection_is_health_checked_on_reuse(models, spec_db, db_url):
    models.Tag.objects.create(name="a")
    connection = orm.connections["default"]
    if spec_db == "postgresql":
        backend_id = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        kill = "SELECT pg_terminate_backend(%s)"
    else:
        backend_id = connection.execute("SELECT CONNECTION_ID()").fetchone()[0]
        kill = "KILL %s"
    other = backends.connect(db_url)
    try:
        other.execute(kill, [backend_id])
    finally:
        other.close()
    try:  # the statement that meets the dead session may fail...
        models.Tag.objects.count()
    except orm.OperationalError:
        pass
    # ...but the dead connection is then replaced, not handed out again and again.
    assert models.Tag.objects.count() == 1
    with pytest.raises(ValueError):
        with orm.atomic():
            models.Tag.objects.create(name="b")
            raise ValueError
    assert models.Tag.objects.count() == 1
