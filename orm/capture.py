"""``orm.capture_queries()``: record the SQL run inside a block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import backends

__all__ = ["CapturedQuery", "capture_queries"]


@dataclass(frozen=True)
class CapturedQuery:
    """One statement: its SQL, parameters, vendor and connection alias."""

    sql: str
    params: Any
    vendor: str
    alias: str | None


class capture_queries:  # noqa: N801 - used as a context manager, named like one
    """Context manager recording every statement run (in every thread) inside it.

    >>> with orm.capture_queries() as queries:
    ...     list(Post.objects.all())
    >>> len(queries)
    1
    """

    def __init__(self, using: str | None = None) -> None:
        self.using = using
        self.queries: list[CapturedQuery] = []

    def _record(self, sql, params, vendor, alias) -> None:
        if self.using is None or alias == self.using:
            self.queries.append(CapturedQuery(sql, params, vendor, alias))

    def __enter__(self) -> capture_queries:
        backends.add_query_listener(self._record)
        return self

    def __exit__(self, *exc_info) -> None:
        backends.remove_query_listener(self._record)

    def __len__(self) -> int:
        return len(self.queries)

    def __iter__(self) -> Iterator[CapturedQuery]:
        return iter(self.queries)

    def __getitem__(self, index):
        return self.queries[index]

    @property
    def count(self) -> int:
        return len(self.queries)

    @property
    def sql(self) -> list[str]:
        return [query.sql for query in self.queries]
