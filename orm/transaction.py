"""Transactions: ``atomic`` (nesting with savepoints), ``on_commit`` and ``set_rollback``."""

from __future__ import annotations

import functools
import itertools
from contextlib import ContextDecorator
from typing import Callable

from orm.connections import DEFAULT_DB_ALIAS, connections
from orm.exceptions import TransactionManagementError

__all__ = [
    "atomic", "Atomic", "on_commit", "set_rollback", "get_rollback", "in_atomic_block",
    "mark_for_rollback_on_error",
]

_savepoint_ids = itertools.count(1)


class _TransactionState:
    """What ``atomic`` tracks for one connection."""

    __slots__ = ("blocks", "needs_rollback", "rollback_exc", "callbacks", "joined")

    def __init__(self) -> None:
        # One entry per open atomic block: the savepoint name, or None when the
        # block opened the transaction or chose savepoint=False.
        self.blocks: list[str | None] = []
        # Set through _mark_for_rollback only: while it is True the connection refuses statements.
        self.needs_rollback = False
        self.rollback_exc: BaseException | None = None  # the error that set it
        # (savepoint names open when registered, callback)
        self.callbacks: list[tuple[tuple[str, ...], Callable[[], object]]] = []
        # The outermost block joined a transaction opened by hand (connection.begin(),
        # e.g. a migration's): that transaction is its opener's to commit, not ours.
        self.joined = False


def _state(connection) -> _TransactionState:
    state = getattr(connection, "_orm_transaction", None)
    if state is None:
        state = _TransactionState()
        connection._orm_transaction = state
    return state


# What a connection refuses while its transaction is marked for rollback.
_STATEMENT_METHODS = (
    "cursor", "execute", "fetch_all", "execute_count", "execute_insert", "executemany", "stream",
)
_broken_classes: dict[type, type] = {}


def _mark_for_rollback(connection, state: _TransactionState, mark: bool, error=None) -> None:
    """Set or clear the rollback mark; while it is set, ``connection`` refuses every statement.

    As in Django, a transaction that an error has broken (or ``set_rollback(True)``
    marked) takes no more queries until the block that can undo it ends. The
    refusal costs a healthy connection nothing: the marked connection's class
    is swapped for a subclass whose statement methods raise, and swapped back
    when the mark is cleared. (Swapping makes CPython turn the object's inline
    attributes into a dict for good: a connection once marked reads its own
    attributes some 30 ns slower per statement. Instance attributes shadowing
    the methods instead would slow every connection of the class.)
    """
    if state.needs_rollback == mark:
        return  # a refused statement's error does not replace the error that broke it
    state.rollback_exc = error if mark else None
    state.needs_rollback = mark
    cls = type(connection)
    healthy = cls.__dict__.get("_orm_unbroken")
    if mark and healthy is None:
        connection.__class__ = _broken_class(cls)
    elif not mark and healthy is not None:
        connection.__class__ = healthy


def _broken_class(cls: type) -> type:
    """``cls`` refusing every statement with TransactionManagementError (created once per class)."""
    broken = _broken_classes.get(cls)
    if broken is None:
        namespace: dict = dict.fromkeys(_STATEMENT_METHODS, _refuse_statement)
        namespace.update(
            __slots__=(), __module__=cls.__module__, __qualname__=cls.__qualname__,
            rollback=_rollback_broken, _orm_unbroken=cls,
        )
        broken = _broken_classes.setdefault(cls, type(cls.__name__, (cls,), namespace))
    return broken


def _refuse_statement(connection, *args, **kwargs):
    state = _state(connection)
    raise TransactionManagementError(
        "An error occurred in the current transaction. You can't execute queries until the end "
        f"of the 'atomic' block (database {connection.alias!r}). To go on after an error, run "
        "the statements that may fail in a nested orm.atomic() block: its savepoint undoes "
        "them alone."
    ) from state.rollback_exc


def _rollback_broken(connection) -> None:
    """``Connection.rollback`` of a marked connection: the rollback clears the mark."""
    _mark_for_rollback(connection, _state(connection), False)
    connection.rollback()


def in_atomic_block(using: str | None = None) -> bool:
    """Whether an ``atomic`` block is open on ``using`` in this thread."""
    return bool(_state(connections[using or DEFAULT_DB_ALIAS]).blocks)


class Atomic(ContextDecorator):
    """The context manager and decorator behind :func:`atomic`."""

    def __init__(self, using: str | None, savepoint: bool, durable: bool):
        self.using = using
        self.savepoint = savepoint
        self.durable = durable

    def __enter__(self):
        connection = connections[self.using or DEFAULT_DB_ALIAS]
        state = _state(connection)
        if self.durable and state.blocks:
            raise RuntimeError(
                "a durable atomic block cannot be nested inside another atomic block"
            )
        if not state.blocks:
            _mark_for_rollback(connection, state, False)
            if connection.in_transaction:
                # A transaction opened by hand (connection.begin()): join it, inside a
                # savepoint so that an error undoes this block only.
                state.joined = True
                state.callbacks = []
                if self.savepoint:
                    name = f"manouche_sp_{next(_savepoint_ids)}"
                    connection.savepoint(name)
                    state.blocks.append(name)
                else:
                    state.blocks.append(None)
            else:
                connection.begin()
                state.blocks.append(None)
                state.callbacks = []
        elif self.savepoint and not state.needs_rollback:
            name = f"manouche_sp_{next(_savepoint_ids)}"
            connection.savepoint(name)
            state.blocks.append(name)
        else:
            state.blocks.append(None)
        return connection

    def __exit__(self, exc_type, exc, traceback):
        # Looked up again rather than kept on self: one decorated function may be running
        # in several threads (or recursively) through the same Atomic instance.
        connection = connections[self.using or DEFAULT_DB_ALIAS]
        state = _state(connection)
        name = state.blocks.pop()
        outermost = not state.blocks
        failed = exc_type is not None
        if outermost and state.joined:
            state.joined = False
            undo = failed or state.needs_rollback
            _mark_for_rollback(connection, state, False)
            if name is not None:
                if undo:
                    connection.rollback_to_savepoint(name)
                connection.release_savepoint(name)
            elif undo:
                # No savepoint (savepoint=False): only the opener's rollback can undo the
                # block's work, and until it does the transaction takes no statement.
                _mark_for_rollback(connection, state, True, exc)
            callbacks, state.callbacks = state.callbacks, []
            if not undo:
                # Nothing here knows when the opener commits: run them now, as before.
                for _savepoints, callback in callbacks:
                    callback()
            return False
        if outermost:
            if failed or state.needs_rollback:
                _mark_for_rollback(connection, state, False)
                state.callbacks = []
                try:
                    connection.rollback()
                except Exception:  # noqa: BLE001 - keep the original error
                    if not failed:
                        raise
                return False
            try:
                connection.commit()
            except BaseException:
                state.callbacks = []
                try:
                    connection.rollback()
                except Exception:  # noqa: BLE001
                    pass
                raise
            callbacks, state.callbacks = state.callbacks, []
            for _savepoints, callback in callbacks:
                callback()
            return False
        if name is not None:
            if failed or state.needs_rollback:
                _mark_for_rollback(connection, state, False)
                try:
                    connection.rollback_to_savepoint(name)
                    connection.release_savepoint(name)
                except Exception as error:  # noqa: BLE001 - a broken connection: the outer block rolls back
                    _mark_for_rollback(connection, state, True, error)
                state.callbacks = [entry for entry in state.callbacks if name not in entry[0]]
            else:
                try:
                    connection.release_savepoint(name)
                except Exception as error:  # noqa: BLE001
                    _mark_for_rollback(connection, state, True, error)
                    if not failed:
                        raise
        elif failed:
            # No savepoint to return to: only the whole transaction can be undone.
            _mark_for_rollback(connection, state, True, exc)
        return False


def atomic(using=None, savepoint: bool = True, durable: bool = False):
    """Run a block in a transaction; nested blocks use savepoints.

    Works as ``with orm.atomic():`` and as ``@orm.atomic`` (with or without
    arguments). An exception rolls back to the level it escapes from.
    """
    if callable(using):
        return Atomic(None, savepoint, durable)(using)
    return Atomic(using, savepoint, durable)


def on_commit(func: Callable[[], object], using: str | None = None, robust: bool = False) -> None:
    """Run ``func`` after the outermost transaction commits (at once outside ``atomic``)."""
    if not callable(func):
        raise TypeError(f"on_commit() takes a callable, not {func!r}: pass the function itself")
    connection = connections[using or DEFAULT_DB_ALIAS]
    state = _state(connection)
    if robust:
        func = _robust(func)
    if not state.blocks:
        func()
        return
    open_savepoints = tuple(name for name in state.blocks if name is not None)
    state.callbacks.append((open_savepoints, func))


def mark_for_rollback_on_error(using: str | None, error: BaseException) -> None:
    """After ``error`` in a write with no savepoint of its own, mark ``using``'s atomic block.

    Django's ``mark_for_rollback_on_error``, for ``save()`` and
    ``QuerySet.update()``: the transaction's state is unknown after the error
    (PostgreSQL has aborted it), so the block refuses further queries on every
    backend until it ends (see `_mark_for_rollback`). Nothing outside atomic.
    Called on the error path only; never opens a connection.
    """
    connection = connections._local.__dict__.get(using or DEFAULT_DB_ALIAS)
    state = getattr(connection, "_orm_transaction", None)
    if state is not None and state.blocks:
        _mark_for_rollback(connection, state, True, error)


def _robust(func):
    @functools.wraps(func)
    def call():
        try:
            func()
        except Exception:  # noqa: BLE001 - robust callbacks must not break the commit
            import logging

            logging.getLogger("orm.transaction").exception("on_commit callback failed")

    return call


def set_rollback(rollback: bool, using: str | None = None) -> None:
    """Mark the innermost atomic block to roll back when it exits (or clear the mark).

    While the mark is set the block's queries are refused, as in Django.
    """
    connection = connections[using or DEFAULT_DB_ALIAS]
    _mark_for_rollback(connection, _atomic_state(connection, "set_rollback"), bool(rollback))


def get_rollback(using: str | None = None) -> bool:
    """Whether the innermost atomic block is marked to roll back."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    return _atomic_state(connection, "get_rollback").needs_rollback


def _atomic_state(connection, caller: str) -> _TransactionState:
    """The state of ``connection``, which must be inside an atomic block."""
    state = _state(connection)
    if not state.blocks:
        raise TransactionManagementError(
            f"The rollback flag doesn't work outside of an 'atomic' block: call {caller}() "
            f"inside orm.atomic(using={connection.alias!r})"
        )
    return state
