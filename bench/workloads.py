"""The workloads: what each one does, how big it is, and how its result is checked.

Each implementation (``bench/implementations/*``) has one method per workload
name taking the ``Sizes`` and returning its result; the harness times that
call, then turns the result into plain data with ``normalize_<name>`` (outside
the timed region) and compares it with the raw driver's.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Workload", "WORKLOADS", "BOOK_FIELDS", "PERSON_FIELDS"]

BOOK_FIELDS = ("id", "author_id", "title", "isbn", "pages", "rating", "published")
PERSON_FIELDS = ("id", "name", "email", "age", "score")


@dataclass(frozen=True)
class Workload:
    """One benchmark: a name, a human title, its size at a scale and what it needs."""

    name: str
    title: str
    size_attr: str
    #: "relations" when the ORM needs ForeignKey/ManyToManyField for it.
    needs: tuple[str, ...] = ()
    #: State to restore before each run: "person" (empty table) or "books" (deleted books).
    reset: str | None = None
    #: Issue 8's target: the ratio to the raw driver this workload must stay under.
    target: float | None = None

    def size(self, sizes) -> int:
        return getattr(sizes, self.size_attr)


WORKLOADS = (
    Workload("insert_one", "insert one at a time", "insert_one", reset="person", target=3.0),
    Workload("bulk_insert", "bulk insert", "bulk_insert", reset="person", target=1.5),
    Workload("load", "load objects", "books", target=2.0),
    Workload("get_by_pk", "get by primary key", "get_by_pk", target=3.0),
    Workload("filter_order_limit", "filter + order + limit 10", "filter_queries", target=1.5),
    Workload("fk_join", "FK join (select_related)", "fk_join", needs=("relations",), target=2.0),
    Workload("m2m_prefetch", "M2M prefetch", "prefetch", needs=("relations",), target=2.0),
    Workload("aggregate", "aggregate (queries)", "aggregate_queries", target=1.3),
    Workload("update", "queryset update (rows)", "update_rows", target=1.3),
    Workload("delete", "queryset delete with M2M rows", "delete", needs=("relations",),
             reset="books", target=1.3),
    Workload("iterator", "iterator() over rows", "events"),
)


def filter_author_ids(sizes) -> list[int]:
    """The author ids the filter workload queries, one per query."""
    return [1 + (i * 101) % sizes.authors for i in range(sizes.filter_queries)]


def get_pks(sizes) -> list[int]:
    """The primary keys the get workload fetches."""
    return [1 + (i * 7) % sizes.books for i in range(sizes.get_by_pk)]


def aggregate_thresholds(sizes) -> list[int]:
    """The ``pages >= x`` bounds of the aggregate queries."""
    return [50 + (i * 41) % 900 for i in range(sizes.aggregate_queries)]


FILTER_MIN_PAGES = 100
