"""Transactions, signals, several databases and routers, connections (SPEC §6)."""

from __future__ import annotations

import threading

import pytest

import orm

from .conftest import create_tables


class Account(orm.Model):
    name = orm.CharField(max_length=30, unique=True)
    balance = orm.IntegerField(default=0)

    class Meta:
        app_label = "txtests"


MODELS = [Account]


@pytest.fixture
def accounts(models_db):
    return models_db


def names():
    return sorted(Account.objects.values_list("name", flat=True))


# -- atomic ----------------------------------------------------------------------


def test_inner_failure_rolls_back_only_the_inner_block(accounts):
    with orm.atomic():
        Account.objects.create(name="outer")
        with pytest.raises(RuntimeError):
            with orm.atomic():
                Account.objects.create(name="inner")
                raise RuntimeError("boom")
        Account.objects.create(name="after")
    assert names() == ["after", "outer"]


def test_outer_failure_rolls_back_everything(accounts):
    with pytest.raises(RuntimeError):
        with orm.atomic():
            Account.objects.create(name="a")
            with orm.atomic():
                Account.objects.create(name="b")
            raise RuntimeError
    assert names() == []


def test_integrity_error_inside_a_savepoint_keeps_the_transaction_usable(accounts):
    with orm.atomic():
        Account.objects.create(name="x")
        with pytest.raises(orm.IntegrityError):
            with orm.atomic():
                Account.objects.create(name="x")
        Account.objects.create(name="y")
    assert names() == ["x", "y"]


def test_on_commit_runs_after_the_outermost_commit_only(accounts):
    calls = []
    with orm.atomic():
        orm.on_commit(lambda: calls.append("outer"))
        with orm.atomic():
            orm.on_commit(lambda: calls.append("inner"))
        assert calls == []
        with pytest.raises(ValueError):
            with orm.atomic():
                orm.on_commit(lambda: calls.append("rolled back"))
                raise ValueError
        assert calls == []
    assert calls == ["outer", "inner"]
    with pytest.raises(ValueError):
        with orm.atomic():
            orm.on_commit(lambda: calls.append("never"))
            raise ValueError
    assert calls == ["outer", "inner"]
    orm.on_commit(lambda: calls.append("now"))  # outside atomic: runs at once
    assert calls[-1] == "now"


def test_set_rollback(accounts):
    with orm.atomic():
        Account.objects.create(name="gone")
        orm.set_rollback(True)
    assert names() == []


def test_durable_cannot_nest(accounts):
    with orm.atomic(durable=True):
        Account.objects.create(name="d")
    with pytest.raises(RuntimeError, match="durable"):
        with orm.atomic():
            with orm.atomic(durable=True):
                pass


def test_atomic_as_decorator(accounts):
    @orm.atomic
    def create_and_fail():
        Account.objects.create(name="dec")
        raise KeyError

    with pytest.raises(KeyError):
        create_and_fail()
    assert names() == []


def test_isolation_level_from_the_url(vendor, db_url):
    separator = "&" if "?" in db_url else "?"
    orm.configure(databases={"default": f"{db_url}{separator}isolation_level=serializable"})
    try:
        connection = orm.connections["default"]
        if vendor == "postgresql":
            level = connection.execute("SHOW transaction_isolation").fetchone()[0]
            assert level == "serializable"
        elif vendor == "mysql":
            level = connection.execute("SELECT @@SESSION.tx_isolation").fetchone()[0]
            assert level.upper() == "SERIALIZABLE"
        else:
            assert connection.execute("SELECT 1").fetchone()[0] == 1
    finally:
        orm.connections.close_all()


# -- signals ---------------------------------------------------------------------


def test_signals_fire_for_save_delete_and_init(accounts):
    seen = []

    def remember(signal_name):
        def receiver(sender, **kwargs):
            seen.append((signal_name, sender, kwargs.get("created")))

        return receiver

    receivers = {
        orm.pre_save: remember("pre_save"),
        orm.post_save: remember("post_save"),
        orm.pre_delete: remember("pre_delete"),
        orm.post_delete: remember("post_delete"),
        orm.post_init: remember("post_init"),
        orm.pre_init: remember("pre_init"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, sender=Account)
    try:
        account = Account(name="s")
        account.save()
        account.save()
        account.delete()
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver, sender=Account)
    kinds = [entry[0] for entry in seen]
    assert kinds == [
        "pre_init",
        "post_init",
        "pre_save",
        "post_save",
        "pre_save",
        "post_save",
        "pre_delete",
        "post_delete",
    ]
    assert [entry[2] for entry in seen if entry[0] == "post_save"] == [True, False]
    Account.objects.create(name="quiet")
    assert len(seen) == 8


def test_receiver_decorator_and_bulk_operations_send_no_per_row_signals(accounts):
    saved = []

    @orm.receiver(orm.post_save, sender=Account)
    def on_save(sender, instance, **kwargs):
        saved.append(instance.name)

    try:
        Account.objects.create(name="one")
        Account.objects.bulk_create([Account(name="b1"), Account(name="b2")])
        Account.objects.update(balance=5)
        Account.objects.bulk_update(list(Account.objects.all()), ["balance"])
    finally:
        assert orm.post_save.disconnect(on_save, sender=Account)
    assert saved == ["one"]


# -- several databases -------------------------------------------------------------


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return "replica" if model is Account else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, first, second, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"


@pytest.fixture
def two_databases(db_url, new_db_url):
    orm.configure(databases={"default": db_url, "replica": new_db_url()})
    create_tables(Account, using="default")
    create_tables(Account, using="replica")
    yield
    orm.connections.close_all()


def test_using_picks_the_database(two_databases):
    Account.objects.using("replica").create(name="on replica")
    Account.objects.create(name="on default")
    assert names() == ["on default"]
    assert list(Account.objects.using("replica").values_list("name", flat=True)) == ["on replica"]
    account = Account(name="saved there")
    account.save(using="replica")
    assert account._state.db == "replica"
    assert Account.objects.using("replica").count() == 2
    assert Account.objects.db_manager("replica").count() == 2


def test_router_sends_reads_and_writes(db_url, new_db_url):
    orm.configure(
        databases={"default": db_url, "replica": new_db_url()},
        routers=[ReplicaRouter()],
    )
    try:
        create_tables(Account, using="default")
        create_tables(Account, using="replica")
        Account.objects.create(name="written")
        assert Account.objects.count() == 0  # reads go to the replica
        assert Account.objects.using("default").count() == 1
        assert orm.router.allow_migrate("replica", "txtests") is False
        assert orm.router.allow_migrate("default", "txtests") is True
        assert orm.router.allow_relation(Account(name="a"), Account(name="b"))
        assert orm.router.db_for_write(Account) == "default"
    finally:
        orm.connections.close_all()


def test_routers_by_dotted_path_from_configure(db_url, new_db_url):
    orm.configure(
        databases={"default": db_url, "replica": new_db_url()},
        routers=[f"{__name__}.ReplicaRouter"],
    )
    try:
        assert orm.router.db_for_read(Account) == "replica"
    finally:
        orm.connections.close_all()


# -- connections ---------------------------------------------------------------------


def test_one_connection_per_thread_per_alias(accounts):
    mine = orm.connections["default"]
    assert orm.connections["default"] is mine
    theirs = []

    def worker():
        theirs.append(orm.connections["default"])
        theirs.append(orm.connections["default"])

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert theirs[0] is theirs[1]
    assert theirs[0] is not mine


def test_close_all_then_reopen(accounts):
    first = orm.connections["default"]
    orm.connections.close_all()
    assert first.closed
    assert Account.objects.count() == 0


@pytest.mark.backends("postgresql")
def test_pool_size_uses_psycopg_pool(vendor, db_url):
    separator = "&" if "?" in db_url else "?"
    orm.configure(databases={"default": f"{db_url}{separator}pool_size=3"})
    try:
        create_tables(Account)
        results = []

        def worker(number):
            Account.objects.create(name=f"t{number}")
            results.append(Account.objects.count())
            orm.connections["default"].close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Account.objects.count() == 6 and len(results) == 6
        assert orm.connections["default"]._pool is not None
    finally:
        orm.connections.close_all()


def test_capture_queries_records_sql_and_params(accounts):
    with orm.capture_queries() as queries:
        Account.objects.filter(name="zed").exists()
    assert len(queries) == 1
    assert "zed" in list(queries[0].params)
    assert "zed" not in queries[0].sql
    assert "SELECT" in queries[0].sql.upper()


def test_racing_get_or_create_makes_one_row(accounts):
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            outcomes.append(Account.objects.get_or_create(name="racer", defaults={"balance": 1}))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            orm.connections["default"].close()

    for _round in range(5):
        Account.objects.all().delete()
        outcomes.clear()
        barrier.reset()
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert Account.objects.filter(name="racer").count() == 1
        assert sorted(created for _obj, created in outcomes) == [False, True]
        assert len({obj.pk for obj, _created in outcomes}) == 1


# -- get_or_create and deadlocks ---------------------------------------------------


def _deadlock_on_first_save(url):
    """A pre_save receiver that makes this thread's first save lose a deadlock to another connection.

    Another connection locks row "q" and changes many rows (InnoDB rolls back
    the lighter transaction); the first save locks "p", then waits for "q"
    while the other waits for "p". On PostgreSQL this thread waits first, so
    its deadlock check runs first and it is the one ended.
    """
    import time

    from backends import connect

    other_has_q = threading.Event()
    main_has_p = threading.Event()
    other_done = threading.Event()
    calls = []
    failures = []

    def other():
        connection = connect(url)
        if connection.vendor == "postgresql":
            try:  # leave the deadlock check to the main thread however loaded the machine is
                connection.execute("SET deadlock_timeout = '10s'")
            except orm.DatabaseError:
                pass  # not a superuser: the main thread still waits first, by 0.3 s
        try:
            connection.begin()
            connection.execute("UPDATE " + _table(connection) + " SET balance = 1 WHERE name = 'q'")
            for number in range(30):
                connection.execute(
                    "INSERT INTO " + _table(connection) + " (name, balance) VALUES (%s, 0)",
                    [f"weight{number}"],
                )
            other_has_q.set()
            assert main_has_p.wait(timeout=10)
            time.sleep(0.3)
            connection.execute("UPDATE " + _table(connection) + " SET balance = 1 WHERE name = 'p'")
            connection.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            other_has_q.set()
            connection.close()
            other_done.set()

    thread = threading.Thread(target=other)

    def receiver(sender, instance, **kwargs):
        calls.append(instance.name)
        if len(calls) == 1:
            assert other_has_q.wait(timeout=10)
            Account.objects.filter(name="p").update(balance=2)
            main_has_p.set()
            Account.objects.filter(name="q").update(balance=2)

    return thread, receiver, calls, failures, other_done


def _table(connection):
    return connection.dialect.quote_name(Account._meta.db_table)


@pytest.mark.backends("postgresql", "mysql")
def test_get_or_create_runs_again_after_losing_a_deadlock(accounts):
    Account.objects.create(name="p")
    Account.objects.create(name="q")
    thread, receiver, calls, failures, other_done = _deadlock_on_first_save(accounts)
    orm.pre_save.connect(receiver, sender=Account)
    try:
        thread.start()
        obj, created = Account.objects.get_or_create(name="new", defaults={"balance": 5})
    finally:
        orm.pre_save.disconnect(receiver, sender=Account)
        thread.join()
    assert failures == []
    assert created is True and calls == ["new", "new"]
    assert Account.objects.get(name="new").balance == 5
    # The first attempt's update of "p" was rolled back with it; the other's committed.
    assert Account.objects.get(name="p").balance == 1
    assert Account.objects.filter(name__startswith="weight").count() == 30


@pytest.mark.backends("postgresql", "mysql")
def test_update_or_create_runs_again_after_losing_a_deadlock(accounts):
    Account.objects.create(name="p")
    Account.objects.create(name="q")
    Account.objects.create(name="target", balance=0)
    thread, receiver, calls, failures, other_done = _deadlock_on_first_save(accounts)
    orm.pre_save.connect(receiver, sender=Account)
    try:
        thread.start()
        obj, created = Account.objects.update_or_create(name="target", defaults={"balance": 9})
    finally:
        orm.pre_save.disconnect(receiver, sender=Account)
        thread.join()
    assert failures == []
    assert created is False and calls == ["target", "target"]
    assert Account.objects.get(name="target").balance == 9


@pytest.mark.backends("postgresql", "mysql")
def test_get_or_create_inside_a_transaction_leaves_the_deadlock_to_the_caller(accounts):
    Account.objects.create(name="p")
    Account.objects.create(name="q")
    thread, receiver, calls, failures, other_done = _deadlock_on_first_save(accounts)
    orm.pre_save.connect(receiver, sender=Account)
    try:
        thread.start()
        with pytest.raises(orm.OperationalError) as caught:
            with orm.atomic():
                Account.objects.get_or_create(name="new")
    finally:
        orm.pre_save.disconnect(receiver, sender=Account)
        thread.join()
    assert failures == []
    assert calls == ["new"]
    assert orm.connections["default"].is_transaction_conflict(caught.value)
    assert not Account.objects.filter(name="new").exists()


def test_other_errors_are_not_conflicts(accounts):
    with pytest.raises(orm.IntegrityError) as caught:
        Account.objects.create(name="p")
        Account.objects.create(name="p")
    assert not orm.connections["default"].is_transaction_conflict(caught.value)
