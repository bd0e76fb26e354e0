"""The statement cache: simple QuerySets run without building a ``Query`` or compiling SQL twice.

Most queries an application runs have one of a few shapes:
``Model.objects.get(pk=x)``, ``.filter(a=x, b__gte=y).order_by("-c")[:10]``.
For those, a ``QuerySet`` records a *plan* instead of a ``Query``: the list
of calls made on it (filter names and value types, ordering names, slice
bounds, ``get``) plus the filter values. The first time a plan's shape runs,
the ``Query`` is built by replaying the calls through the ordinary code,
compiled, and the SQL, the parameter order, the column -> attribute map and
the converters are stored with the shape (a tree of shapes per model, on its
``_meta``), per dialect. Every later run of that shape only binds the new
values.

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

import sys
import sysconfig
from typing import Any

from orm import signals
from orm.connections import DEFAULT_DB_ALIAS, connections
from orm.exceptions import EmptyResultSet
from orm.model import ModelState
from orm.query import lookup_registry
from orm.query.iterables import ModelIterable
from orm.query.row_factory import ChunkLoader, row_factory
from orm.routers import router

__all__ = [
    "EMPTY_PLAN", "TEMPORARY_REFCOUNT", "add_filter", "add_ordering", "add_slice", "filtered",
    "get_clone", "fetch", "refcount", "replay", "is_sliced", "parameter_order",
    "remember_statement", "usable_shape",
]

_VALUE_TYPES = frozenset({int, str, float, bool})
_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte"})
_NOT_CACHEABLE = object()
_INVALID = object()  # a step found not static: the ordinary path takes it
_MAX_ENTRIES = 512

# A QuerySet method may record its step on the QuerySet itself instead of on a copy
# when nothing else can ever see that QuerySet: the result of a call, used only to
# call the method (``Model.objects.filter(...).order_by(...)[:10]``). CPython counts
# the references to it: there, ``refcount(self)``, read as a statement of its own,
# is TEMPORARY_REFCOUNT (the method's ``self`` and the argument of the call); a
# variable, a container, a bound method or a calling frame holding it counts one
# more. CPython 3.11 to 3.13 with the GIL only: from 3.14 the interpreter may hold
# references it does not count, the free-threaded build counts them apart, and
# other implementations count none. Elsewhere the check never passes.
if (
    sys.implementation.name == "cpython"
    and (3, 11) <= sys.version_info[:2] <= (3, 13)
    and not sysconfig.get_config_var("Py_GIL_DISABLED")
):
    refcount = sys.getrefcount
    TEMPORARY_REFCOUNT = 2
else:  # pragma: no cover - not the CPython this runs on

    def refcount(obj) -> int:
        """Never `TEMPORARY_REFCOUNT`: every step makes a copy."""
        return 0

    TEMPORARY_REFCOUNT = -1


class Shape:
    """The calls a plan records (filter names and value types, ordering, slice), as a tree node.

    Shapes form one tree per model: a step is looked up among the children of
    the current shape (made and checked the first time), and each shape keeps
    its compiled statement per dialect. A query therefore hashes only its new
    step, never the whole list of calls.
    """

    __slots__ = ("ops", "sliced", "root", "filters", "orderings", "slices", "statements")

    def __init__(self, ops: tuple, sliced: bool, root: Root | None) -> None:
        self.ops = ops
        self.sliced = sliced  # a slice (or get) is always the last step
        self.root: Root = root if root is not None else self  # type: ignore[assignment]
        self.filters: dict = {}
        self.orderings: dict = {}
        self.slices: dict = {}
        self.statements: dict = {}

    def __repr__(self) -> str:
        return f"<Shape {self.ops!r}>"

    def __copy__(self) -> Shape:
        return self  # shared by every plan of this shape; QuerySets never change it

    def __deepcopy__(self, memo) -> Shape:
        return self


class Root(Shape):
    """The empty shape of one model, with the names its steps may use (for its current fields)."""

    __slots__ = ("fields", "known", "filterable", "orderable")

    def __init__(self, model) -> None:
        super().__init__((), False, None)
        self.fields = model._meta.concrete_fields
        # The model's _meta.__dict__, which caches concrete_fields (a new list when the
        # fields change): the steps are still valid while it holds ``fields``.
        self.known = model._meta.__dict__
        self.filterable, self.orderable = _field_names(model, self.fields)


_EMPTY_SHAPE = Shape((), False, None)
#: The plan of a QuerySet no step was recorded for yet; its shape stands for the model's Root.
EMPTY_PLAN: tuple = (_EMPTY_SHAPE, ())


def _safe_prep_methods():
    from orm.fields import base, scalar

    methods = {base.Field.get_prep_value}
    for name in ("IntegerField", "FloatField", "CharField", "BooleanField"):
        methods.add(getattr(scalar, name).get_prep_value)
    return frozenset(methods), base.Field.get_db_prep_value


_SAFE = None


def _root(model) -> Root:
    """``model``'s shape tree (kept on its ``_meta``, proxies apart), rebuilt when its fields change."""
    known = model._meta.__dict__
    root = known.get("_statement_shapes")
    # concrete_fields is cached in the same __dict__ once computed (a new list when they change).
    if root is None or root.fields is not known.get("concrete_fields"):
        root = model._meta._statement_shapes = Root(model)
    return root


def _shape(queryset) -> Shape:
    shape = queryset._plan[0]
    return _root(queryset.model) if shape is _EMPTY_SHAPE else shape


def _field_names(model, fields):
    """(names usable in a cached filter, names usable in a cached ordering) of ``model``."""
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
            # A built-in comparison replaced by register_lookup is not what a cached step writes.
            and not (lookup_registry.state.active and _replaces_comparisons(field, target))
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
    return frozenset(filterable), frozenset(orderable)


def _replaces_comparisons(field, target) -> bool:
    """Whether register_lookup replaced one of the comparisons cached steps write."""
    registered = lookup_registry.registered_for
    return bool(_LOOKUPS & (registered(type(field)).keys() | registered(type(target)).keys()))


def _plan_usable(queryset) -> bool:
    return (
        queryset._plan is not None
        and queryset._deferred_filter is None
        and not queryset._defer_next_filter
        and not queryset._sticky_filter
    )


def is_sliced(queryset) -> bool:
    """``queryset.query.is_sliced``, answered from the plan when there is one (no Query built)."""
    if queryset._plan is not None and queryset._deferred_filter is None:
        return queryset._plan[0].sliced
    return queryset.query.is_sliced


#: The ``__dict__`` of a new plan QuerySet, before its model, alias, hints and plan are
#: set: what QuerySet.__init__ sets, plus the class defaults of QuerySet that the plan
#: steps and fetch() read (a read from the instance's own dict is a quick hinted lookup).
_PLAN_STATE: dict[str, Any] = {
    "model": None, "_db": None, "_hints": None, "_query": None, "_plan": None,
    "_known_related_objects": None, "_result_cache": None, "_prefetch_done": False,
    "_sticky_filter": False, "_defer_next_filter": False, "_deferred_filter": None,
    "_iterable_class": ModelIterable, "_prefetch_related_lookups": (),
}


def _derive(queryset, shape: Shape, values=()):
    """A copy of ``queryset`` (as ``_chain`` makes) whose plan is ``shape`` with ``values`` added."""
    args = queryset._plan[1]
    clone = object.__new__(type(queryset))
    # This runs for every filter(), order_by() and slice of a plan: a C copy of the
    # dict and three stores cost less than a dict display unpacking it.
    state = queryset.__dict__.copy()
    state["_result_cache"] = None
    state["_prefetch_done"] = False
    state["_plan"] = (shape, (*args, *values) if values else args)
    clone.__dict__ = state
    return clone


def _remember(children: dict, key, child):
    """Store ``child`` (a Shape, or _INVALID) under ``key``; the Shape, or ``None`` for _INVALID."""
    if len(children) >= _MAX_ENTRIES:
        children.clear()
    children[key] = child
    return None if child is _INVALID else child


def _filter_child(shape: Shape, names: tuple, values: tuple) -> Shape | None:
    """The shape after ``filter(**dict(zip(names, values)))`` from ``shape``, or ``None``."""
    key = (*names, *map(type, values))
    child = shape.filters.get(key)
    if child is None:
        return _remember(shape.filters, key, _filter_step(shape, key))
    return None if child is _INVALID else child


def _filter_step(shape: Shape, key: tuple):
    """The child of ``shape`` for a filter key: the names, then their values' types, flat."""
    count = len(key) // 2
    names, types = key[:count], key[count:]
    root = shape.root
    for name, value_type in zip(names, types):
        if value_type not in _VALUE_TYPES:
            return _INVALID
        field, sep, lookup = name.partition("__")
        if field not in root.filterable or sep and lookup not in _LOOKUPS:
            return _INVALID
    return Shape((*shape.ops, ("filter", names, types)), False, root)


def add_filter(queryset, kwargs: dict):
    """``queryset.filter(**kwargs)`` as a plan step, or ``None`` when the shape is not static."""
    if not kwargs or not _plan_usable(queryset):
        return None
    shape = _shape(queryset)
    if shape.sliced:
        return None
    values = tuple(kwargs.values())
    child = _filter_child(shape, tuple(kwargs), values)
    return None if child is None else _derive(queryset, child, values)


def filtered(queryset_class, model, using, kwargs: dict):
    """``queryset_class(model=model, using=using).filter(**kwargs)`` as a plan, or ``None``.

    For a stock QuerySet class (the caller checks): one object instead of a
    fresh QuerySet and its filtered copy.
    """
    if not kwargs:
        return None
    known = model._meta.__dict__  # _root(model), inlined
    root = known.get("_statement_shapes")
    if root is None or root.fields is not known.get("concrete_fields"):
        root = _root(model)
    # _filter_child's key, built straight from the items for the usual one or two
    # values (no intermediate tuples, no map()).
    count = len(kwargs)
    if count == 1:
        [(name, value)] = kwargs.items()
        key: tuple = (name, type(value))
        values: tuple = (value,)
    elif count == 2:
        (name, value), (other, second) = kwargs.items()
        key = (name, other, type(value), type(second))
        values = (value, second)
    else:
        values = tuple(kwargs.values())
        key = (*kwargs, *map(type, values))
    child = root.filters.get(key)
    if child is None:
        child = _remember(root.filters, key, _filter_step(root, key))
    if child is None or child is _INVALID:
        return None
    queryset = object.__new__(queryset_class)
    state = _PLAN_STATE.copy()  # a C copy and five stores: cheaper than a dict display
    state["model"] = model
    state["_db"] = using
    state["_hints"] = {}
    state["_plan"] = (child, values)
    state["_known_related_objects"] = {}
    queryset.__dict__ = state
    return queryset


def _ordering_step(shape: Shape, field_names: tuple):
    orderable = shape.root.orderable
    for name in field_names:
        if type(name) is not str or (name[1:] if name[:1] == "-" else name) not in orderable:
            return _INVALID
    return Shape((*shape.ops, ("order_by", field_names)), False, shape.root)


def add_ordering(queryset, field_names: tuple, temporary: bool = False):
    """``queryset.order_by(*field_names)`` as a plan step, or ``None``.

    ``temporary``: the caller found that nothing else refers to ``queryset``
    (see `TEMPORARY_REFCOUNT`), so the step is recorded on it, not on a copy.
    """
    shape = queryset._plan[0]  # the caller checked there is one; _plan_usable, inlined:
    if (
        queryset._deferred_filter is not None
        or queryset._defer_next_filter
        or queryset._sticky_filter
        or shape.sliced
    ):
        return None
    if shape is _EMPTY_SHAPE:
        shape = _root(queryset.model)
    try:
        child = shape.orderings.get(field_names)
    except TypeError:  # an unhashable argument: the ordinary path says what is wrong
        return None
    if child is None:
        child = _remember(shape.orderings, field_names, _ordering_step(shape, field_names))
        if child is None:
            return None
    elif child is _INVALID:
        return None
    if not temporary:
        return _derive(queryset, child)
    # What _derive would make, made of the QuerySet itself.
    queryset._plan = (child, queryset._plan[1])
    if queryset._result_cache is not None:
        queryset._result_cache = None
        queryset._prefetch_done = False
    return queryset


def add_slice(queryset, start, stop, temporary: bool = False):
    """``queryset[start:stop]`` as a plan step, or ``None`` (``temporary``: see `add_ordering`).

    A ``temporary`` caller also checked that ``queryset`` has no results yet.
    """
    shape = queryset._plan[0]  # the caller checked there is one; _plan_usable, inlined:
    if (
        start is not None and (type(start) is not int or start < 0)
        or stop is not None and (type(stop) is not int or stop < 0)
        or queryset._deferred_filter is not None
        or queryset._defer_next_filter
        or queryset._sticky_filter
        or shape.sliced
    ):
        return None
    if shape is _EMPTY_SHAPE:
        shape = _root(queryset.model)
    child = shape.slices.get((start, stop))
    if child is None:
        child = _remember(
            shape.slices, (start, stop),
            Shape((*shape.ops, ("slice", start, stop)), True, shape.root),
        )
    if not temporary:
        return _derive(queryset, child)
    queryset._plan = (child, queryset._plan[1])  # what _derive would make, made of it
    return queryset


def get_clone(queryset, args, kwargs):
    """The QuerySet ``get(**kwargs)`` evaluates, as a plan, or ``None``."""
    if args or not _plan_usable(queryset) or _shape(queryset).sliced:
        return None
    clone = add_filter(queryset, kwargs) if kwargs else queryset._chain()
    if clone is None or clone._plan is None:
        return None
    shape = _shape(clone)
    child = shape.slices.get("get")
    if child is None:
        child = _remember(shape.slices, "get", Shape((*shape.ops, ("get",)), True, shape.root))
    return _derive(clone, child)


def replay(queryset):
    """Build the ``Query`` of ``queryset``'s plan with the ordinary QuerySet methods."""
    from orm.query.query import Query

    shape, args = queryset._plan
    current = type(queryset)(
        model=queryset.model, query=Query(queryset.model), using=queryset._db,
        hints=queryset._hints,
    )
    position = 0
    for op in shape.ops:
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


def _prepare(queryset, connection, shape: Shape, key):
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
    order = parameter_order(args, params)
    if (
        order is False
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
        entry = (sql, order, attnames, converters, row_factory(query.model, attnames, converters))
    remember_statement(shape, key, entry)
    return entry


def parameter_order(args: tuple, params) -> tuple | None | bool:
    """Where each compiled parameter comes from among a plan's filter values ``args``.

    ``None`` when ``params`` are ``args`` in the same order (nothing to
    reorder per query), a tuple of indexes into ``args`` when each value is
    used once in another order, ``False`` when the parameters are not exactly
    the value objects (a field transformed one, the SQL added its own, or the
    same object was given twice so positions cannot be told apart).
    """
    if len({id(value) for value in args}) != len(args) or len(params) != len(args):
        return False
    positions: list[int] = []
    for param in params:
        for index, value in enumerate(args):
            if value is param:
                positions.append(index)
                break
        else:
            return False
    if sorted(positions) != list(range(len(args))):
        return False
    return None if positions == list(range(len(args))) else tuple(positions)


def remember_statement(shape: Shape, key, entry) -> None:
    """Keep a compiled statement (or ``_NOT_CACHEABLE``) with ``shape``, bounded in number."""
    statements = shape.statements
    if len(statements) >= _MAX_ENTRIES:
        statements.clear()
    statements[key] = entry


def usable_shape(queryset) -> Shape | None:
    """The shape of ``queryset``'s plan when its steps may be run from cache, else ``None``."""
    plan = queryset._plan
    # _plan_usable, inline: this runs for every cached aggregate(), update() and delete().
    if (
        plan is None
        or queryset._deferred_filter is not None
        or queryset._defer_next_filter
        or queryset._sticky_filter
    ):
        return None
    shape = plan[0]
    if shape is _EMPTY_SHAPE:
        return _root(queryset.model)
    root = shape.root
    if root.fields is not root.known.get("concrete_fields"):
        return None  # the model's fields changed since these steps were checked
    return shape


def fetch(queryset):
    """The instances of a plan QuerySet, or ``None`` when it must take the ordinary path."""
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._known_related_objects
        or queryset._deferred_filter is not None
        or queryset._defer_next_filter
        or queryset._sticky_filter
    ):
        return None
    model = queryset.model
    shape, args = queryset._plan  # the caller checked there is one
    if shape is _EMPTY_SHAPE:
        shape = _root(model)
    else:
        root = shape.root
        if root.fields is not root.known.get("concrete_fields"):
            return None  # the model's fields changed since these steps were checked
    db = queryset._db
    if db is None:
        # QuerySet.db's answer without routers and hints, without its two calls.
        db = DEFAULT_DB_ALIAS if router.default_only and not queryset._hints else queryset.db
    connection = connections[db]
    dialect = connection.dialect
    entry = shape.statements.get(type(dialect))
    if entry is None:
        entry = _prepare(queryset, connection, shape, type(dialect))
        if entry is None:
            return None
    if entry is _NOT_CACHEABLE:
        return None
    sql, order, attnames, converters, build = entry
    # Every parameter is a filter value compared with its column: the backend may
    # bind it server-side and prepare the statement.
    params = args if order is None else [args[index] for index in order]
    plain = not signals.post_init._receivers or not signals.post_init.has_listeners(model)
    if plain and not shape.sliced:
        # Maybe many rows: built a chunk at a time as they are read (Connection.fetch_all).
        with ChunkLoader(build, db) as load:
            return connection.fetch_all(sql, params, prepared=True, load=load)
    rows = connection.fetch_all(sql, params, prepared=True)
    if plain:
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
