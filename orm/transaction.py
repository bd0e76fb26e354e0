"""Transactions: ``atomic`` (nesting with savepoints), ``on_commit`` and ``set_rollback``."""

from __future__ import annotations

import functools
import itertools
from contextlib import ContextDecorator
from typing import Callable

from orm.connections import DEFAULT_DB_ALIAS, connections

__all__ = ["atomic", "Atomic", "on_commit", "set_rollback", "get_rollback", "in_atomic_block"]

_savepoint_ids = itertools.count(1)


class _TransactionState:
    """What ``atomic`` tracks for one connection."""

    __slots__ = ("blocks", "needs_rollback", "callbacks", "joined")

    def __init__(self) -> None:
        # One entry per open atomic block: the savepoint name, or None when the
        # block opened the transaction or chose savepoint=False.
        self.blocks: list[str | None] = []
        self.needs_rollback = False
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
            if connection.in_transaction:
                # A transaction opened by hand (connection.begin()): join it, inside a
                # savepoint so that an error undoes this block only.
                state.joined = True
                state.needs_rollback = False
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
                state.needs_rollback = False
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
            state.needs_rollback = False
            if name is not None:
                if undo:
                    connection.rollback_to_savepoint(name)
                connection.release_savepoint(name)
            callbacks, state.callbacks = state.callbacks, []
            if not undo:
                # Nothing here knows when the opener commits: run them now, as before.
                for _savepoints, callback in callbacks:
                    callback()
            return False
        if outermost:
            if failed or state.needs_rollback:
                state.needs_rollback = False
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
                state.needs_rollback = False
                try:
                    connection.rollback_to_savepoint(name)
                    connection.release_savepoint(name)
                except Exception:  # noqa: BLE001 - a broken connection: the outer block rolls back
                    state.needs_rollback = True
                state.callbacks = [entry for entry in state.callbacks if name not in entry[0]]
            else:
                try:
                    connection.release_savepoint(name)
                except Exception:  # noqa: BLE001
                    state.needs_rollback = True
                    if not failed:
                        raise
        elif failed:
            # No savepoint to return to: only the whole transaction can be undone.
            state.needs_rollback = True
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
    connection = connections[using or DEFAULT_DB_ALIAS]
    state = _state(connection)
    if robust:
        func = _robust(func)
    if not state.blocks:
        func()
        return
    open_savepoints = tuple(name for name in state.blocks if name is not None)
    state.callbacks.append((open_savepoints, func))


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
    """Mark the innermost atomic block to roll back when it exits (or clear the mark)."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    state = _state(connection)
    if not state.blocks:
        raise RuntimeError("set_rollback() can only be used inside an atomic block")
    state.needs_rollback = rollback


def get_rollback(using: str | None = None) -> bool:
    """Whether the innermost atomic block is marked to roll back."""
    return _state(connections[using or DEFAULT_DB_ALIAS]).needs_rollback
