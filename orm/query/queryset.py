"""``QuerySet``: lazy, chainable, cached; every method of SPEC §4."""

from __future__ import annotations

import copy
from typing import Any

from orm import hooks
from orm.connections import DEFAULT_DB_ALIAS, connections
from orm.exceptions import (
    FieldDoesNotExist,
    FieldError,
    IntegrityError,
    NotSupportedError,
    OperationalError,
)
from orm.query import statement_cache
from orm.query.async_api import AsyncQuerySetMethods
from orm.query.compiler import SINGLE
from orm.query.expressions import F
from orm.query.iterables import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
)
from orm.query.q import Q
from orm.query.query import Query
from orm.routers import router

__all__ = ["QuerySet", "EmptyQuerySet", "REPR_OUTPUT_SIZE"]

REPR_OUTPUT_SIZE = 20
#: How many times `get_or_create`/`update_or_create` run when the database
#: keeps ending their transaction over a deadlock or serialization failure.
CONFLICT_ATTEMPTS = 3


class QuerySet(AsyncQuerySetMethods):
    """A lazy database lookup for a set of objects."""

    # What a new QuerySet starts with and few change: class attributes, so the copies
    # made for every filter(), order_by() and slice carry fewer instance attributes.
    _result_cache: list | None = None
    _sticky_filter = False
    _for_write = False
    _prefetch_related_lookups: tuple = ()
    _prefetch_done = False
    _iterable_class: Any = ModelIterable
    _fields: tuple | None = None
    _defer_next_filter = False
    _deferred_filter: Any = None

    def __init__(self, model=None, query: Query | None = None, using: str | None = None, hints=None):
        self.model = model
        self._db = using
        self._hints = hints or {}
        # Without a given query, start from an empty plan (see statement_cache); the Query
        # itself is built only when something needs it.
        self._query = query if query is not None or model is not None else Query(model)
        self._plan = statement_cache.EMPTY_PLAN if query is None and model is not None else None
        self._known_related_objects: dict = {}

    # -- plumbing -----------------------------------------------------------------

    @property
    def query(self) -> Query:
        if self._query is None:
            self._query = statement_cache.replay(self)
        # The caller may change the query in place: the plan no longer describes it.
        self._plan = None
        if self._deferred_filter:
            negate, args, kwargs = self._deferred_filter
            self._deferred_filter = None
            self._filter_or_exclude_inplace(negate, args, kwargs)
        return self._query

    @query.setter
    def query(self, value: Query) -> None:
        self._query = value
        self._plan = None

    @classmethod
    def as_manager(cls):
        """A Manager whose methods include this QuerySet's custom methods."""
        from orm.manager import Manager

        manager = Manager.from_queryset(cls)()
        manager._built_with_as_manager = True
        return manager

    as_manager.queryset_only = True  # type: ignore[attr-defined]

    def __class_getitem__(cls, item):
        return cls

    def _clone(self) -> QuerySet:
        if self._plan is not None and self._deferred_filter is None:
            clone = type(self)(model=self.model, using=self._db, hints=self._hints)
            clone._plan = self._plan
        else:
            clone = type(self)(model=self.model, query=self.query.chain(), using=self._db, hints=self._hints)
        clone._sticky_filter = self._sticky_filter
        clone._for_write = self._for_write
        clone._prefetch_related_lookups = self._prefetch_related_lookups
        clone._known_related_objects = self._known_related_objects
        clone._iterable_class = self._iterable_class
        clone._fields = self._fields
        return clone

    def _chain(self) -> QuerySet:
        clone = self._clone()
        if clone._sticky_filter:
            clone._sticky_filter = False
        return clone

    def __deepcopy__(self, memo):
        clone = self.__class__.__new__(self.__class__)
        for key, value in self.__dict__.items():
            clone.__dict__[key] = None if key == "_result_cache" else copy.deepcopy(value, memo)
        return clone

    def __getstate__(self):
        self._fetch_all()
        state = self.__dict__.copy()
        if state.get("_plan") is not None:
            # A plan refers to the process's statement cache: pickle its Query instead.
            state["_query"] = self._query if self._query is not None else statement_cache.replay(self)
            state["_plan"] = None
        return state

    def __repr__(self) -> str:
        data = list(self[: REPR_OUTPUT_SIZE + 1])
        if len(data) > REPR_OUTPUT_SIZE:
            data[-1] = "...(remaining elements truncated)..."
        return f"<{type(self).__name__} {data!r}>"

    def __len__(self) -> int:
        if self._result_cache is None or self._prefetch_related_lookups and not self._prefetch_done:
            self._fetch_all()
        return len(self._result_cache)  # type: ignore[arg-type]

    def __iter__(self):
        # list(queryset) asks for the length first: the second call finds the cache filled.
        if self._result_cache is None or self._prefetch_related_lookups and not self._prefetch_done:
            self._fetch_all()
        return iter(self._result_cache)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        self._fetch_all()
        return bool(self._result_cache)

    def __getitem__(self, key):
        if type(key) is slice and key.step is None and self._plan is not None and self._result_cache is None:
            # A plain slice of a plan (bounds checked there): no Query built. A QuerySet
            # nothing else refers to takes the slice itself: one object fewer.
            temporary = statement_cache.refcount(self) == statement_cache.TEMPORARY_REFCOUNT
            planned = statement_cache.add_slice(self, key.start, key.stop, temporary)
            if planned is not None:
                return planned
        if not isinstance(key, (int, slice)):
            raise TypeError(f"QuerySet indices must be integers or slices, not {type(key).__name__}")
        if isinstance(key, int) and key < 0 or isinstance(key, slice) and (
            (key.start is not None and key.start < 0) or (key.stop is not None and key.stop < 0)
        ):
            raise ValueError("Negative indexing is not supported.")
        if isinstance(key, slice) and key.step not in (None, 1) and key.step is not None and key.step <= 0:
            raise ValueError("slice step must be positive")
        if self._result_cache is not None:
            return self._result_cache[key]
        if isinstance(key, slice):
            clone = self._chain()
            start = int(key.start) if key.start is not None else None
            stop = int(key.stop) if key.stop is not None else None
            clone.query.set_limits(start, stop)
            if key.step:
                return list(clone)[:: key.step]
            return clone
        clone = self._chain()
        clone.query.set_limits(key, key + 1)
        clone._fetch_all()
        try:
            return clone._result_cache[0]  # type: ignore[index]
        except IndexError:
            raise IndexError("QuerySet index out of range") from None

    def __and__(self, other: QuerySet) -> QuerySet:
        self._check_combinable(other)
        if isinstance(other, EmptyQuerySet) or other.query.is_empty_query:
            return other
        if self.query.is_empty_query:
            return self
        combined = self._chain()
        combined.query.add_q(Q(pk__in=other.values("pk")))
        return combined

    def __or__(self, other: QuerySet) -> QuerySet:
        self._check_combinable(other)
        if self.query.is_empty_query:
            return other._chain()
        if other.query.is_empty_query:
            return self._chain()
        combined = self.model._base_manager.using(self._db).filter(
            Q(pk__in=self.values("pk")) | Q(pk__in=other.values("pk"))
        )
        combined.query.order_by = self.query.order_by
        return combined

    def __xor__(self, other: QuerySet) -> QuerySet:
        self._check_combinable(other)
        return self.model._base_manager.using(self._db).filter(
            Q(pk__in=self.values("pk")) ^ Q(pk__in=other.values("pk"))
        )

    def _check_combinable(self, other) -> None:
        if not isinstance(other, QuerySet) or other.model is not self.model:
            raise TypeError("cannot combine queries on different models")

    @property
    def db(self) -> str:
        """The alias this query will run on."""
        if self._db is not None:
            return self._db
        hints = self._hints
        if router.default_only and not hints:
            return DEFAULT_DB_ALIAS
        if self._for_write:
            return router.db_for_write(self.model, **hints) if hints else router.db_for_write(self.model)
        return router.db_for_read(self.model, **hints) if hints else router.db_for_read(self.model)

    @property
    def ordered(self) -> bool:
        """True when the results have a defined order."""
        query = self.query
        if query.order_by or query.combinator and query.order_by:
            return True
        if query.default_ordering and self.model._meta.ordering and query.group_by is None:
            return True
        return False

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            if self._plan is not None:
                self._result_cache = statement_cache.fetch(self)
            if self._result_cache is None:
                iterable = self._iterable_class(self)
                results = getattr(iterable, "results", None)
                self._result_cache = results() if results is not None else list(iterable)
        if self._prefetch_related_lookups and not self._prefetch_done:
            self._prefetch_related_objects()

    def _prefetch_related_objects(self) -> None:
        if hooks.prefetch_related_objects is None:
            raise FieldError("prefetch_related() needs the associations package")
        hooks.prefetch_related_objects(self._result_cache, *self._prefetch_related_lookups)
        self._prefetch_done = True

    # -- evaluation ---------------------------------------------------------------

    def iterator(self, chunk_size: int | None = None):
        """Stream results without caching them (server-side cursor where available)."""
        if chunk_size is None:
            chunk_size = 2000
        if chunk_size <= 0:
            raise ValueError("chunk_size must be strictly positive")
        iterable = self._iterable_class(self, chunked_fetch=True, chunk_size=chunk_size)
        prefetch = hooks.prefetch_related_objects
        if not self._prefetch_related_lookups or prefetch is None:
            yield from iterable
            return
        batch: list = []
        for item in iterable:
            batch.append(item)
            if len(batch) >= chunk_size:
                prefetch(batch, *self._prefetch_related_lookups)
                yield from batch
                batch = []
        if batch:
            prefetch(batch, *self._prefetch_related_lookups)
            yield from batch

    def aggregate(self, *args, **kwargs) -> dict[str, Any]:
        """One dict of aggregate values over the whole QuerySet."""
        if self._plan is not None and not args and kwargs:
            values = plan_aggregation(self, kwargs, connections[self.db])
            if values is not None:
                return values
        if self.query.distinct_fields:
            raise NotImplementedError("aggregate() + distinct(fields) not implemented.")
        for arg in args:
            try:
                kwargs[arg.default_alias] = arg
            except (AttributeError, TypeError):
                raise TypeError("Complex aggregates require an alias") from None
        from orm.query.aggregation import get_aggregation

        return get_aggregation(self.query, kwargs, connections[self.db])

    def count(self) -> int:
        """The number of rows (``SELECT COUNT(*)``), or ``len()`` of the cache."""
        if self._result_cache is not None:
            return len(self._result_cache)
        from orm.query.aggregation import get_count

        return get_count(self.query, connections[self.db])

    def get(self, *args, **kwargs):
        """The one object matching the filters; ``DoesNotExist`` or ``MultipleObjectsReturned`` otherwise."""
        limit = 21
        clone = statement_cache.get_clone(self, args, kwargs) if self._plan is not None else None
        if clone is None:
            if self.query.combinator and (args or kwargs):
                raise NotImplementedError("calling get() with filters after union() is not supported")
            clone = self._chain() if self.query.combinator else self.filter(*args, **kwargs)
            if self.query.can_filter() if hasattr(self.query, "can_filter") else not clone.query.is_sliced:
                clone = clone.order_by()
            if not clone.query.is_sliced:
                clone.query.set_limits(high=limit)
        results = list(clone)
        count = len(results)
        if count == 1:
            return results[0]
        opts = self.model._meta
        if not count:
            raise self.model.DoesNotExist(f"{opts.object_name} matching query does not exist.")
        raise self.model.MultipleObjectsReturned(
            f"get() returned more than one {opts.object_name} -- it returned "
            f"{count if count < limit else f'more than {limit - 1}'}!"
        )

    def create(self, **kwargs):
        """Create, save and return an object."""
        obj = self.model(**kwargs)
        self._for_write = True
        obj.save(force_insert=True, using=self.db)
        return obj

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, update_fields=None, unique_fields=None):
        """Insert many objects in few queries; sets their pks where the database returns them."""
        from orm.query.persistence import bulk_insert

        if batch_size is not None and batch_size <= 0:
            raise ValueError("batch_size must be a positive integer")
        objs = list(objs)
        if not objs:
            return objs
        self._for_write = True
        return bulk_insert(
            self.model, objs, connections[self.db], self.db, batch_size,
            ignore_conflicts, update_conflicts, update_fields, unique_fields,
        )

    def bulk_update(self, objs, fields, batch_size=None) -> int:
        """Update ``fields`` of many objects with one CASE statement per batch; returns rows matched."""
        from orm.query.persistence import bulk_update

        if batch_size is not None and batch_size <= 0:
            raise ValueError("batch_size must be a positive integer")
        if not fields:
            raise ValueError("Field names must be given to bulk_update().")
        objs = list(objs)
        if not objs:
            return 0
        self._for_write = True
        return bulk_update(self.model, objs, fields, connections[self.db], self.db, batch_size)

    def get_or_create(self, defaults=None, **kwargs):
        """``(object, created)``; safe against two creators racing.

        An IntegrityError from the insert means another creator won: the row
        is read again. Outside any transaction, a deadlock or serialization
        failure (two creators meeting in InnoDB's locks) runs the whole call
        again, up to `CONFLICT_ATTEMPTS` times.
        """
        self._for_write = True
        return self._retrying_conflicts(lambda: self._get_or_create(defaults, kwargs))

    def _get_or_create(self, defaults, kwargs):
        try:
            return self.get(**kwargs), False
        except self.model.DoesNotExist:
            params = self._extract_model_params(defaults, **kwargs)
            from orm.transaction import atomic

            try:
                with atomic(using=self.db):
                    params = {key: value() if callable(value) else value for key, value in params.items()}
                    return self.create(**params), True
            except IntegrityError:
                try:
                    return self.get(**kwargs), False
                except self.model.DoesNotExist:
                    pass
                raise

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        """``(object, created)``: update the matching object with ``defaults`` or create it.

        Retried on a deadlock or serialization failure as `get_or_create` is.
        """
        self._for_write = True
        return self._retrying_conflicts(
            lambda: self._update_or_create(defaults, create_defaults, kwargs)
        )

    def _update_or_create(self, defaults, create_defaults, kwargs):
        from orm.transaction import atomic

        defaults = defaults or {}
        with atomic(using=self.db):
            try:
                obj = self.select_for_update().get(**kwargs)
            except self.model.DoesNotExist:
                obj = None
            if obj is None:
                create_params = dict(create_defaults if create_defaults is not None else defaults)
                obj, created = self.get_or_create(defaults=create_params, **kwargs)
                if created:
                    return obj, True
            names = []
            for key, value in defaults.items():
                setattr(obj, key, value() if callable(value) else value)
                names.append(key)
            concrete = {f.name for f in self.model._meta.concrete_fields} | {f.attname for f in self.model._meta.concrete_fields}
            update_fields = [name for name in names if name in concrete]
            auto_now = [f.name for f in self.model._meta.concrete_fields if getattr(f, "auto_now", False)]
            if update_fields and len(update_fields) == len(names):
                obj.save(using=self.db, update_fields=[*update_fields, *auto_now])
            else:
                obj.save(using=self.db)
        return obj, False

    def _retrying_conflicts(self, work):
        """``work()``, run again when the database ends its transaction over a conflict.

        Only when no transaction is open on entry: inside one, the database
        has rolled back more than ``work`` did (InnoDB the whole transaction),
        so the error is the caller's to handle.
        """
        connection = connections[self.db]
        if connection.in_transaction:
            return work()
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return work()
            except OperationalError as error:
                if attempt == CONFLICT_ATTEMPTS or not connection.is_transaction_conflict(error):
                    raise

    def _extract_model_params(self, defaults, **kwargs) -> dict:
        defaults = defaults or {}
        params = {key: value for key, value in kwargs.items() if "__" not in key}
        params.update(defaults)
        opts = self.model._meta
        valid = {f.name for f in opts.concrete_fields} | {f.attname for f in opts.concrete_fields} | {f.name for f in opts.private_fields}
        invalid = [name for name in params if name not in valid and not isinstance(getattr(self.model, name, None), property)]
        if invalid:
            raise FieldError(
                f"Invalid field name(s) for model {opts.object_name}: {', '.join(sorted(invalid))}."
            )
        return params

    def _earliest(self, fields, descending: bool):
        if not fields:
            fields = self.model._meta.get_latest_by_fields()
            if not fields:
                raise ValueError(
                    "earliest() and latest() require either fields as positional arguments "
                    "or 'get_latest_by' in the model's Meta."
                )
        if self.query.is_sliced:
            raise TypeError("Cannot change a query once a slice has been taken.")
        # NULLs sort last either way, so that every backend picks the same row (Django leaves
        # this to the database: SQLite and MySQL put NULL first, PostgreSQL last).
        ordering = []
        for name in fields:
            reverse = name.startswith("-") != descending
            expression = F(name.lstrip("-"))
            ordering.append(expression.desc(nulls_last=True) if reverse else expression.asc(nulls_last=True))
        clone = self._chain()
        clone.query.set_limits(high=1)
        clone.query.clear_ordering(force=True)
        clone.query.order_by = tuple(ordering)
        return clone.get()

    def earliest(self, *fields):
        return self._earliest(fields, descending=False)

    def latest(self, *fields):
        return self._earliest(fields, descending=True)

    def first(self):
        """The first object (by the ordering, else by pk), or None."""
        queryset = self if self.ordered else self.order_by("pk")
        for obj in queryset[:1]:
            return obj
        return None

    def last(self):
        """The last object (by the ordering, else by pk), or None."""
        queryset = self.reverse() if self.ordered else self.order_by("-pk")
        for obj in queryset[:1]:
            return obj
        return None

    def in_bulk(self, id_list=None, *, field_name: str = "pk") -> dict:
        """``{value: object}`` for the given values of a unique field (all rows without a list)."""
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with in_bulk().")
        if self._fields is not None:
            raise TypeError("in_bulk() cannot be used with values() or values_list().")
        opts = self.model._meta
        if field_name != "pk":
            field = opts.get_field(field_name)
            if not field.unique and not any(
                getattr(c, "fields", None) == (field_name,) or list(getattr(c, "fields", [])) == [field_name]
                for c in opts.constraints
            ):
                raise ValueError(f"in_bulk()'s field_name must be a unique field but {field_name!r} isn't.")
            attname = field.attname
        else:
            attname = opts.pk.attname
        if id_list is not None:
            id_list = list(id_list)
            if not id_list:
                return {}
            batch = connections[self.db].dialect.bulk_batch_size(1, len(id_list))
            result = {}
            for start in range(0, len(id_list), batch):
                chunk = id_list[start : start + batch]
                for obj in self.filter(**{f"{field_name}__in": chunk}).order_by():
                    result[getattr(obj, attname)] = obj
            return result
        return {getattr(obj, attname): obj for obj in self.order_by()}

    def delete(self):
        """Delete the rows (and what cascades from them); returns ``(total, {label: count})``."""
        self._not_support_combined_queries("delete")
        if self._plan is not None:
            result = plan_delete(self)
            if result is not None:
                self._result_cache = None
                return result
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        if self.query.distinct or self.query.distinct_fields:
            raise TypeError("Cannot call delete() after .distinct().")
        if self._fields is not None:
            raise TypeError("Cannot call delete() after .values() or .values_list()")
        from orm.query.deletion import delete_queryset

        clone = self._chain()
        clone._for_write = True
        clone.query.select_for_update = False
        clone.query.select_related = False
        clone.query.clear_ordering(force=True)
        result = delete_queryset(clone)
        self._result_cache = None
        return result

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def update(self, **kwargs) -> int:
        """Set fields on every row with one UPDATE; returns the number of rows matched."""
        self._not_support_combined_queries("update")
        if statement_cache.is_sliced(self):
            raise TypeError("Cannot update a query once a slice has been taken.")
        if not kwargs:
            raise ValueError("update() needs at least one field=value")
        self._for_write = True
        connection = connections[self.db]
        try:
            rows = None
            if self._plan is not None:
                rows = plan_update(self, kwargs, connection)
            if rows is None:
                rows = update_queryset(self, kwargs, connection)
        except Exception as error:
            from orm.transaction import mark_for_rollback_on_error

            mark_for_rollback_on_error(self.db, error)
            raise
        self._result_cache = None
        return rows

    update.alters_data = True  # type: ignore[attr-defined]

    def exists(self) -> bool:
        """Whether any row matches (``SELECT 1 ... LIMIT 1``)."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        query = self.query.exists_query()
        return query.get_compiler(using=self.db).execute_sql(SINGLE) is not None

    def contains(self, obj) -> bool:
        """Whether ``obj`` is in this QuerySet."""
        self._not_support_combined_queries("contains")
        if self._fields is not None:
            raise TypeError("Cannot call QuerySet.contains() after .values() or .values_list().")
        if not hasattr(obj, "_meta") or obj._meta.concrete_model is not self.model._meta.concrete_model:
            raise TypeError(f"'obj' must be a {self.model._meta.object_name} instance.")
        if obj.pk is None:
            raise ValueError("QuerySet.contains() cannot be used on unsaved objects.")
        if self._result_cache is not None:
            return obj in self._result_cache
        return self.filter(pk=obj.pk).exists()

    def explain(self, *, format=None, **options) -> str:
        """The database's plan for this query."""
        return self.query.get_compiler(using=self.db).explain(format, **options)

    # -- new QuerySets ------------------------------------------------------------

    def all(self) -> QuerySet:
        return self._chain()

    def none(self) -> QuerySet:
        clone = self._chain()
        clone.query.set_empty()
        return clone

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet:
        """Distinct ``datetime.date`` values of the field truncated to year/month/week/day."""
        from orm.query.dates import dates

        return dates(self, field_name, kind, order)

    def datetimes(self, field_name: str, kind: str, order: str = "ASC", tzinfo=None) -> QuerySet:
        """Distinct aware datetimes of the field truncated to ``kind`` (year ... second), in UTC."""
        from orm.query.dates import datetimes

        return datetimes(self, field_name, kind, order, tzinfo)

    def filter(self, *args, **kwargs) -> QuerySet:
        """Rows matching every condition (``name__lookup=value``, ``Q``, boolean expressions)."""
        return self._filter_or_exclude(False, args, kwargs)

    def exclude(self, *args, **kwargs) -> QuerySet:
        """Rows not matching the conditions (rows whose value is NULL are kept)."""
        return self._filter_or_exclude(True, args, kwargs)

    def _not_support_combined_queries(self, operation: str) -> None:
        # The rows of a union are not those of this model's table: such a step would be ignored.
        # (``_query``, not ``query``: reading that would drop a plan; a plan is never a union.)
        query = self._query
        if query is not None and query.combinator:
            raise NotSupportedError(
                f"Calling QuerySet.{operation}() after {query.combinator}() is not supported."
            )

    def _filter_or_exclude(self, negate: bool, args, kwargs) -> QuerySet:
        self._not_support_combined_queries("exclude" if negate else "filter")
        if self._plan is not None and not negate and not args:
            planned = statement_cache.add_filter(self, kwargs)
            if planned is not None:
                return planned
        if (args or kwargs) and statement_cache.is_sliced(self):
            raise TypeError("Cannot filter a query once a slice has been taken.")
        clone = self._chain()
        if self._defer_next_filter:
            self._defer_next_filter = False
            clone._deferred_filter = negate, args, kwargs
        else:
            clone._filter_or_exclude_inplace(negate, args, kwargs)
        return clone

    def _filter_or_exclude_inplace(self, negate: bool, args, kwargs) -> None:
        if not args and not kwargs:
            return
        condition = Q(*args, **kwargs)
        self.query.add_q(~condition if negate else condition)

    def complex_filter(self, filter_obj) -> QuerySet:
        if isinstance(filter_obj, Q):
            clone = self._chain()
            clone.query.add_q(filter_obj)
            return clone
        return self._filter_or_exclude(False, (), filter_obj)

    def _combinator_query(self, combinator: str, *other_qs, all: bool = False) -> QuerySet:
        clone = self._chain()
        clone.query.clear_ordering(force=True)
        clone.query.clear_limits()
        clone.query.combined_queries = (self.query, *(qs.query for qs in other_qs))
        clone.query.combinator = combinator
        clone.query.combinator_all = all
        return clone

    def union(self, *other_qs, all: bool = False) -> QuerySet:
        """Rows of this or any other QuerySet (``UNION``; ``all=True`` keeps duplicates)."""
        if isinstance(self, EmptyQuerySet) or self.query.is_empty_query:
            remaining = [qs for qs in other_qs if not qs.query.is_empty_query]
            if not remaining:
                return self
            if len(remaining) == 1:
                return remaining[0]
            return remaining[0]._combinator_query("union", *remaining[1:], all=all)
        return self._combinator_query("union", *other_qs, all=all)

    def intersection(self, *other_qs) -> QuerySet:
        """Rows in every QuerySet (``INTERSECT``)."""
        if self.query.is_empty_query:
            return self
        for other in other_qs:
            if other.query.is_empty_query:
                return other
        return self._combinator_query("intersection", *other_qs)

    def difference(self, *other_qs) -> QuerySet:
        """Rows of this QuerySet not in the others (``EXCEPT``)."""
        if self.query.is_empty_query:
            return self
        return self._combinator_query("difference", *other_qs)

    def select_for_update(self, nowait: bool = False, skip_locked: bool = False, of=(), no_key: bool = False) -> QuerySet:
        """Lock the selected rows until the end of the transaction (needs ``atomic``)."""
        if nowait and skip_locked:
            raise ValueError("The nowait option cannot be used with skip_locked.")
        clone = self._chain()
        clone._for_write = True
        clone.query.select_for_update = True
        clone.query.select_for_update_nowait = nowait
        clone.query.select_for_update_skip_locked = skip_locked
        clone.query.select_for_update_of = tuple(of)
        return clone

    def select_related(self, *fields) -> QuerySet:
        """Load the named foreign keys in the same query (JOINs); no arguments = all non-null FKs."""
        if self._fields is not None:
            raise TypeError("Cannot call select_related() after .values() or .values_list()")
        clone = self._chain()
        if fields == (None,):
            clone.query.select_related = False
        elif fields:
            clone.query.add_select_related(fields)
        else:
            clone.query.select_related = True
        return clone

    def prefetch_related(self, *lookups) -> QuerySet:
        """Load the named relations with one extra query per level after the main query."""
        clone = self._chain()
        if lookups == (None,):
            clone._prefetch_related_lookups = ()
        else:
            for lookup in lookups:
                name = getattr(lookup, "prefetch_to", lookup)
                if not isinstance(name, str):
                    raise TypeError(f"prefetch_related() takes names or Prefetch objects, got {lookup!r}")
            clone._prefetch_related_lookups = clone._prefetch_related_lookups + lookups
        return clone

    def annotate(self, *args, **kwargs) -> QuerySet:
        """Add a computed value to each result (``annotate(n=Count("books"))``)."""
        return self._annotate(args, kwargs, select=True)

    def alias(self, *args, **kwargs) -> QuerySet:
        """Like ``annotate()`` but the value is only usable in filters and ordering, not selected."""
        return self._annotate(args, kwargs, select=False)

    def _annotate(self, args, kwargs, select: bool) -> QuerySet:
        self._not_support_combined_queries("annotate" if select else "alias")
        annotations = {}
        for arg in args:
            try:
                alias = arg.default_alias
            except (AttributeError, TypeError):
                raise TypeError("Complex annotations require an alias") from None
            if alias in kwargs:
                raise ValueError(f"The named annotation '{alias}' conflicts with the default name for another annotation.")
            annotations[alias] = arg
        annotations.update(kwargs)
        clone = self._chain()
        if clone._fields is None:
            from orm.query.multivalued import isolate_multivalued_aggregates

            annotations = isolate_multivalued_aggregates(clone.query, annotations)
        names = {f.name for f in self.model._meta.get_fields()} | {f.attname for f in self.model._meta.concrete_fields}
        for alias, annotation in annotations.items():
            if alias in names:
                raise ValueError(f"The annotation '{alias}' conflicts with a field on the model.")
            if not hasattr(annotation, "resolve_expression"):
                raise TypeError(f"annotate() argument {alias!r} must be an expression, got {annotation!r}")
            if getattr(annotation, "conditional", False) and hasattr(annotation, "children"):
                from orm.fields import BooleanField
                from orm.query.expressions import ExpressionWrapper

                annotation = ExpressionWrapper(annotation, output_field=BooleanField())
            clone.query.add_annotation(annotation, alias, select=select)
        if clone._fields is not None and select:
            clone._fields = (*clone._fields, *annotations)
            group = clone.query.group_by
            if any(getattr(a, "contains_aggregate", False) for a in annotations.values()):
                if group is True and clone.query.values_select:
                    clone.query.group_by = tuple(clone.query.select)
        return clone

    def order_by(self, *field_names) -> QuerySet:
        """Order by fields (``"-name"``, ``"author__name"``, ``"?"``) or expressions; none clears it."""
        if self._plan is not None:
            # A QuerySet nothing else refers to takes the step itself (see add_ordering).
            temporary = statement_cache.refcount(self) == statement_cache.TEMPORARY_REFCOUNT
            planned = statement_cache.add_ordering(self, field_names, temporary)
            if planned is not None:
                return planned
        if self.query.is_sliced:
            raise TypeError("Cannot reorder a query once a slice has been taken.")
        clone = self._chain()
        clone.query.check_ordering_names(field_names)
        clone.query.clear_ordering(force=True)
        clone.query.order_by = tuple(field_names)
        clone.query.default_ordering = not field_names and False
        return clone

    def distinct(self, *field_names) -> QuerySet:
        """Drop duplicate rows (PostgreSQL: ``DISTINCT ON`` the given fields)."""
        self._not_support_combined_queries("distinct")
        if self.query.is_sliced:
            raise TypeError("Cannot create distinct fields once a slice has been taken.")
        clone = self._chain()
        clone.query.distinct = True
        clone.query.distinct_fields = tuple(field_names)
        return clone

    def reverse(self) -> QuerySet:
        """Reverse the ordering."""
        if self.query.is_sliced:
            raise TypeError("Cannot reverse a query once a slice has been taken.")
        clone = self._chain()
        clone.query.standard_ordering = not clone.query.standard_ordering
        return clone

    def defer(self, *fields) -> QuerySet:
        """Do not load these fields until they are accessed."""
        self._not_support_combined_queries("defer")
        if self._fields is not None:
            raise TypeError("Cannot call defer() after .values() or .values_list()")
        clone = self._chain()
        if fields == (None,):
            clone.query.deferred_loading = (frozenset(), True)
        else:
            self._check_field_names(fields)
            clone.query.add_deferred_loading(fields)
        return clone

    def only(self, *fields) -> QuerySet:
        """Load only these fields (and the pk) now; the rest on access."""
        self._not_support_combined_queries("only")
        if self._fields is not None:
            raise TypeError("Cannot call only() after .values() or .values_list()")
        if fields == (None,):
            raise TypeError("Cannot pass None as an argument to only().")
        self._check_field_names(fields)
        clone = self._chain()
        clone.query.add_immediate_loading(fields)
        return clone

    def _check_field_names(self, names) -> None:
        opts = self.model._meta
        for name in names:
            head = name.split("__", 1)[0]
            if head == "pk":
                continue
            try:
                opts.get_field(head)
            except FieldDoesNotExist as error:
                raise FieldError(str(error)) from None

    def using(self, alias: str) -> QuerySet:
        """Run on the database ``alias``."""
        clone = self._chain()
        clone._db = alias
        return clone

    def values(self, *fields, **expressions) -> QuerySet:
        """Dicts instead of instances (``values("id", "author__name")``)."""
        clone = self._values(*fields, **expressions)
        clone._iterable_class = ValuesIterable
        return clone

    def _values(self, *fields, **expressions) -> QuerySet:
        clone = self._chain()
        if expressions:
            clone = clone.annotate(**expressions)
        field_names = list(fields) + list(expressions)
        for name in field_names:
            if not isinstance(name, str):
                raise TypeError(f"values() takes field names as strings, got {name!r}")
        clone._fields = tuple(field_names) if field_names else None
        clone.query.set_values(field_names)
        if clone._fields is None:
            clone._fields = tuple(
                [*clone.query.values_select, *clone.query.annotation_select]
            )
        if clone.query.group_by is not None and field_names and clone.query.group_by is not True:
            pass
        return clone

    def values_list(self, *fields, flat: bool = False, named: bool = False) -> QuerySet:
        """Tuples instead of instances; ``flat=True`` for single values, ``named=True`` for named tuples."""
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        if flat and len(fields) > 1:
            raise TypeError("'flat' is not valid when values_list is called with more than one field.")
        expressions = {}
        names = []
        counter = 1
        for field in fields:
            if hasattr(field, "resolve_expression"):
                alias = f"{getattr(field, 'default_alias', type(field).__name__.lower())}{counter}"
                counter += 1
                expressions[alias] = field
                names.append(alias)
            else:
                names.append(field)
        clone = self._values(*[n for n in names if n not in expressions], **expressions)
        clone._fields = tuple(names) if names else clone._fields
        clone._iterable_class = (
            NamedValuesListIterable if named else FlatValuesListIterable if flat else ValuesListIterable
        )
        return clone

    def after(self, last=None, size: int = 50) -> QuerySet:
        """The next ``size`` rows after ``last`` in the QuerySet's ordering, without OFFSET.

        ``last`` is the last object of the previous page, or a dict/tuple of its
        ordering values; ``None`` gives the first page. The ordering must end
        with a unique field (e.g. ``order_by("created", "id")``).
        """
        from orm.query.keyset import keyset_page

        return keyset_page(self, last, size)

    # -- used by related managers -------------------------------------------------

    def _next_is_sticky(self) -> QuerySet:
        self._sticky_filter = True
        return self

    def resolve_expression(self, *args, **kwargs):
        if self._fields and len(self._fields) > 1:
            raise TypeError("Cannot use multi-field values as a filter value.")
        return self.query.resolve_expression(*args, **kwargs)

    def _add_hints(self, **hints) -> None:
        self._hints.update(hints)

    def _has_filters(self) -> bool:
        return bool(self.query.where)


class EmptyQuerySet:
    """Marker class: ``isinstance(qs.none(), EmptyQuerySet)`` is True."""

    def __init__(self, *args, **kwargs):
        raise TypeError("EmptyQuerySet can't be instantiated")


class _EmptyMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, QuerySet) and instance.query.is_empty_query


EmptyQuerySet = _EmptyMeta("EmptyQuerySet", (), {"__doc__": EmptyQuerySet.__doc__})  # type: ignore[misc,assignment]

# Imported here, not inside the methods: an import statement in a function costs a failed
# ``__path__`` lookup (an AttributeError made and dropped) on every call.
from orm.query.persistence import update_queryset  # noqa: E402
from orm.query.plan_statements import plan_aggregation, plan_delete, plan_update  # noqa: E402

