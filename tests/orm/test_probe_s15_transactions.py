"""Transactions against Django's documented semantics, on every backend (helper H2's round, S15).

TransactionManagementError where Django raises it, the refusal of queries in a
transaction an error has broken, decorators on methods, ``using=`` aliases,
on_commit in rolled-back savepoints and failing callbacks, blocks joined to a
transaction opened by hand, and the URL's isolation level on every connection.
"""

from __future__ import annotations

import threading

import pytest

import orm
from tests.orm.conftest import create_tables


class TxProbe(orm.Model):
    name = orm.CharField(max_length=30, unique=True)

    class Meta:
        app_label = "probes15tx"


class TxProbeChild(orm.Model):
    parent = orm.ForeignKey(TxProbe, on_delete=orm.CASCADE)

    class Meta:
        app_label = "probes15tx"


MODELS = [TxProbe, TxProbeChild]

BROKEN = "You can't execute queries until the end of the 'atomic' block"


def names(using="default"):
    return sorted(TxProbe.objects.using(using).values_list("name", flat=True))


def fail_in_block_without_savepoint():
    """Run a failing INSERT in ``atomic(savepoint=False)`` and catch the error outside the block."""
    with pytest.raises(orm.IntegrityError):
        with orm.atomic(savepoint=False):
            TxProbe.objects.create(name="dup")


@pytest.fixture
def two_dbs(db_url, new_db_url):
    orm.configure(databases={"default": db_url, "other": new_db_url()})
    create_tables(*MODELS)
    create_tables(*MODELS, using="other")
    yield
    orm.connections.close_all()


# -- TransactionManagementError ----------------------------------------------------------


def test_transaction_management_error_is_a_programming_error():
    import backends
    from orm import exceptions

    assert orm.TransactionManagementError is exceptions.TransactionManagementError
    assert orm.TransactionManagementError is backends.TransactionManagementError
    assert issubclass(orm.TransactionManagementError, orm.ProgrammingError)


def test_rollback_flag_outside_atomic_raises_transaction_management_error(models_db):
    # Was RuntimeError for set_rollback() and False for orm.get_rollback(); Django raises both.
    with pytest.raises(orm.TransactionManagementError, match="outside of an 'atomic' block"):
        orm.set_rollback(True)
    with pytest.raises(orm.TransactionManagementError, match="outside of an 'atomic' block"):
        orm.get_rollback()
    with orm.atomic():
        assert orm.get_rollback() is False
        orm.set_rollback(True)
        assert orm.get_rollback() is True
        orm.set_rollback(False)
    assert names() == []


def test_select_for_update_outside_a_transaction(models_db, vendor):
    TxProbe.objects.create(name="a")
    if vendor == "sqlite":
        assert [p.name for p in TxProbe.objects.select_for_update()] == ["a"]
        return
    with pytest.raises(orm.TransactionManagementError, match="inside orm.atomic"):
        list(TxProbe.objects.select_for_update())
    with pytest.raises(orm.ProgrammingError):  # what it raised before: callers still catch it
        list(TxProbe.objects.select_for_update())


def test_nested_durable_block_raises_runtime_error_as_in_django(models_db):
    # Django raises RuntimeError here, not TransactionManagementError.
    with orm.atomic():
        with pytest.raises(RuntimeError, match="durable"):
            with orm.atomic(durable=True):
                pass
        TxProbe.objects.create(name="kept")
    assert names() == ["kept"]


def test_on_commit_refuses_what_is_not_callable(models_db):
    with pytest.raises(TypeError, match="callable"):
        orm.on_commit(None)
    with orm.atomic():
        with pytest.raises(TypeError, match="callable"):
            orm.on_commit("send_mail")
        TxProbe.objects.create(name="kept")
    assert names() == ["kept"]


# -- a broken transaction refuses queries ------------------------------------------------


def test_error_in_block_without_savepoint_refuses_queries_until_the_outer_block_ends(models_db):
    TxProbe.objects.create(name="dup")
    connection = orm.connections["default"]
    healthy_class = type(connection)
    with orm.atomic():
        TxProbe.objects.create(name="outer")
        fail_in_block_without_savepoint()
        assert orm.get_rollback() is True
        with pytest.raises(orm.TransactionManagementError, match=BROKEN) as refused:
            TxProbe.objects.count()
        assert isinstance(refused.value.__cause__, orm.IntegrityError)
        with pytest.raises(orm.TransactionManagementError, match=BROKEN):
            TxProbe.objects.create(name="more")
        with pytest.raises(orm.TransactionManagementError, match=BROKEN):
            connection.execute("SELECT 1")
        with pytest.raises(orm.TransactionManagementError, match=BROKEN):
            connection.cursor()
        with pytest.raises(orm.TransactionManagementError, match=BROKEN):
            list(TxProbe.objects.iterator())
        # A nested block takes no savepoint in a broken transaction: still refused.
        with pytest.raises(orm.TransactionManagementError, match=BROKEN):
            with orm.atomic():
                TxProbe.objects.count()
    # The outer block rolled everything back; the connection is healthy again.
    assert type(connection) is healthy_class
    assert names() == ["dup"]
    assert not connection.in_transaction


def test_savepoint_of_an_enclosing_block_ends_the_refusal(models_db):
    TxProbe.objects.create(name="dup")
    with orm.atomic():
        TxProbe.objects.create(name="outer")
        with orm.atomic():
            TxProbe.objects.create(name="inner")
            fail_in_block_without_savepoint()
            with pytest.raises(orm.TransactionManagementError, match=BROKEN):
                TxProbe.objects.count()
        # Leaving the inner block rolled back to its savepoint: queries run again.
        assert orm.get_rollback() is False
        TxProbe.objects.create(name="after")
    assert names() == ["after", "dup", "outer"]


def test_set_rollback_true_refuses_queries_and_false_lets_them_run(models_db):
    with orm.atomic():
        TxProbe.objects.create(name="a")
        orm.set_rollback(True)
        with pytest.raises(orm.TransactionManagementError, match=BROKEN):
            TxProbe.objects.create(name="b")
        orm.set_rollback(False)
        TxProbe.objects.create(name="c")
    assert names() == ["a", "c"]


def test_refusal_is_per_connection(two_dbs):
    TxProbe.objects.create(name="dup")
    with orm.atomic():
        with orm.atomic(using="other"):
            fail_in_block_without_savepoint()
            with pytest.raises(orm.TransactionManagementError):
                TxProbe.objects.count()
            TxProbe.objects.using("other").create(name="other kept")
            orm.set_rollback(True, using="other")
            with pytest.raises(orm.TransactionManagementError):
                TxProbe.objects.using("other").count()
    assert names() == ["dup"]
    assert names("other") == []


def test_refused_error_leaving_the_block_rolls_back_and_propagates(models_db):
    TxProbe.objects.create(name="dup")
    with pytest.raises(orm.TransactionManagementError):
        with orm.atomic():
            TxProbe.objects.create(name="gone")
            fail_in_block_without_savepoint()
            TxProbe.objects.create(name="never")
    assert names() == ["dup"]
    TxProbe.objects.create(name="next")
    assert names() == ["dup", "next"]


# -- atomic joined to a transaction opened by hand ----------------------------------------


def test_joined_block_without_savepoint_refuses_queries_until_the_opener_rolls_back(models_db):
    TxProbe.objects.create(name="dup")
    connection = orm.connections["default"]
    connection.begin()
    TxProbe.objects.create(name="before")
    fail_in_block_without_savepoint()
    # No savepoint could undo the block alone: the hand-opened transaction is broken.
    with pytest.raises(orm.TransactionManagementError, match=BROKEN):
        TxProbe.objects.count()
    with pytest.raises(orm.TransactionManagementError, match=BROKEN):
        connection.commit()
    connection.rollback()
    assert not connection.in_transaction
    assert names() == ["dup"]


def test_joined_block_with_savepoint_undoes_only_itself(models_db):
    TxProbe.objects.create(name="dup")
    connection = orm.connections["default"]
    connection.begin()
    TxProbe.objects.create(name="before")
    with pytest.raises(orm.IntegrityError):
        with orm.atomic():
            TxProbe.objects.create(name="block")
            TxProbe.objects.create(name="dup")
    with orm.atomic():
        orm.set_rollback(True)
    TxProbe.objects.create(name="after")
    connection.commit()
    assert names() == ["after", "before", "dup"]


# -- decorators and aliases --------------------------------------------------------------


class Ledger:
    def __init__(self):
        self.calls = 0

    @orm.atomic
    def record(self, name, fail=False):
        """Create a row; ``fail`` raises after it."""
        self.calls += 1
        TxProbe.objects.create(name=name)
        if fail:
            raise ValueError(name)

    @orm.atomic(using="other")
    def record_other(self, name, fail=False):
        TxProbe.objects.using("other").create(name=name)
        if fail:
            raise ValueError(name)

    @orm.atomic()
    def nested(self, depth):
        TxProbe.objects.create(name=f"depth {depth}")
        if depth == 3:
            raise ValueError("deepest")
        try:
            self.nested(depth + 1)
        except ValueError:
            pass


def test_atomic_decorates_methods(models_db):
    ledger = Ledger()
    assert Ledger.record.__name__ == "record"
    assert Ledger.record.__doc__.startswith("Create a row")
    ledger.record("a")
    with pytest.raises(ValueError):
        ledger.record("b", fail=True)
    assert ledger.calls == 2
    assert names() == ["a"]
    # The same decorated method, re-entered: each level has its own savepoint.
    ledger.nested(1)
    assert names() == ["a", "depth 1", "depth 2"]


def test_atomic_decorator_with_using_and_on_commit_using(two_dbs):
    ledger = Ledger()
    calls = []
    with orm.atomic():
        TxProbe.objects.create(name="default")
        ledger.record_other("other")
        with pytest.raises(ValueError):
            ledger.record_other("rolled back", fail=True)
        with orm.atomic(using="other"):
            orm.on_commit(lambda: calls.append("other"), using="other")
        # "other" committed on its own; "default" is still open.
        assert calls == ["other"]
        orm.on_commit(lambda: calls.append("default"))
        with pytest.raises(orm.TransactionManagementError):
            orm.set_rollback(True, using="other")
        assert calls == ["other"]
    assert calls == ["other", "default"]
    assert names() == ["default"]
    assert names("other") == ["other"]


# -- on_commit -----------------------------------------------------------------------------


def test_on_commit_in_a_released_savepoint_inside_a_rolled_back_one_is_discarded(models_db):
    ran = []
    with orm.atomic():
        orm.on_commit(lambda: ran.append("outer"))
        with pytest.raises(ValueError):
            with orm.atomic():
                with orm.atomic():
                    orm.on_commit(lambda: ran.append("released then rolled back"))
                with orm.atomic(savepoint=False):
                    orm.on_commit(lambda: ran.append("joined then rolled back"))
                raise ValueError
        with orm.atomic():
            with orm.atomic():
                orm.on_commit(lambda: ran.append("kept"))
        assert ran == []
    assert ran == ["outer", "kept"]


def test_on_commit_after_a_caught_error_without_savepoint_never_runs(models_db):
    TxProbe.objects.create(name="dup")
    ran = []
    with orm.atomic():
        orm.on_commit(lambda: ran.append("before"))
        fail_in_block_without_savepoint()
        orm.on_commit(lambda: ran.append("after"))
    assert ran == []


def test_failing_callback_propagates_after_the_commit_and_drops_the_rest(models_db):
    # As Django: the data is committed, the error reaches the caller, the later callbacks
    # do not run, and the connection is out of the transaction and usable.
    ran = []

    def fail():
        raise KeyError("callback")

    with pytest.raises(KeyError):
        with orm.atomic():
            TxProbe.objects.create(name="committed")
            orm.on_commit(lambda: ran.append("first"))
            orm.on_commit(fail)
            orm.on_commit(lambda: ran.append("dropped"))
    assert ran == ["first"]
    assert names() == ["committed"]
    assert not orm.connections["default"].in_transaction
    with orm.atomic():
        orm.on_commit(lambda: ran.append("next"))
    assert ran == ["first", "next"]
    with pytest.raises(KeyError):
        orm.on_commit(fail)  # outside atomic: runs at once, and raises at once


# -- isolation level -----------------------------------------------------------------------


def isolation_level(connection, vendor):
    if vendor == "postgresql":
        with orm.atomic():
            return connection.execute("SHOW transaction_isolation").fetchone()[0].upper()
    if vendor == "mysql":
        return connection.execute("SELECT @@SESSION.tx_isolation").fetchone()[0].upper()
    with orm.capture_queries() as captured, orm.atomic():
        pass
    begin = captured.queries[0].sql.upper()
    return "SERIALIZABLE" if begin == "BEGIN IMMEDIATE" else begin


def test_isolation_level_applies_to_every_new_connection(vendor, db_url):
    separator = "&" if "?" in db_url else "?"
    orm.configure(databases={"default": f"{db_url}{separator}isolation_level=serializable"})
    try:
        seen = [isolation_level(orm.connections["default"], vendor)]
        done = threading.Event()

        def other_thread():
            try:
                seen.append(isolation_level(orm.connections["default"], vendor))
            finally:
                orm.connections["default"].close()
                done.set()

        thread = threading.Thread(target=other_thread)
        thread.start()
        assert done.wait(60)
        thread.join()
        orm.connections.close_all()
        seen.append(isolation_level(orm.connections["default"], vendor))
        assert seen == ["SERIALIZABLE"] * 3
    finally:
        orm.connections.close_all()


# -- a write that fails outside a savepoint of its own -------------------------------------


def refused_after(write):
    """Inside atomic: ``write()`` fails and is caught; the next query. What each raised, in order."""
    seen = []
    with orm.atomic():
        TxProbe.objects.create(name="gone")
        try:
            write()
        except Exception as error:  # noqa: BLE001
            seen.append(type(error))
        try:
            TxProbe.objects.count()
        except Exception as error:  # noqa: BLE001
            seen.append(type(error))
    return seen


def test_caught_error_from_create_inside_atomic_refuses_the_next_query(models_db):
    # Django's mark_for_rollback_on_error: the same on every backend (it used to run the
    # query on SQLite and MySQL, and fail with "current transaction is aborted" on PostgreSQL).
    TxProbe.objects.create(name="dup")
    assert refused_after(lambda: TxProbe.objects.create(name="dup")) == [
        orm.IntegrityError, orm.TransactionManagementError,
    ]
    assert names() == ["dup"]


def test_same_refusal_with_a_post_save_receiver(models_db):
    # save() then runs in atomic(savepoint=False): it refused already; now both paths agree.
    TxProbe.objects.create(name="dup")

    def receiver(sender, **kwargs):
        pass

    orm.post_save.connect(receiver, sender=TxProbe)
    try:
        assert refused_after(lambda: TxProbe.objects.create(name="dup")) == [
            orm.IntegrityError, orm.TransactionManagementError,
        ]
    finally:
        orm.post_save.disconnect(receiver, sender=TxProbe)


def test_caught_error_from_queryset_update_inside_atomic_refuses_the_next_query(models_db):
    TxProbe.objects.create(name="dup")
    TxProbe.objects.create(name="other")
    assert refused_after(lambda: TxProbe.objects.filter(name="other").update(name="dup")) == [
        orm.IntegrityError, orm.TransactionManagementError,
    ]
    assert names() == ["dup", "other"]


def test_failing_write_in_its_own_savepoint_leaves_the_transaction_usable(models_db):
    TxProbe.objects.create(name="dup")
    with orm.atomic():
        TxProbe.objects.create(name="kept")
        with pytest.raises(orm.IntegrityError):
            with orm.atomic():
                TxProbe.objects.create(name="dup")
        obj, created = TxProbe.objects.get_or_create(name="dup")
        assert not created
        TxProbe.objects.create(name="after")
    assert names() == ["after", "dup", "kept"]


def test_failing_write_outside_atomic_changes_nothing(models_db):
    TxProbe.objects.create(name="dup")
    with pytest.raises(orm.IntegrityError):
        TxProbe.objects.create(name="dup")
    with pytest.raises(orm.IntegrityError):
        TxProbe(name="dup").save()
    assert names() == ["dup"]


def test_error_at_commit_rolls_back_skips_callbacks_and_leaves_the_connection_usable(models_db):
    # A missing parent: PostgreSQL and SQLite check the deferred foreign key at COMMIT,
    # MySQL at the INSERT; either way the error leaves the block and nothing is kept.
    ran = []
    with pytest.raises(orm.IntegrityError):
        with orm.atomic():
            TxProbe.objects.create(name="rolled back")
            orm.on_commit(lambda: ran.append("never"))
            TxProbeChild.objects.create(parent_id=999999)
    assert ran == []
    connection = orm.connections["default"]
    assert not connection.in_transaction
    assert names() == []
    with orm.atomic():
        TxProbe.objects.create(name="next")
        orm.on_commit(lambda: ran.append("next"))
    assert ran == ["next"]
    assert names() == ["next"]
