"""Transactions and signals as a Django user expects them, on every backend (helper H4's round)."""

from __future__ import annotations

import gc

import pytest

import orm


class TxNote(orm.Model):
    name = orm.CharField(max_length=30, unique=True)

    class Meta:
        app_label = "probes14tx"


MODELS = [TxNote]


def names():
    return sorted(TxNote.objects.values_list("name", flat=True))


def test_savepoint_false_inner_failure_caught_rolls_back_the_outer_block(models_db):
    with orm.atomic():
        TxNote.objects.create(name="outer")
        try:
            with orm.atomic(savepoint=False):
                TxNote.objects.create(name="inner")
                raise ValueError("boom")
        except ValueError:
            pass
    assert names() == []


def test_on_commit_in_rolled_back_savepoint_is_discarded_but_outer_kept(models_db):
    ran = []
    with orm.atomic():
        orm.on_commit(lambda: ran.append("outer"))
        try:
            with orm.atomic():
                orm.on_commit(lambda: ran.append("inner"))
                with orm.atomic():
                    orm.on_commit(lambda: ran.append("innermost"))
                raise ValueError
        except ValueError:
            pass
        with orm.atomic():
            orm.on_commit(lambda: ran.append("after"))
    assert ran == ["outer", "after"]


def test_on_commit_robust_logs_and_runs_the_rest(models_db, caplog):
    ran = []

    def fail():
        raise RuntimeError("callback failed")

    with orm.atomic():
        orm.on_commit(fail, robust=True)
        orm.on_commit(lambda: ran.append("second"))
    assert ran == ["second"]
    assert "callback failed" in caplog.text or "on_commit" in caplog.text


def test_on_commit_not_robust_raises_after_commit(models_db):
    def fail():
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError):
        with orm.atomic():
            TxNote.objects.create(name="kept")
            orm.on_commit(fail)
    assert names() == ["kept"]
    # the connection is back in autocommit and usable
    TxNote.objects.create(name="next")
    assert names() == ["kept", "next"]


def test_on_commit_discarded_on_set_rollback(models_db):
    ran = []
    with orm.atomic():
        orm.on_commit(lambda: ran.append(1))
        orm.set_rollback(True)
    assert ran == []


def test_set_rollback_in_inner_block_rolls_back_inner_only(models_db):
    with orm.atomic():
        TxNote.objects.create(name="outer")
        with orm.atomic():
            TxNote.objects.create(name="inner")
            orm.set_rollback(True)
        TxNote.objects.create(name="after")
    assert names() == ["after", "outer"]


def test_durable_outermost_ok_and_nested_refused(models_db):
    with orm.atomic(durable=True):
        TxNote.objects.create(name="d")
    with orm.atomic():
        with pytest.raises(RuntimeError):
            with orm.atomic(durable=True):
                pass
        TxNote.objects.create(name="e")
    assert names() == ["d", "e"]


def test_on_commit_registered_by_callback_runs(models_db):
    ran = []

    def first():
        ran.append("first")
        orm.on_commit(lambda: ran.append("nested"))

    with orm.atomic():
        orm.on_commit(first)
    assert ran == ["first", "nested"]


def test_integrity_error_in_savepoint_outer_continues(models_db):
    TxNote.objects.create(name="dup")
    with orm.atomic():
        with pytest.raises(orm.IntegrityError):
            with orm.atomic():
                TxNote.objects.create(name="dup")
        TxNote.objects.create(name="ok")
    assert names() == ["dup", "ok"]


def test_atomic_decorator_with_arguments_and_exception(models_db):
    @orm.atomic(using="default")
    def work():
        TxNote.objects.create(name="w")
        raise KeyError

    with pytest.raises(KeyError):
        work()
    assert names() == []
    assert not orm.connections["default"].in_transaction


def test_select_for_update_outside_transaction_refused(models_db, vendor):
    TxNote.objects.create(name="x")
    if vendor == "sqlite":
        pytest.skip("no select_for_update on SQLite")
    with pytest.raises(Exception) as info:
        list(TxNote.objects.select_for_update())
    print(type(info.value).__mro__, info.value)
    with orm.atomic():
        assert len(list(TxNote.objects.select_for_update())) == 1


# -- signals --------------------------------------------------------------


def test_weak_receiver_dies_after_send(models_db):
    calls = []

    def make():
        def receiver(sender, **kwargs):
            calls.append(kwargs["instance"].name)

        return receiver

    handler = make()
    orm.signals.post_save.connect(handler, sender=TxNote)
    TxNote.objects.create(name="a")
    del handler
    gc.collect()
    TxNote.objects.create(name="b")
    assert calls == ["a"]


def test_weak_bound_method_receiver_dies(models_db):
    calls = []

    class Listener:
        def on_save(self, sender, **kwargs):
            calls.append(kwargs["created"])

    listener = Listener()
    orm.signals.post_save.connect(listener.on_save, sender=TxNote)
    TxNote.objects.create(name="a")
    del listener
    gc.collect()
    TxNote.objects.create(name="b")
    assert calls == [True]


def test_dispatch_uid_connects_once_and_disconnects(models_db):
    calls = []

    def one(sender, **kwargs):
        calls.append(1)

    def two(sender, **kwargs):
        calls.append(2)

    orm.signals.pre_save.connect(one, sender=TxNote, dispatch_uid="probe-uid", weak=False)
    orm.signals.pre_save.connect(two, sender=TxNote, dispatch_uid="probe-uid", weak=False)
    TxNote.objects.create(name="a")
    assert calls == [1]
    assert orm.signals.pre_save.disconnect(sender=TxNote, dispatch_uid="probe-uid")
    TxNote.objects.create(name="b")
    assert calls == [1]


def test_save_signals_created_update_fields_raw(models_db):
    seen = []

    def pre(sender, instance, raw, using, update_fields, **kwargs):
        seen.append(("pre", raw, using, update_fields))

    def post(sender, instance, created, raw, using, update_fields, **kwargs):
        seen.append(("post", created, raw, using, update_fields))

    orm.signals.pre_save.connect(pre, sender=TxNote)
    orm.signals.post_save.connect(post, sender=TxNote)
    try:
        note = TxNote.objects.create(name="a")
        note.name = "b"
        note.save(update_fields=["name"])
    finally:
        orm.signals.pre_save.disconnect(pre, sender=TxNote)
        orm.signals.post_save.disconnect(post, sender=TxNote)
    assert seen == [
        ("pre", False, "default", None),
        ("post", True, False, "default", None),
        ("pre", False, "default", frozenset({"name"})),
        ("post", False, False, "default", frozenset({"name"})),
    ]


def test_delete_signals(models_db):
    seen = []

    def pre(sender, instance, using, **kwargs):
        seen.append(("pre", instance.pk is not None, using, kwargs.get("origin") is not None))

    def post(sender, instance, using, **kwargs):
        seen.append(("post", instance.name, using))

    orm.signals.pre_delete.connect(pre, sender=TxNote)
    orm.signals.post_delete.connect(post, sender=TxNote)
    try:
        TxNote.objects.create(name="a").delete()
    finally:
        orm.signals.pre_delete.disconnect(pre, sender=TxNote)
        orm.signals.post_delete.disconnect(post, sender=TxNote)
    assert seen == [("pre", True, "default", True), ("post", "a", "default")]


def test_init_signals(models_db):
    seen = []

    def pre(sender, args, kwargs, **extra):
        seen.append(("pre", args, kwargs))

    def post(sender, instance, **extra):
        seen.append(("post", instance.name))

    orm.signals.pre_init.connect(pre, sender=TxNote)
    orm.signals.post_init.connect(post, sender=TxNote)
    try:
        TxNote(name="x")
    finally:
        orm.signals.pre_init.disconnect(pre, sender=TxNote)
        orm.signals.post_init.disconnect(post, sender=TxNote)
    assert seen == [("pre", (), {"name": "x"}), ("post", "x")]


def test_receiver_for_other_sender_not_called(models_db):
    calls = []

    def rec(sender, **kwargs):
        calls.append(sender)

    orm.signals.post_save.connect(rec, sender=object)
    try:
        TxNote.objects.create(name="a")
    finally:
        orm.signals.post_save.disconnect(rec, sender=object)
    assert calls == []
    assert not orm.signals.post_save.disconnect(rec, sender=object)
