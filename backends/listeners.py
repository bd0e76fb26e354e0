"""Query listeners: callables told about every statement a connection runs.

`Connection.execute` checks the module-level list with one truthiness test,
so having no listener costs nothing on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["QueryListener", "add_query_listener", "remove_query_listener", "query_listeners"]

QueryListener = Callable[[str, Any, str, "str | None"], None]

#: The live list; connections read it directly. Mutate only through the functions below.
query_listeners: list[QueryListener] = []


def add_query_listener(listener: QueryListener) -> None:
    """Call ``listener(sql, params, vendor, alias)`` before every statement from now on."""
    query_listeners.append(listener)


def remove_query_listener(listener: QueryListener) -> None:
    """Stop calling ``listener``; ValueError if it was not added."""
    query_listeners.remove(listener)


def notify_listeners(sql: str, params: Any, vendor: str, alias: str | None) -> None:
    """Tell every listener about a statement (a copy, so a listener may remove itself)."""
    for listener in list(query_listeners):
        listener(sql, params, vendor, alias)
