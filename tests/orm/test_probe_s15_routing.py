"""Several databases and routers against Django's semantics (helper H3's round, session 15).

Each test runs on two databases of the backend under test (``pair="same"``)
and, where it matters, on a mixed pair: the backend under test as ``default``
and SQLite as ``other`` (``pair="mixed"``).
"""

from __future__ import annotations

import pytest

import orm

from .conftest import create_tables


class RoutedWriter(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "probes15r"


class RoutedLabel(orm.Model):
    name = orm.CharField(max_length=30, unique=True)

    class Meta:
        app_label = "probes15r"


class RoutedBook(orm.Model):
    writer = orm.ForeignKey(RoutedWriter, on_delete=orm.CASCADE, related_name="books")
    title = orm.CharField(max_length=30)
    labels = orm.ManyToManyField(RoutedLabel, related_name="books", blank=True)

    class Meta:
        app_label = "probes15r"


class RoutedProfile(orm.Model):
    writer = orm.OneToOneField(RoutedWriter, on_delete=orm.CASCADE, related_name="profile")
    bio = orm.CharField(max_length=30, default="")

    class Meta:
        app_label = "probes15r"


MODELS = [RoutedWriter, RoutedLabel, RoutedBook, RoutedBook.labels.through, RoutedProfile]


def configure_pair(db_url, new_db_url, pair: str, routers=()) -> None:
    """``default`` on the backend under test, ``other`` on another database (see module doc)."""
    other = new_db_url("sqlite") if pair == "mixed" else new_db_url()
    orm.configure(databases={"default": db_url, "other": other}, routers=list(routers))
    create_tables(*MODELS, using="default")
    create_tables(*MODELS, using="other")


@pytest.fixture(params=["same", "mixed"])
def pair(request, vendor):
    if request.param == "mixed" and vendor == "sqlite":
        pytest.skip("the mixed pair of SQLite is the same pair")
    return request.param


@pytest.fixture
def two_dbs(db_url, new_db_url, pair):
    configure_pair(db_url, new_db_url, pair)
    yield
    orm.connections.close_all()


def seed_other():
    """A writer with a profile, two books and a label, all on ``other``."""
    writer = RoutedWriter.objects.using("other").create(name="w")
    RoutedProfile.objects.using("other").create(writer=writer, bio="bio")
    book = RoutedBook.objects.using("other").create(writer=writer, title="b1")
    RoutedBook.objects.using("other").create(writer=writer, title="b2")
    label = RoutedLabel.objects.using("other").create(name="l")
    # Not book.labels.add(): a router may send that write elsewhere.
    RoutedBook.labels.through.objects.using("other").create(routedbook=book, routedlabel=label)
    return writer


def queries_by_alias(captured) -> set[str]:
    return {query.alias for query in captured}


# -- _state.db stickiness ------------------------------------------------------------


def test_object_read_from_other_saves_deletes_and_refreshes_there(two_dbs):
    seed_other()
    RoutedWriter.objects.create(name="on default")
    writer = RoutedWriter.objects.using("other").get(name="w")
    assert writer._state.db == "other"
    writer.name = "renamed"
    writer.save()
    assert RoutedWriter.objects.using("other").get(pk=writer.pk).name == "renamed"
    assert list(RoutedWriter.objects.values_list("name", flat=True)) == ["on default"]
    RoutedWriter.objects.using("other").filter(pk=writer.pk).update(name="changed there")
    writer.refresh_from_db()
    assert writer.name == "changed there"
    assert writer._state.db == "other"
    writer.delete()
    assert not RoutedWriter.objects.using("other").exists()
    assert RoutedWriter.objects.count() == 1


def test_relations_of_an_object_read_from_other_query_other(two_dbs):
    seed_other()
    writer = RoutedWriter.objects.using("other").get()
    book = RoutedBook.objects.using("other").get(title="b1")
    assert book.writer == writer and book.writer._state.db == "other"
    assert sorted(b.title for b in writer.books.all()) == ["b1", "b2"]
    assert all(b._state.db == "other" for b in writer.books.all())
    assert writer.books.count() == 2
    assert writer.profile.bio == "bio" and writer.profile._state.db == "other"
    assert [label.name for label in book.labels.all()] == ["l"]
    label = RoutedLabel.objects.using("other").get()
    assert [b.title for b in label.books.all()] == ["b1"]
    assert label.books.all()[0]._state.db == "other"


def test_prefetch_and_select_related_from_other_stay_on_other(two_dbs):
    seed_other()
    writers = list(RoutedWriter.objects.using("other").prefetch_related("books__labels", "profile"))
    assert [sorted(b.title for b in w.books.all()) for w in writers] == [["b1", "b2"]]
    books = sorted(writers[0].books.all(), key=lambda b: b.title)
    assert all(b._state.db == "other" for b in books)
    assert [label.name for label in books[0].labels.all()] == ["l"]
    assert books[0].labels.all()[0]._state.db == "other"
    assert writers[0].profile._state.db == "other"
    books = list(RoutedBook.objects.using("other").select_related("writer").prefetch_related("writer"))
    assert {b.writer._state.db for b in books} == {"other"}
    fks = list(RoutedBook.objects.using("other").prefetch_related("writer"))
    assert {b.writer._state.db for b in fks} == {"other"}


def test_create_through_related_managers_of_an_object_from_other_writes_other(two_dbs):
    seed_other()
    writer = RoutedWriter.objects.using("other").get()
    book = writer.books.create(title="b3")
    assert book._state.db == "other"
    assert RoutedBook.objects.using("other").filter(title="b3").exists()
    assert not RoutedBook.objects.exists()
    label = book.labels.create(name="made")
    assert label._state.db == "other"
    assert RoutedLabel.objects.using("other").filter(name="made").exists()
    assert not RoutedLabel.objects.exists()
    assert [b.title for b in label.books.all()] == ["b3"]
    book2, created = writer.books.get_or_create(title="b4")
    assert created and book2._state.db == "other"
    assert RoutedBook.objects.using("other").filter(title="b4").exists()
    book3, created = writer.books.update_or_create(title="b4", defaults={"title": "b5"})
    assert not created and book3._state.db == "other"
    assert RoutedBook.objects.using("other").filter(title="b5").exists()
    assert not RoutedBook.objects.exists()


def test_related_manager_add_remove_clear_set_on_other(two_dbs):
    seed_other()
    writer = RoutedWriter.objects.using("other").get()
    other_writer = RoutedWriter.objects.using("other").create(name="w2")
    book = RoutedBook.objects.using("other").get(title="b1")
    other_writer.books.add(book)
    assert RoutedBook.objects.using("other").get(title="b1").writer_id == other_writer.pk
    assert writer.books.count() == 1
    label2 = RoutedLabel.objects.using("other").create(name="l2")
    book.labels.set([label2])
    assert [label.name for label in book.labels.all()] == ["l2"]
    book.labels.clear()
    assert book.labels.count() == 0
    label2.books.add(book)
    assert book.labels.count() == 1
    label2.books.remove(book)
    assert book.labels.count() == 0


def test_save_with_using_moves_the_state(two_dbs):
    writer = RoutedWriter.objects.create(name="copied")
    writer.pk = None
    writer.save(using="other")
    assert writer._state.db == "other"
    writer.name = "copy changed"
    writer.save()
    assert RoutedWriter.objects.using("other").get().name == "copy changed"
    assert RoutedWriter.objects.get().name == "copied"


# -- QuerySet and manager ---------------------------------------------------------------


def test_using_after_filter_and_db_manager(two_dbs):
    seed_other()
    RoutedWriter.objects.create(name="w")
    queryset = RoutedWriter.objects.filter(name="w").using("other")
    assert queryset.db == "other"
    assert queryset.count() == 1 and queryset[0]._state.db == "other"
    manager = RoutedWriter.objects.db_manager("other")
    assert manager.db == "other"
    assert manager.get(name="w")._state.db == "other"
    made = manager.create(name="via db_manager")
    assert made._state.db == "other"
    assert RoutedWriter.objects.using("other").filter(name="via db_manager").exists()
    assert not RoutedWriter.objects.filter(name="via db_manager").exists()
    assert RoutedWriter.objects.db_manager("other").all().using("default").count() == 1


def test_get_or_create_update_or_create_bulk_create_on_other(two_dbs):
    obj, created = RoutedWriter.objects.using("other").get_or_create(name="g")
    assert created and obj._state.db == "other"
    obj, created = RoutedWriter.objects.using("other").get_or_create(name="g")
    assert not created and obj._state.db == "other"
    obj, created = RoutedWriter.objects.using("other").update_or_create(name="g", defaults={"name": "u"})
    assert not created and obj._state.db == "other" and obj.name == "u"
    obj, created = RoutedWriter.objects.db_manager("other").update_or_create(name="new")
    assert created and obj._state.db == "other"
    made = RoutedWriter.objects.using("other").bulk_create([RoutedWriter(name="b1"), RoutedWriter(name="b2")])
    assert [w._state.db for w in made] == ["other", "other"]
    assert not any(w._state.adding for w in made)
    assert RoutedWriter.objects.using("other").count() == 4
    assert RoutedWriter.objects.count() == 0
    for writer in made:
        writer.name += "!"
    RoutedWriter.objects.using("other").bulk_update(made, ["name"])
    assert sorted(RoutedWriter.objects.using("other").values_list("name", flat=True)) == ["b1!", "b2!", "new", "u"]
    assert RoutedWriter.objects.using("other").in_bulk([made[0].pk])[made[0].pk]._state.db == "other"


def test_atomic_on_other_is_isolated_from_default(two_dbs):
    with pytest.raises(RuntimeError):
        with orm.atomic(using="other"):
            RoutedWriter.objects.using("other").create(name="rolled back")
            RoutedWriter.objects.create(name="autocommitted")
            raise RuntimeError
    assert not RoutedWriter.objects.using("other").exists()
    assert RoutedWriter.objects.filter(name="autocommitted").exists()
    with pytest.raises(RuntimeError):
        with orm.atomic():
            RoutedWriter.objects.create(name="default rolled back")
            RoutedWriter.objects.using("other").create(name="other kept")
            raise RuntimeError
    assert list(RoutedWriter.objects.using("other").values_list("name", flat=True)) == ["other kept"]
    assert not RoutedWriter.objects.filter(name="default rolled back").exists()
    calls = []
    with orm.atomic(using="other"):
        orm.on_commit(lambda: calls.append("other"), using="other")
        assert orm.connections["other"].in_transaction
        assert not orm.connections["default"].in_transaction
    assert calls == ["other"]


def test_select_for_update_on_other(two_dbs):
    RoutedWriter.objects.using("other").create(name="locked")
    with orm.atomic(using="other"):
        rows = list(RoutedWriter.objects.using("other").select_for_update())
        assert [r.name for r in rows] == ["locked"]
        assert rows[0]._state.db == "other"


def test_select_for_update_on_other_outside_its_transaction_is_refused(two_dbs):
    RoutedWriter.objects.using("other").create(name="locked")
    if not orm.connections["other"].dialect.supports_select_for_update:
        pytest.skip("SQLite locks the whole database; select_for_update() is a no-op there")
    with orm.atomic():  # a transaction on default does not cover "other"
        with pytest.raises(orm.ProgrammingError, match="inside orm.atomic"):
            list(RoutedWriter.objects.using("other").select_for_update())


# -- relations across databases without routers -------------------------------------------


def test_relating_objects_of_two_databases_is_refused_without_routers(two_dbs):
    writer = RoutedWriter.objects.create(name="on default")
    book = RoutedBook.objects.using("other").create(
        writer=RoutedWriter.objects.using("other").create(name="there"), title="b"
    )
    with pytest.raises(ValueError, match="Cannot assign|router prevents this relation"):
        book.writer = writer
    with pytest.raises(ValueError, match="router prevents this relation"):
        writer.books.add(book)
    label = RoutedLabel.objects.create(name="on default")
    with pytest.raises(ValueError, match="router prevents this relation"):
        book.labels.add(label)
    # An unsaved object may be related to either; the same database always.
    RoutedBook(writer=writer, title="new")
    book.writer = RoutedWriter.objects.using("other").get(name="there")



# -- routers --------------------------------------------------------------------------------


class NoOpinion:
    """Answers nothing; records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def db_for_read(self, model, **hints):
        self.calls.append(("read", model, hints.get("instance")))

    def db_for_write(self, model, **hints):
        self.calls.append(("write", model, hints.get("instance")))

    def allow_relation(self, obj1, obj2, **hints):
        self.calls.append(("relation", obj1, obj2))


class WritersToOther:
    def db_for_read(self, model, **hints):
        return "other" if model is RoutedWriter else None

    db_for_write = db_for_read


class EverythingToDefault:
    def db_for_read(self, model, **hints):
        return "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return True


class ReplicaRouter:
    """Reads from ``other``, writes to ``default``, relations always allowed."""

    def db_for_read(self, model, **hints):
        return "other"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True


class RefuseRelations:
    def allow_relation(self, obj1, obj2, **hints):
        return False


@pytest.fixture
def routed(db_url, new_db_url, pair):
    """``configure_pair`` with the routers the test passes to the function it gets."""

    def configure(*routers):
        configure_pair(db_url, new_db_url, pair, routers)

    yield configure
    orm.connections.close_all()


def test_first_router_with_an_answer_wins(routed):
    first = NoOpinion()
    routed(first, WritersToOther(), EverythingToDefault())
    assert orm.router.db_for_read(RoutedWriter) == "other"
    assert orm.router.db_for_write(RoutedWriter) == "other"
    assert orm.router.db_for_read(RoutedBook) == "default"
    assert [call[0] for call in first.calls] == ["read", "write", "read"]
    writer = RoutedWriter.objects.create(name="routed")
    assert writer._state.db == "other"
    assert RoutedWriter.objects.get().pk == writer.pk
    assert not RoutedWriter.objects.using("default").exists()


def test_routers_get_the_instance_hint(routed):
    recorder = NoOpinion()
    routed(recorder)
    seed_other()
    book = RoutedBook.objects.using("other").get(title="b1")
    writer = RoutedWriter.objects.using("other").get()

    def asked(action, model, instance):
        return any(
            call[0] == action and call[1] is model and call[2] is instance for call in recorder.calls
        )

    recorder.calls.clear()
    assert book.writer.name == "w"
    assert asked("read", RoutedWriter, book)
    assert len(writer.books.all()) == 2
    assert asked("read", RoutedBook, writer)
    assert writer.profile.bio == "bio"
    assert asked("read", RoutedProfile, writer)
    assert len(book.labels.all()) == 1
    assert asked("read", RoutedLabel, book)
    writer.books.create(title="b3")
    assert asked("write", RoutedBook, writer)
    book.labels.add(RoutedLabel.objects.using("other").create(name="l2"))
    assert asked("write", RoutedBook.labels.through, book)
    book.save()
    assert asked("write", RoutedBook, book)
    book.refresh_from_db()
    assert asked("read", RoutedBook, book)
    book.delete()
    assert asked("write", RoutedBook, book)


def test_router_answers_win_over_the_instance_database(routed):
    routed(ReplicaRouter())
    seed_other()  # with using(): the data lands on "other", the "replica"
    writer = RoutedWriter.objects.get()
    assert writer._state.db == "other"
    # Django asks the router first, with the instance as a hint: writes go to "default".
    RoutedWriter.objects.using("default").create(pk=writer.pk, name="primary copy")
    writer.name = "saved"
    writer.save()
    assert RoutedWriter.objects.using("default").get().name == "saved"
    assert writer._state.db == "default"
    assert RoutedWriter.objects.using("other").get().name == "w"
    writer.refresh_from_db()  # reads from the replica, as the router says
    assert writer.name == "w" and writer._state.db == "other"
    # A related manager's writes go where db_for_write says, its reads where db_for_read says.
    assert writer.books.count() == 2
    RoutedBook.objects.using("default").create(pk=1000, writer_id=writer.pk, title="on primary")
    assert writer.books.update(title="updated") == 1
    assert RoutedBook.objects.using("default").get().title == "updated"
    assert sorted(RoutedBook.objects.using("other").values_list("title", flat=True)) == ["b1", "b2"]
    assert writer.books.filter(title="b1").delete()[0] == 0
    assert RoutedBook.objects.using("other").count() == 2


def test_get_or_create_reads_the_write_database(routed):
    routed(ReplicaRouter())
    RoutedWriter.objects.create(name="only on primary")
    obj, created = RoutedWriter.objects.get_or_create(name="only on primary")
    assert not created and obj._state.db == "default"
    obj, created = RoutedWriter.objects.update_or_create(name="only on primary", defaults={"name": "u"})
    assert not created and obj._state.db == "default"
    assert RoutedWriter.objects.using("default").count() == 1
    assert not RoutedWriter.objects.exists()  # reads go to the replica


def test_router_refusing_a_relation_raises_value_error(routed):
    routed(RefuseRelations())
    writer = RoutedWriter.objects.create(name="w")
    book = RoutedBook.objects.create(writer_id=RoutedWriter.objects.create(name="x").pk, title="b")
    with pytest.raises(ValueError, match="Cannot assign .*: the current database router prevents this relation"):
        book.writer = writer
    with pytest.raises(ValueError, match="router prevents this relation"):
        writer.books.add(book)
    label = RoutedLabel.objects.create(name="l")
    with pytest.raises(ValueError, match="router prevents this relation"):
        book.labels.add(label)
    with pytest.raises(ValueError, match="router prevents this relation"):
        label.books.add(book)
    with pytest.raises(ValueError, match="router prevents this relation"):
        book.labels.set([label])
    assert not book.labels.exists()


def test_router_allowing_a_relation_across_databases(routed):
    routed(EverythingToDefault())
    writer = RoutedWriter.objects.create(name="on default")
    there = RoutedBook.objects.using("other").create(
        writer=RoutedWriter.objects.using("other").create(name="there"), title="b"
    )
    there.writer = writer  # allowed by the router
    assert there.writer_id == writer.pk


def test_router_without_opinion_falls_back_to_comparing_databases(routed):
    recorder = NoOpinion()
    routed(recorder)
    writer = RoutedWriter.objects.create(name="on default")
    book = RoutedBook.objects.using("other").create(
        writer=RoutedWriter.objects.using("other").create(name="there"), title="b"
    )
    with pytest.raises(ValueError, match="router prevents this relation"):
        book.writer = writer
    assert ("relation", writer, book) in recorder.calls
    book.writer = RoutedWriter.objects.using("other").get()


def test_an_unsaved_object_related_to_a_saved_one_takes_its_database(two_dbs):
    writer = RoutedWriter.objects.using("other").create(name="there")
    book = RoutedBook(writer=writer, title="follows its writer")
    assert book._state.db == "other"
    book.save()
    assert RoutedBook.objects.using("other").filter(title="follows its writer").exists()
    assert not RoutedBook.objects.exists()
    # The other way round: the unsaved target takes the database of the object it is assigned to.
    newcomer = RoutedWriter(name="newcomer")
    book.writer = newcomer
    assert newcomer._state.db == "other"
    newcomer.save()
    assert RoutedWriter.objects.using("other").filter(name="newcomer").exists()
    profile = RoutedProfile(bio="p")
    writer.profile = profile  # reverse one-to-one
    assert profile._state.db == "other"
    profile.save()
    assert RoutedProfile.objects.using("other").get().writer_id == writer.pk
    # QuerySet.create() asks the routers without the instance (as Django): default.
    assert RoutedWriter.objects.create(name="here")._state.db == "default"


# -- allow_migrate through the command line -----------------------------------------------------


MEMO_INITIAL = '''
    migrations.CreateModel(
        name="Note",
        fields=[("id", orm.BigAutoField(primary_key=True)), ("text", orm.CharField(max_length=100))],
    ),
    migrations.CreateModel(
        name="Log",
        fields=[("id", orm.BigAutoField(primary_key=True)), ("line", orm.CharField(max_length=100))],
    ),
    migrations.RunSQL("INSERT INTO memo_log (line) VALUES ('sql')", reverse_sql="", hints={"log": True}),
    migrations.RunPython(fill, hints={"log": True}),
    migrations.RunPython(note, hints={"note": True}),
'''

MEMO_FUNCTIONS = '''
def fill(apps, schema_editor):
    apps.get_model("memo", "Log").objects.create(line="python")


def note(apps, schema_editor):
    apps.get_model("memo", "Note").objects.create(text="python")
'''


class LogsOnOther:
    """``memo.Log`` (and operations hinted ``log``) only on ``other``; ``memo.Note`` only on ``default``."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label != "memo":
            return None
        on_other = model_name == "log" or hints.get("log", False)
        return db == ("other" if on_other else "default")


def test_migrate_database_other_honours_allow_migrate(tmp_path, db_url, new_db_url, pair, capsys):
    import cli
    from contenttypes import ContentType
    from migrations_engine.recorder import MigrationRecorder
    from tests.migrations_engine.runtime_project import Project, migration_source

    project = Project(tmp_path, db_url)
    project.app(
        "memo",
        {"0001_initial": migration_source(MEMO_INITIAL, initial=True, extra=MEMO_FUNCTIONS)},
        models='''
class Note(orm.Model):
    text = orm.CharField(max_length=100)


class Log(orm.Model):
    line = orm.CharField(max_length=100)
''',
    )
    other = new_db_url("sqlite") if pair == "mixed" else new_db_url()
    try:
        project.configure(databases={"other": other}, routers=[LogsOnOther()])
        # contenttypes is added here, not as a project app: the project would re-import it.
        orm.configure(
            apps=["memo", "contenttypes"], databases={"default": db_url, "other": other}, routers=[LogsOnOther()]
        )
        ContentType.objects.clear_cache()
        assert cli.call_command("migrate", verbosity=0) == 0
        assert cli.call_command("migrate", database="other", verbosity=0) == 0
        assert "memo_note" in project.tables_of("default") and "memo_log" not in project.tables_of("default")
        assert "memo_log" in project.tables_of("other") and "memo_note" not in project.tables_of("other")
        log_lines = orm.connections["other"].execute("SELECT line FROM memo_log ORDER BY line").fetchall()
        assert [row[0] for row in log_lines] == ["python", "sql"]
        notes = orm.connections["default"].execute("SELECT text FROM memo_note").fetchall()
        assert [row[0] for row in notes] == ["python"]
        for alias in ("default", "other"):
            applied = set(MigrationRecorder(orm.connections[alias]).applied_migrations())
            assert ("memo", "0001_initial") in applied and ("contenttypes", "0001_initial") in applied
            # Content types of every model, on each database where contenttypes migrates.
            assert set(ContentType.objects.using(alias).filter(app_label="memo").values_list("model", flat=True)) == {
                "note", "log",
            }
            # checkdb compares only what the routers let migrate put there.
            assert cli.call_command("checkdb", database=alias, verbosity=0) == 0
        capsys.readouterr()
        assert cli.call_command("sqlmigrate", "memo", "0001", database="other") == 0
        printed = capsys.readouterr().out.lower()
        assert "memo_log" in printed and "memo_note" not in printed
    finally:
        ContentType.objects.clear_cache()
        project.close()


# -- more of the same object on two databases ------------------------------------------------


def seed_both():
    """The same rows (same primary keys) on both databases, with different names."""
    for alias in ("default", "other"):
        writer = RoutedWriter.objects.using(alias).create(pk=1, name=f"w {alias}")
        RoutedProfile.objects.using(alias).create(writer=writer, bio=alias)
        for number in (1, 2):
            RoutedBook.objects.using(alias).create(pk=number, writer=writer, title=f"b{number} {alias}")
        label = RoutedLabel.objects.using(alias).create(name=f"l {alias}")
        RoutedBook.labels.through.objects.using(alias).create(routedbook_id=1, routedlabel=label)


def test_cascading_delete_from_other_stays_on_other(two_dbs):
    seed_both()
    total, counts = RoutedWriter.objects.using("other").get().delete()
    assert counts["probes15r.RoutedBook"] == 2 and counts["probes15r.RoutedProfile"] == 1
    assert total == 5  # writer, profile, two books, one junction row
    assert not RoutedBook.objects.using("other").exists()
    assert RoutedBook.objects.count() == 2 and RoutedProfile.objects.count() == 1
    assert RoutedBook.labels.through.objects.count() == 1
    RoutedLabel.objects.using("other").all().delete()
    assert RoutedLabel.objects.count() == 1


def test_queryset_operations_on_other_leave_default_alone(two_dbs):
    seed_both()
    other = RoutedBook.objects.using("other")
    assert other.filter(title__endswith="other").count() == 2
    assert other.update(title=orm.Upper("title")) == 2
    assert [b.title for b in other.order_by("pk")] == ["B1 OTHER", "B2 OTHER"]
    assert [b.title for b in RoutedBook.objects.order_by("pk")] == ["b1 default", "b2 default"]
    assert other.aggregate(n=orm.Count("pk"))["n"] == 2
    assert [row["writer__name"] for row in other.values("writer__name").distinct()] == ["w other"]
    assert [b._state.db for b in other.iterator(chunk_size=1)] == ["other", "other"]
    assert other.filter(writer__profile__bio="other").count() == 2
    assert RoutedWriter.objects.using("other").filter(books__labels__name="l other").count() == 1
    subquery = RoutedWriter.objects.using("other").filter(name="w other").values("pk")
    assert other.filter(writer__in=subquery).count() == 2
    assert other.filter(pk=1).delete()[0] == 2  # the book and its junction row
    assert RoutedBook.objects.count() == 2


def test_explicit_prefetch_queryset_database_wins(two_dbs):
    seed_both()
    writer = RoutedWriter.objects.using("other").prefetch_related(
        orm.Prefetch("books", queryset=RoutedBook.objects.using("other").order_by("pk"), to_attr="fetched")
    ).get()
    assert [b.title for b in writer.fetched] == ["b1 other", "b2 other"]
    writer = RoutedWriter.objects.using("other").prefetch_related("books__writer", "books__labels").get()
    books = sorted(writer.books.all(), key=lambda b: b.pk)
    assert [b.writer.name for b in books] == ["w other", "w other"]
    assert [label.name for label in books[0].labels.all()] == ["l other"]


def test_signals_and_validation_use_the_objects_database(two_dbs):
    seed_both()
    seen = []

    def saved(sender, instance, using, **kwargs):
        seen.append(using)

    orm.post_save.connect(saved, sender=RoutedLabel)
    try:
        label = RoutedLabel.objects.using("other").get()
        label.save()
        RoutedLabel.objects.using("other").create(name="second")
    finally:
        orm.post_save.disconnect(saved, sender=RoutedLabel)
    assert seen == ["other", "other"]
    # Uniqueness is checked on the object's database.
    clash = RoutedLabel.objects.using("other").get(name="second")
    clash.name = "l other"
    with pytest.raises(orm.ValidationError):
        clash.full_clean()
    clash.name = "l default"  # taken on default only
    clash.full_clean()
    # A foreign key is checked against the object's database.
    book = RoutedBook.objects.using("other").get(pk=1)
    book.writer_id = 1
    book.full_clean()


def test_pickled_object_keeps_its_database(two_dbs):
    import pickle

    seed_both()
    book = pickle.loads(pickle.dumps(RoutedBook.objects.using("other").get(pk=1)))
    assert book._state.db == "other"
    assert book.writer.name == "w other"
    book.title = "pickled"
    book.save()
    assert RoutedBook.objects.using("other").get(pk=1).title == "pickled"
    assert RoutedBook.objects.get(pk=1).title == "b1 default"


def test_get_or_create_rolls_back_on_its_own_database(two_dbs):
    RoutedLabel.objects.using("other").create(name="taken")
    with orm.atomic(using="other"):
        label, created = RoutedLabel.objects.using("other").get_or_create(name="taken")
        assert not created
        with pytest.raises(orm.IntegrityError):
            with orm.atomic(using="other"):
                RoutedLabel.objects.using("other").create(name="taken")
        RoutedLabel.objects.using("other").create(name="after")
    assert sorted(RoutedLabel.objects.using("other").values_list("name", flat=True)) == ["after", "taken"]
    assert not RoutedLabel.objects.exists()


def test_replica_router_sends_every_write_to_the_primary(routed):
    routed(ReplicaRouter())
    with orm.capture_queries() as captured:
        made = RoutedWriter.objects.bulk_create([RoutedWriter(name="a"), RoutedWriter(name="b")])
        for writer in made:
            writer.name += "!"
        RoutedWriter.objects.bulk_update(made, ["name"])
        RoutedWriter.objects.filter(name="a!").update(name="a?")
        with orm.atomic():
            # Locks on the primary, as Django (select_for_update() is a write).
            assert len(RoutedWriter.objects.select_for_update()) == 2
        RoutedWriter.objects.filter(name="b!").delete()
    assert queries_by_alias(captured) == {"default"}
    assert sorted(RoutedWriter.objects.using("default").values_list("name", flat=True)) == ["a?"]
    assert RoutedWriter.objects.count() == 0 and not RoutedWriter.objects.exists()
    with orm.capture_queries() as captured:
        RoutedWriter.objects.in_bulk([1])
        list(RoutedWriter.objects.raw("SELECT * FROM probes15r_routedwriter"))
    assert queries_by_alias(captured) == {"other"}


def test_saving_a_loaded_object_to_another_database_copies_it(two_dbs):
    writer = RoutedWriter.objects.create(name="original")
    loaded = RoutedWriter.objects.get()
    loaded.save(using="other")  # no row with that pk there: an INSERT, as Django
    assert loaded._state.db == "other"
    assert RoutedWriter.objects.using("other").get().pk == writer.pk
    partial = RoutedWriter.objects.only("pk").get()
    partial.save(using="other")  # deferred fields are loaded, not skipped, on another database
    assert RoutedWriter.objects.using("other").get().name == "original"


def test_bulk_add_of_an_object_from_another_database_is_refused(routed):
    routed(EverythingToDefault())  # allows every relation
    writer = RoutedWriter.objects.create(name="on default")
    other_writer = RoutedWriter.objects.create(name="its namesake")
    RoutedBook.objects.create(pk=7, writer=other_writer, title="same pk on default")
    there = RoutedBook.objects.using("other").create(
        pk=7, writer=RoutedWriter.objects.using("other").create(name="there"), title="on other"
    )
    # As Django: an UPDATE by primary key on "default" would change another row.
    with pytest.raises(ValueError, match="bulk=False"):
        writer.books.add(there)
    assert RoutedBook.objects.get(pk=7).writer_id == other_writer.pk


def test_db_manager_passes_hints_to_the_routers(routed):
    recorder = NoOpinion()
    routed(recorder, WritersToOther())
    writer = RoutedWriter.objects.create(name="w")
    assert writer._state.db == "other"
    hinted = RoutedBook.objects.db_manager(hints={"instance": writer})
    recorder.calls.clear()
    book = hinted.create(writer=writer, title="by hint")  # no router answers for books: the hint's database
    assert book._state.db == "other"
    assert ("write", RoutedBook, writer) in recorder.calls
    assert [b.title for b in hinted.filter(title="by hint")] == ["by hint"]
    assert ("read", RoutedBook, writer) in recorder.calls
    assert not RoutedBook.objects.exists()  # without the hint: default
    assert RoutedBook.objects.db_manager("default", hints={"instance": writer}).count() == 0
    assert type(hinted).__name__ == type(RoutedBook.objects).__name__
