"""The statement cache: simple QuerySets run without building a ``Query`` or compiling SQL twice.

Most queries an application runs have one of a few shapes:
``Model.objects.get(pk=x)``, ``.filter(a=x, b__gte=y).order_by("-c")[:10]``.
For those, a ``QuerySet`` records a *plan* instead of a ``Query``: the list
of calls made on it (filter names and value types, ordering names, slice
bounds, ``get``) plus the filter values. The first time a plan's shape runs,
the ``Query`` is built by replaying the calls through the ordinary code,
compiled, and the SQL, the parameter order, the column -> attribute map and
the converters are stored on the model class, keyed on the shape and the
dialect. Every later run of that shape only binds the new values.

The rules that keep this exact:

* A plan only holds calls whose meaning is static: ``filter(**kwargs)`` on
  concrete local fields (``name``, a foreign key's ``attname``, ``pk``) with
  ``exact``/``gt``/``gte``/``lt``/``lte`` and values of type ``int``,
  ``str``, ``float`` or ``bool``; ``order_by()`` with such field names;
  one slice; ``get()``. Anything else builds the real ``Query`` (replaying the
  plan) and continues on the ordinary path, so behaviour and error messages
  are those of the ordinary path.
* Reading ``QuerySet.query`` materializes the ``Query`` and drops the plan,
  so code that changes the query in place is never short-cut.
* A shape is cached only when compiling it produced exactly one parameter per
  filter value and each parameter *is* that value object (the field passed
  it through unchanged). A shape whose values the field transforms (a
  float given for a ``DecimalField``, booleans adapted to integers) is
  remembered as not cacheable and always takes the ordinary path.
"""

from __future__ import annotations

from orm import signals
from orm.connections import connections
from orm.exceptions import EmptyResultSet
from orm.model import ModelState
from orm.query.iterables import ModelIterable
from orm.query.row_factory import row_factory

__all__ = [
    "EMPTY_PLAN", "add_filter", "add_ordering", "add_slice", "get_clone", "fetch", "replay",
    "is_sliced",
]

EMPTY_PLAN: tuple = ((), ())
_VALUE_TYPES = frozenset({int, str, float, bool})
_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte"})
_NOT_CACHEABLE = object()
_SLICING = frozenset({"slice", "get"})
_MAX_ENTRIES = 512
_NAMES_KEY = "__field_names__"
_CHECKED_KEY = "__checked_filters__"  # filter steps already found static


def _safe_prep_methods():
    from orm.fields import base, scalar

    methods = {base.Field.get_prep_value}
    for name in ("IntegerField", "FloatField", "CharField", "BooleanField"):
        methods.add(getattr(scalar, name).get_prep_value)
    return frozenset(methods), base.Field.get_db_prep_value


_SAFE = None


def _model_cache(model) -> dict:
    """The statement cache of ``model`` (kept on its ``_meta``: one per class, proxies apart)."""
    opts = model._meta
    cache = opts.__dict__.get("_statement_cache")
    if cache is None:
        cache = opts._statement_cache = {}
    return cache


def _field_names(model, cache: dict):
    """(names usable in a cached filter, names usable in a cached ordering) of ``model``."""
    fields = model._meta.concrete_fields
    names = cache.get(_NAMES_KEY)
    if names is not None and names[0] is fields:
        return names[1]
    if names is not None:
        cache.clear()  # the model's fields changed: every cached shape is suspect
    global _SAFE
    if _SAFE is None:
        _SAFE = _safe_prep_methods()
    safe_prep, base_db_prep = _SAFE
    filterable = set()
    orderable = set()
    hooks = getattr(model, "_filter_hooks", None) or {}
    for field in fields:
        target = field
        if field.is_relation:
            target = getattr(field, "target_field", None)
            if target is None or target.is_relation:
                continue
        prep_ok = (
            type(target).get_prep_value in safe_prep
            and type(target).get_db_prep_value is base_db_prep
        )
        if field.is_relation:
            if field.attname not in hooks:
                orderable.add(field.attname)
                if prep_ok:
                    filterable.add(field.attname)
            continue
        if field.name in hooks:
            continue
        orderable.add(field.name)
        if prep_ok:
            filterable.add(field.name)
            if field.primary_key:
                filterable.add("pk")
        if field.primary_key:
            orderable.add("pk")
    names = (frozenset(filterable), frozenset(orderable))
    cache[_NAMES_KEY] = (fields, names)
    return names


def _plan_usable(queryset) -> bool:
    return (
        queryset._plan is not None
        and queryset._deferred_filter is None
        and not queryset._defer_next_filter
        and not queryset._sticky_filter
    )


def _has_slice(ops) -> bool:
    # A slice (or get) is always the last step: nothing is added to a plan after one.
    return bool(ops) and ops[-1][0] in _SLICING


def is_sliced(queryset) -> bool:
    """``queryset.query.is_sliced``, answered from the plan when there is one (no Query built)."""
    if queryset._plan is not None and queryset._deferred_filter is None:
        return _has_slice(queryset._plan[0])
    return queryset.query.is_sliced


def _derive(queryset, op, values=()):
    """A copy of ``queryset`` (as ``_chain`` makes) whose plan has one more step."""
    ops, args = queryset._plan
    clone = object.__new__(type(queryset))
    # One dict display: this runs for every filter(), order_by() and slice of a plan.
    clone.__dict__ = {
        **queryset.__dict__,
        "_result_cache": None,
        "_prefetch_done": False,
        "_plan": ((*ops, op), (*args, *values) if values else args),
    }
    return clone


def add_filter(queryset, kwargs: dict):
    """``queryset.filter(**kwargs)`` as a plan step, or ``None`` when the shape is not static."""
    if not kwargs or not _plan_usable(queryset):
        return None
    ops = queryset._plan[0]
    if _has_slice(ops):
        return None
    values = tuple(kwargs.values())
    op = ("filter", tuple(kwargs), tuple(map(type, values)))
    model = queryset.model
    cache = _model_cache(model)
    filterable = _field_names(model, cache)[0]  # clears the cache when the fields changed
    checked = cache.get(_CHECKED_KEY)
    if checked is None:
        checked = cache[_CHECKED_KEY] = set()
    if op not in checked:
        for name, value_type in zip(op[1], op[2]):
            if value_type not in _VALUE_TYPES:
                return None
            field, sep, lookup = name.partition("__")
            if field not in filterable or sep and lookup not in _LOOKUPS:
                return None
        if len(checked) >= _MAX_ENTRIES:
            checked.clear()
        checked.add(op)
    return _derive(queryset, op, values)


def add_ordering(queryset, field_names: tuple):
    """``queryset.order_by(*field_names)`` as a plan step, or ``None``."""
    if not _plan_usable(queryset):
        return None
    if _has_slice(queryset._plan[0]):
        return None
    orderable = _field_names(queryset.model, _model_cache(queryset.model))[1]
    for name in field_names:
        if type(name) is not str or (name[1:] if name[:1] == "-" else name) not in orderable:
            return None
    return _derive(queryset, ("order_by", tuple(field_names)))


def add_slice(queryset, start, stop):
    """``queryset[start:stop]`` as a plan step, or ``None``."""
    if not _plan_usable(queryset) or _has_slice(queryset._plan[0]):
        return None
    if start is not None and type(start) is not int or stop is not None and type(stop) is not int:
        return None
    return _derive(queryset, ("slice", start, stop))


def get_clone(queryset, args, kwargs):
    """The QuerySet ``get(**kwargs)`` evaluates, as a plan, or ``None``."""
    if args or not _plan_usable(queryset) or _has_slice(queryset._plan[0]):
        return None
    clone = add_filter(queryset, kwargs) if kwargs else queryset._chain()
    if clone is None or clone._plan is None:
        return None
    return _derive(clone, ("get",))


def replay(queryset):
    """Build the ``Query`` of ``queryset``'s plan with the ordinary QuerySet methods."""
    from orm.query.query import Query

    ops, args = queryset._plan
    current = type(queryset)(
        model=queryset.model, query=Query(queryset.model), using=queryset._db,
        hints=queryset._hints,
    )
    position = 0
    for op in ops:
        kind = op[0]
        if kind == "filter":
            names = op[1]
            values = args[position:position + len(names)]
            position += len(names)
            current = current._filter_or_exclude(False, (), dict(zip(names, values)))
        elif kind == "order_by":
            current = current.order_by(*op[1])
        elif kind == "slice":
            current = current[op[1]:op[2]]
        else:  # "get": what QuerySet.get does to the query before evaluating it
            current = current.order_by()
            current.query.set_limits(high=21)
    return current.query


def _prepare(queryset, connection, cache: dict, key):
    """Compile the plan's shape once; the cache entry, or ``None`` to use the ordinary path."""
    args = queryset._plan[1]
    query = replay(queryset)
    compiler = query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    if len({id(value) for value in args}) != len(args):
        return None  # the same object twice: cannot tell which parameter is which this time
    klass_info = compiler.klass_info
    positions: list[int] = []
    matched = True
    for param in params:
        for index, value in enumerate(args):
            if value is param:
                positions.append(index)
                break
        else:
            matched = False
            break
    order: list[int] | None = positions if matched else None
    if (
        order is None
        or sorted(order) != list(range(len(args)))
        or klass_info is None
        or klass_info["related"]
        or klass_info["start"] != 0
        or compiler.annotation_col_map
        or not klass_info["attnames"]
        or compiler.col_count != len(klass_info["attnames"])
    ):
        entry = _NOT_CACHEABLE
    else:
        if not params and "%%" in sql:
            sql = sql.replace("%%", "%")
        attnames = tuple(klass_info["attnames"])
        converters = compiler.get_converters()
        entry = (sql, tuple(order), attnames, converters, row_factory(query.model, attnames, converters))
    if len(cache) >= _MAX_ENTRIES:
        kept = {name: cache[name] for name in (_NAMES_KEY, _CHECKED_KEY) if name in cache}
        cache.clear()
        cache.update(kept)
    cache[key] = entry
    return entry


def fetch(queryset):
    """The instances of a plan QuerySet, or ``None`` when it must take the ordinary path."""
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._known_related_objects
        or not _plan_usable(queryset)
    ):
        return None
    model = queryset.model
    db = queryset.db
    connection = connections[db]
    cache = _model_cache(model)
    ops, args = queryset._plan
    key = (type(connection.dialect), connection.vendor, ops)
    entry = cache.get(key)
    if entry is None:
        entry = _prepare(queryset, connection, cache, key)
        if entry is None:
            return None
    if entry is _NOT_CACHEABLE:
        return None
    sql, order, attnames, converters, build = entry
    # Every parameter is a filter value compared with its column: the backend may
    # bind it server-side and prepare the statement.
    rows = connection.fetch_all(
        sql, [args[index] for index in order] if order else None, prepared=True
    )
    if not signals.post_init.has_listeners(model):
        return build(rows, db)
    instances = []
    for row in rows:
        if converters:
            row = list(row)
            for index, converter in converters:
                row[index] = converter(row[index])
        instance = object.__new__(model)
        instance.__dict__.update(zip(attnames, row))
        instance._state = ModelState(False, db)
        signals.post_init.send(sender=model, instance=instance)
        instances.append(instance)
    return instances
