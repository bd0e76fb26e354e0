"""Server-bound statements run through libpq's extended protocol, below psycopg's cursor.

The ORM's cached statements (a plan QuerySet's SELECT, aggregate, UPDATE,
DELETE) have fixed SQL whose parameters each meet a column, and run many
times. psycopg's cursor spends ~45 Python calls on each (query conversion,
its prepared-statement bookkeeping, result checks), which cost more than the
ORM's own work on a short query: each call runs after a wait on the server
during which the CPU caches are emptied. ``Statements.run`` does the same
protocol steps with psycopg's own pieces (its ``Transformer`` dumps the
parameters and loads the rows with the connection's adapters; its
``execute`` generator sends and waits, handling notices and notifications;
``error_from_result`` builds the same exception classes), and keeps
psycopg's rules:

* a statement is sent unnamed (parse, bind and execute in one round trip)
  until it has run ``prepare_threshold`` times, then prepared under a name
  of its own (``_manouche_N``); ``prepare_threshold=None`` never prepares;
* at most ``prepared_max`` are kept; the least recently used is deallocated;
* parameters are dumped as psycopg dumps them for a server-binding cursor,
  and the parameter types are part of a statement's key.

A statement whose SQL has placeholders other than ``%s`` (and ``%%``) is
left to the cursor (``None`` from ``convert``).
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as driver_errors
from psycopg import generators, pq
from psycopg.adapt import PyFormat, Transformer

__all__ = ["Statements", "convert", "forget_statements", "statements_of"]

_PLACEHOLDER = re.compile(r"%(.?)", re.DOTALL)
_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_TEXT = pq.Format.TEXT
_IDLE = pq.TransactionStatus.IDLE
#: How many converted SQL texts, and statements with their use counts, a connection keeps.
_MAX_QUERIES = 1000
_names = itertools.count(1)  # shared: a name forgotten but still on the server is never reused
#: The Statements of each psycopg connection: a pooled connection goes back to its pool
#: with its session's prepared statements, and whoever borrows it next must know them
#: (a fresh registry would prepare them again under new names, and the old ones would
#: pile up on the server).
_REGISTRY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def statements_of(raw: psycopg.Connection) -> Statements:
    """The `Statements` of ``raw``, made on first use."""
    statements = _REGISTRY.get(raw)
    if statements is None:
        statements = _REGISTRY[raw] = Statements(raw)
    return statements


def forget_statements(raw: psycopg.Connection, deallocate: bool = True) -> None:
    """`Statements.forget` for ``raw``'s statements, if it has any."""
    statements = _REGISTRY.get(raw)
    if statements is not None:
        statements.forget(deallocate)


def convert(sql: str, encoding: str) -> bytes | None:
    """``sql`` with ``%s`` numbered as ``$1, $2...`` and ``%%`` as ``%``, encoded; ``None`` if it has other ``%`` forms."""
    number = itertools.count(1)
    refused = False

    def replace(match: re.Match) -> str:
        nonlocal refused
        kind = match.group(1)
        if kind == "s":
            return f"${next(number)}"
        if kind == "%":
            return "%"
        refused = True
        return ""

    numbered = _PLACEHOLDER.sub(replace, sql)
    return None if refused else numbered.encode(encoding)


class Statements:
    """The statements one psycopg connection runs this way: their converted SQL, use counts and names."""

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw
        self.pgconn = raw.pgconn
        self.transformer = Transformer(raw)
        self.encoding = raw.info.encoding
        self.queries: dict[str, bytes | None] = {}
        # (query, parameter types) -> [uses before being named, name or None]
        self.statements: OrderedDict[tuple, list] = OrderedDict()
        self.named = 0  # how many of the statements have a name
        self.leftover: list[bytes] = []  # names forgotten but maybe still on the server

    def query(self, sql: str) -> bytes | None:
        """The converted SQL of ``sql`` (kept), or ``None`` when the cursor must run it."""
        queries = self.queries
        try:
            return queries[sql]
        except KeyError:
            pass
        if len(queries) >= _MAX_QUERIES:
            queries.clear()
        query = queries[sql] = convert(sql, self.encoding)
        return query

    def run(self, query: bytes, params: Sequence[Any]) -> Any:
        """Bind ``params`` to ``query`` and run it; the result, or the driver's error raised."""
        transformer = self.transformer
        values = transformer.dump_sequence(params, [PyFormat.AUTO] * len(params))
        types = transformer.types
        formats = transformer.formats
        key = (query, types)
        statements = self.statements
        entry = statements.get(key)
        if entry is None:
            if len(statements) >= _MAX_QUERIES:
                self._drop_oldest()
            entry = statements[key] = [0, None]
        else:
            statements.move_to_end(key)
        raw = self.raw
        pgconn = self.pgconn
        with raw.lock:
            name = entry[1]
            if name is None:
                threshold = raw.prepare_threshold  # read each time, as psycopg does
                if threshold is not None and entry[0] >= threshold:
                    name = self._prepare(query, types)
                    entry[1] = name
                else:
                    entry[0] += 1
            if name is None:
                pgconn.send_query_params(query, values, types, formats, _TEXT)
            else:
                pgconn.send_query_prepared(name, values, formats, _TEXT)
            return self._result()

    def _prepare(self, query: bytes, types: Any) -> bytes:
        """Prepare ``query`` under a new name (deallocating the oldest beyond ``prepared_max``)."""
        if self.leftover and self.pgconn.transaction_status == _IDLE:
            self._deallocate_leftover()
        maximum = self.raw.prepared_max
        while maximum and self.named >= maximum and self._deallocate_oldest():
            pass
        name = b"_manouche_%d" % next(_names)
        self.pgconn.send_prepare(name, query, types)
        self._result()
        self.named += 1
        return name

    def _deallocate_oldest(self) -> bool:
        """Forget the least recently used named statement and deallocate it; whether there was one."""
        for key, entry in self.statements.items():
            if entry[1] is not None:
                del self.statements[key]
                self.named -= 1
                self._send_and_check(b"DEALLOCATE " + entry[1])
                return True
        self.named = 0
        return False

    def _deallocate_leftover(self) -> None:
        pgconn = self.pgconn
        for name in self.leftover:
            pgconn.send_query(b"DEALLOCATE " + name)
            self.raw.wait(generators.execute(pgconn))  # an error (already gone) changes nothing
        self.leftover = []

    def _drop_oldest(self) -> None:
        """Forget the least recently used statement (deallocated on the server if it has a name)."""
        _key, entry = self.statements.popitem(last=False)
        if entry[1] is not None:
            self.named -= 1
            with self.raw.lock:
                self._send_and_check(b"DEALLOCATE " + entry[1])

    def _send_and_check(self, command: bytes) -> None:
        self.pgconn.send_query(command)
        self._result()

    def _result(self) -> Any:
        """Wait for what was sent; its (last) result, or the driver's error raised."""
        result = self.raw.wait(generators.execute(self.pgconn))[-1]
        status = result.status
        if status != _TUPLES_OK and status != _COMMAND_OK:
            raise driver_errors.error_from_result(result, encoding=self.encoding)
        return result

    def forget(self, deallocate: bool = True) -> None:
        """Drop every statement: their plans may be stale, or the server lost them (``deallocate=False``).

        Names still on the server are deallocated before the next statement
        is prepared, outside a transaction (a failure there is harmless); the
        names are never reused meanwhile.
        """
        if deallocate:
            self.leftover += [entry[1] for entry in self.statements.values() if entry[1] is not None]
        self.statements.clear()
        self.named = 0

    def deallocate_all(self) -> None:
        """Drop every prepared statement of the session (``DEALLOCATE ALL``)."""
        self._send_and_check(b"DEALLOCATE ALL")
        self.leftover = []

    def load_rows(self, result: Any, first: int, last: int) -> list:
        """Rows ``first`` to ``last`` of ``result`` as tuples, converted by the connection's loaders."""
        transformer = self.transformer
        transformer.set_pgresult(result)
        return transformer.load_rows(first, last, tuple)
