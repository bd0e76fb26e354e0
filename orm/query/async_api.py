"""Async methods (Django's ``a``-prefixed names) for code running in an event loop.

``await Book.objects.filter(...).acount()``, ``await Book.objects.aget(pk=1)``,
``async for book in Book.objects.filter(...)``, ``await book.asave()``. The
drivers are synchronous, so each call runs the ordinary method in one
thread kept for the purpose, as Django's ``sync_to_async(thread_sensitive=True)``
does: the calls of every coroutine are serialized there and share its
connections, so they never interleave inside a transaction. Put a
transaction, or any sequence that must run together, in a plain function and
``await orm.run_sync(function, *args)``. QuerySet building (``filter``,
``order_by``...) stays synchronous: it runs no SQL.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Callable, TypeVar

__all__ = ["AsyncManagerMethods", "AsyncQuerySetMethods", "AsyncModelMethods", "run_sync"]

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_orm_thread = threading.local()


def _thread_pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="manouche-orm", initializer=_mark_thread
                )
    return _executor


def _mark_thread() -> None:
    _orm_thread.inside = True


async def run_sync(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``function(*args, **kwargs)`` in the ORM's thread and return its result.

    Everything the function does (an ``atomic()`` block, several queries)
    runs on that thread's connections, without other coroutines' queries in
    between. Called from the ORM's thread itself (a function run this way
    awaiting again), it runs at once instead of waiting for itself.
    """
    call = functools.partial(function, *args, **kwargs)
    if getattr(_orm_thread, "inside", False):
        return call()
    return await asyncio.get_running_loop().run_in_executor(_thread_pool(), call)


def _take(iterator, size: int) -> list:
    batch = []
    for item in iterator:
        batch.append(item)
        if len(batch) >= size:
            break
    return batch


class AsyncQuerySetMethods:
    """The ``a``-prefixed twins of the QuerySet methods that run SQL."""

    async def aget(self, *args, **kwargs):
        return await run_sync(self.get, *args, **kwargs)  # type: ignore[attr-defined]

    async def acreate(self, **kwargs):
        return await run_sync(self.create, **kwargs)  # type: ignore[attr-defined]

    async def aget_or_create(self, defaults=None, **kwargs):
        return await run_sync(self.get_or_create, defaults, **kwargs)  # type: ignore[attr-defined]

    async def aupdate_or_create(self, defaults=None, create_defaults=None, **kwargs):
        return await run_sync(  # type: ignore[attr-defined]
            self.update_or_create, defaults, create_defaults, **kwargs  # type: ignore[attr-defined]
        )

    async def abulk_create(self, objs, *args, **kwargs):
        return await run_sync(self.bulk_create, list(objs), *args, **kwargs)  # type: ignore[attr-defined]

    async def abulk_update(self, objs, fields, batch_size=None):
        return await run_sync(self.bulk_update, list(objs), fields, batch_size)  # type: ignore[attr-defined]

    async def acount(self):
        return await run_sync(self.count)  # type: ignore[attr-defined]

    async def ain_bulk(self, id_list=None, *, field_name: str = "pk"):
        return await run_sync(self.in_bulk, id_list, field_name=field_name)  # type: ignore[attr-defined]

    async def aaggregate(self, *args, **kwargs):
        return await run_sync(self.aggregate, *args, **kwargs)  # type: ignore[attr-defined]

    async def aexists(self):
        return await run_sync(self.exists)  # type: ignore[attr-defined]

    async def acontains(self, obj):
        return await run_sync(self.contains, obj)  # type: ignore[attr-defined]

    async def afirst(self):
        return await run_sync(self.first)  # type: ignore[attr-defined]

    async def alast(self):
        return await run_sync(self.last)  # type: ignore[attr-defined]

    async def aearliest(self, *fields):
        return await run_sync(self.earliest, *fields)  # type: ignore[attr-defined]

    async def alatest(self, *fields):
        return await run_sync(self.latest, *fields)  # type: ignore[attr-defined]

    async def aupdate(self, **kwargs):
        return await run_sync(self.update, **kwargs)  # type: ignore[attr-defined]

    async def adelete(self):
        return await run_sync(self.delete)  # type: ignore[attr-defined]

    async def aexplain(self, *, format=None, **options):
        return await run_sync(self.explain, format=format, **options)  # type: ignore[attr-defined]

    async def aiterator(self, chunk_size: int | None = None) -> AsyncIterator:
        """Stream results as ``iterator()`` does, ``chunk_size`` rows per trip to the ORM's thread."""
        size = 2000 if chunk_size is None else chunk_size
        iterator = await run_sync(self.iterator, size)  # type: ignore[attr-defined]
        try:
            while True:
                batch = await run_sync(_take, iterator, size)
                if not batch:
                    return
                for item in batch:
                    yield item
        finally:
            await run_sync(iterator.close)

    def __aiter__(self):
        return self._aiter_results()

    async def _aiter_results(self):
        # As Django: the whole QuerySet is fetched (and cached) in one trip, then yielded.
        results = await run_sync(list, self)
        for item in results:
            yield item


class AsyncModelMethods:
    """``asave``, ``adelete``, ``arefresh_from_db`` and ``afull_clean`` of model instances."""

    async def asave(self, *args, **kwargs) -> None:
        await run_sync(self.save, *args, **kwargs)  # type: ignore[attr-defined]

    async def adelete(self, *args, **kwargs):
        return await run_sync(self.delete, *args, **kwargs)  # type: ignore[attr-defined]

    async def arefresh_from_db(self, *args, **kwargs) -> None:
        await run_sync(self.refresh_from_db, *args, **kwargs)  # type: ignore[attr-defined]

    async def afull_clean(self, *args, **kwargs) -> None:
        await run_sync(self.full_clean, *args, **kwargs)  # type: ignore[attr-defined]


class AsyncManagerMethods:
    """Managers' own ``a``-methods: they call the manager's method, not its QuerySet's.

    A related manager's ``create()`` sets the relation (``author.books.create``)
    and its ``add``/``remove``/``clear``/``set`` exist on it alone, so their
    async twins must run the manager's own. The other ``a``-methods reach the
    QuerySet through the usual proxies.
    """

    async def acreate(self, **kwargs):
        return await run_sync(self.create, **kwargs)  # type: ignore[attr-defined]

    async def aget_or_create(self, **kwargs):
        return await run_sync(self.get_or_create, **kwargs)  # type: ignore[attr-defined]

    async def aupdate_or_create(self, **kwargs):
        return await run_sync(self.update_or_create, **kwargs)  # type: ignore[attr-defined]

    async def aadd(self, *objs, **kwargs) -> None:
        """``add()`` of a related manager (plain managers have none)."""
        await run_sync(self.add, *objs, **kwargs)  # type: ignore[attr-defined]

    async def aremove(self, *objs, **kwargs) -> None:
        await run_sync(self.remove, *objs, **kwargs)  # type: ignore[attr-defined]

    async def aclear(self, **kwargs) -> None:
        await run_sync(self.clear, **kwargs)  # type: ignore[attr-defined]

    async def aset(self, objs, **kwargs) -> None:
        await run_sync(self.set, list(objs), **kwargs)  # type: ignore[attr-defined]
