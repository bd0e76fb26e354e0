"""What every implementation shares: connection details and turning results into plain data."""

from __future__ import annotations

from bench.workloads import BOOK_FIELDS, PERSON_FIELDS

__all__ = ["Implementation", "Unavailable", "ObjectImplementation"]


class Unavailable(Exception):
    """This implementation cannot run here (library missing, backend unsupported)."""


class Implementation:
    """Base: ``name``, ``setup(env)``/``teardown()``, one method per workload."""

    name = ""

    def setup(self, env) -> None:
        """Connect to the benchmark database described by ``env`` (a ``bench.harness.Env``)."""
        self.env = env

    def teardown(self) -> None:
        """Close connections."""

    def supports(self, workload) -> bool:
        return hasattr(self, workload.name)

    # Results of object-returning implementations are normalized to plain tuples.

    def normalize_insert_one(self, result, env):
        return [tuple(getattr(obj, name) for name in PERSON_FIELDS) for obj in result]

    def normalize_bulk_insert(self, result, env):
        return env.person_summary()

    def normalize_load(self, result, env):
        return [tuple(getattr(obj, name) for name in BOOK_FIELDS) for obj in result]

    def normalize_get_by_pk(self, result, env):
        return [tuple(getattr(obj, name) for name in BOOK_FIELDS) for obj in result]

    def normalize_filter_order_limit(self, result, env):
        return [[obj.id for obj in page] for page in result]

    def normalize_fk_join(self, result, env):
        return [(book.id, book.title, book.author.id, book.author.name) for book in result]

    def normalize_m2m_prefetch(self, result, env):
        return [(book.id, sorted(tag.name for tag in book.tags.all())) for book in result]

    def normalize_aggregate(self, result, env):
        return [(count, round(avg, 6), most) for count, avg, most in result]

    def normalize_update(self, result, env):
        return (result, env.update_summary())

    def normalize_delete(self, result, env):
        return env.book_counts()

    def normalize_iterator(self, result, env):
        return result


ObjectImplementation = Implementation
