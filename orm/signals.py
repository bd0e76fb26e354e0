"""Signals: ``pre_save``, ``post_save``, ... and ``@receiver``."""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable

__all__ = [
    "Signal",
    "receiver",
    "pre_init",
    "post_init",
    "pre_save",
    "post_save",
    "pre_delete",
    "post_delete",
    "m2m_changed",
    "pre_migrate",
    "post_migrate",
    "class_prepared",
]


def _key(target: Any):
    if hasattr(target, "__self__") and hasattr(target, "__func__"):
        return (id(target.__self__), id(target.__func__))
    return id(target)


class Signal:
    """Receivers connected per sender (or for every sender with ``sender=None``)."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._receivers: list[tuple[tuple, Any, Any, bool]] = []
        self._lock = threading.Lock()
        # sender -> (reference, weak) of its receivers: references, not the receivers
        # themselves, or the cache would keep a weak receiver (and its object) alive.
        self._cache: dict[Any, list[tuple[Any, bool]]] = {}
        self._dead_receivers = False

    def __repr__(self) -> str:
        return f"<Signal {self.name}>"

    def connect(self, receiver: Callable, sender: Any = None, weak: bool = True, dispatch_uid=None) -> None:
        """Call ``receiver(sender=..., signal=..., **kwargs)`` when the signal is sent."""
        lookup = (dispatch_uid or _key(receiver), id(sender) if sender is not None else None)
        if weak:
            if hasattr(receiver, "__self__") and hasattr(receiver, "__func__"):
                reference: Any = weakref.WeakMethod(receiver, self._on_dead)
            else:
                reference = weakref.ref(receiver, self._on_dead)
        else:
            reference = receiver
        with self._lock:
            if not any(entry[0] == lookup for entry in self._receivers):
                self._receivers.append((lookup, reference, sender, weak))
            self._cache.clear()

    def disconnect(self, receiver: Callable | None = None, sender: Any = None, dispatch_uid=None) -> bool:
        """Remove a receiver; ``True`` if it was connected."""
        lookup = (dispatch_uid or _key(receiver), id(sender) if sender is not None else None)
        with self._lock:
            before = len(self._receivers)
            self._receivers = [entry for entry in self._receivers if entry[0] != lookup]
            self._cache.clear()
            return len(self._receivers) != before

    def _on_dead(self, _reference) -> None:
        # Called by the garbage collector, possibly while this thread holds the lock
        # (taking it here would deadlock): only mark; `_live_receivers` cleans up.
        self._dead_receivers = True
        self._cache.clear()

    def _live_receivers(self, sender: Any) -> list[Callable]:
        cached = self._cache.get(sender)
        if cached is None:
            with self._lock:
                if self._dead_receivers:
                    self._dead_receivers = False
                    self._receivers = [
                        entry for entry in self._receivers if not entry[3] or entry[1]() is not None
                    ]
                cached = [
                    (reference, weak)
                    for _lookup, reference, wanted, weak in self._receivers
                    if wanted is None or wanted is sender
                ]
                try:
                    self._cache[sender] = cached
                except TypeError:
                    pass
        live = []
        for reference, weak in cached:
            target = reference() if weak else reference
            if target is not None:
                live.append(target)
        return live

    def has_listeners(self, sender: Any = None) -> bool:
        """Whether anything would receive a send from ``sender`` (cheap; used on hot paths)."""
        return bool(self._receivers) and bool(self._live_receivers(sender))

    def send(self, sender: Any, **named) -> list[tuple[Callable, Any]]:
        """Call every receiver; an exception from one propagates."""
        if not self._receivers:
            return []
        return [(receiver, receiver(signal=self, sender=sender, **named)) for receiver in self._live_receivers(sender)]

    def send_robust(self, sender: Any, **named) -> list[tuple[Callable, Any]]:
        """Call every receiver; exceptions are returned instead of raised."""
        responses = []
        for receiver in self._live_receivers(sender):
            try:
                responses.append((receiver, receiver(signal=self, sender=sender, **named)))
            except Exception as error:  # noqa: BLE001
                responses.append((receiver, error))
        return responses


def receiver(signal, **kwargs):
    """Decorator: ``@receiver(post_save, sender=Post)`` (or a list of signals)."""

    def decorate(func):
        for each in signal if isinstance(signal, (list, tuple)) else [signal]:
            each.connect(func, **kwargs)
        return func

    return decorate


pre_init = Signal("pre_init")
post_init = Signal("post_init")
pre_save = Signal("pre_save")
post_save = Signal("post_save")
pre_delete = Signal("pre_delete")
post_delete = Signal("post_delete")
m2m_changed = Signal("m2m_changed")
pre_migrate = Signal("pre_migrate")
post_migrate = Signal("post_migrate")
class_prepared = Signal("class_prepared")
