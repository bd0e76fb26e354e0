"""On-delete actions and the ``Collector`` that finds, orders and deletes what a delete reaches.

``orm`` calls ``hooks.collector_class(using=alias, origin=...)`` for ``instance.delete()`` and
``queryset.delete()``. The collector works in batches (``IN`` lists, one query
per relation and level, never one per object), runs inside one transaction,
sends ``pre_delete``/``post_delete`` only to models that have receivers, and
falls back to a single ``DELETE`` when nothing else is reached.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from orm import signals
from orm.connections import connections
from orm.exceptions import ProtectedError, RestrictedError
from orm.query.deletion import fast_delete
from orm.transaction import atomic

__all__ = [
    "CASCADE",
    "PROTECT",
    "RESTRICT",
    "SET_NULL",
    "SET_DEFAULT",
    "SET",
    "DO_NOTHING",
    "Collector",
]


def _describe(objs, limit: int = 5) -> str:
    shown = ", ".join(repr(obj) for obj in list(objs)[:limit])
    more = len(objs) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def CASCADE(collector, field, sub_objs, using):  # noqa: N802 - Django's public name
    """Delete the rows that point at a deleted row."""
    collector.collect(
        sub_objs, source=field.remote_field.model, source_attr=field.name, nullable=field.null,
        fail_on_restricted=False,
    )


def PROTECT(collector, field, sub_objs, using):  # noqa: N802
    """Refuse the delete while rows point at it (``orm.ProtectedError``)."""
    target = field.remote_field.model._meta.object_name
    raise ProtectedError(
        f"Cannot delete some {target} objects because they are referenced through the protected "
        f"foreign key {field.model._meta.object_name}.{field.name}: {_describe(sub_objs)}; delete "
        "or re-point those first",
        list(sub_objs),
    )


def RESTRICT(collector, field, sub_objs, using):  # noqa: N802
    """Like ``PROTECT`` unless the pointing rows are deleted by another ``CASCADE`` in the same delete."""
    collector.add_restricted_objects(field, sub_objs)
    collector.add_dependency(field.remote_field.model, field.model)


def SET(value):  # noqa: N802
    """Set the foreign key to ``value`` (or ``value()`` when callable)."""
    if callable(value):

        def set_on_delete(collector, field, sub_objs, using):
            collector.add_field_update(field, value(), sub_objs)

    else:

        def set_on_delete(collector, field, sub_objs, using):
            collector.add_field_update(field, value, sub_objs)

    set_on_delete.deconstruct = lambda: ("orm.SET", (value,), {})  # type: ignore[attr-defined]
    set_on_delete.lazy_sub_objs = True  # type: ignore[attr-defined]
    return set_on_delete


def SET_NULL(collector, field, sub_objs, using):  # noqa: N802
    """Set the foreign key to NULL."""
    collector.add_field_update(field, None, sub_objs)


def SET_DEFAULT(collector, field, sub_objs, using):  # noqa: N802
    """Set the foreign key to its default."""
    collector.add_field_update(field, field.get_default(), sub_objs)


def DO_NOTHING(collector, field, sub_objs, using):  # noqa: N802
    """Leave the pointing rows alone (the database constraint decides)."""


for _action in (CASCADE, PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, DO_NOTHING):
    # Migration files name actions by their public path.
    _action.import_path = f"orm.{_action.__name__}"  # type: ignore[attr-defined]
    _action.deconstruct = (lambda name: lambda: (f"orm.{name}", (), {}))(_action.__name__)  # type: ignore[attr-defined]
SET.import_path = "orm.SET"  # type: ignore[attr-defined]


from orm.registry import registry  # noqa: E402


def relations_to_delete(opts) -> list:
    """Reverse foreign-key and one-to-one relations of ``opts`` (hidden junction keys included)."""
    return [
        rel for rel in opts.related_objects
        if (rel.one_to_many or rel.one_to_one) and getattr(rel.field, "concrete", True) and rel.field.column
        and registry.is_in_project(rel.field.model._meta.app_label)
    ]


def _has_delete_signals(model) -> bool:
    return bool(
        signals.pre_delete.has_listeners(model)
        or signals.post_delete.has_listeners(model)
    )


class Collector:
    """What deleting some objects reaches, and the statements that delete it."""

    def __init__(self, using: str = "default", origin: Any = None):
        self.using = using
        self.origin = origin
        self.data: dict[Any, dict[Any, Any]] = {}  # model -> {pk: instance}, in collection order
        self.batches: dict[Any, list[list]] = defaultdict(list)  # model -> batches, for ordering
        self.field_updates: dict[tuple, list] = defaultdict(list)  # (field, value) -> instances
        self.restricted_objects: dict[Any, dict[Any, set]] = defaultdict(lambda: defaultdict(set))
        self.fast_deletes: list = []
        self.dependencies: dict[Any, set] = defaultdict(set)  # model -> models deleted before it

    # -- collecting -------------------------------------------------------------------

    def add(self, objs, source=None, nullable: bool = False, reverse_dependency: bool = False) -> list:
        """Record ``objs`` for deletion; returns the ones not already recorded."""
        if not objs:
            return []
        model = type(objs[0])._meta.concrete_model
        seen = self.data.setdefault(model, {})
        new = []
        for obj in objs:
            if obj.pk not in seen:
                seen[obj.pk] = obj
                new.append(obj)
        if new:
            self.batches[model].append(new)
        if source is not None:
            self.add_dependency(source, model, reverse_dependency)
        return new

    def add_dependency(self, model, dependency, reverse_dependency: bool = False) -> None:
        """``dependency`` rows must go before ``model`` rows."""
        if reverse_dependency:
            model, dependency = dependency, model
        self.dependencies[model._meta.concrete_model].add(dependency._meta.concrete_model)
        self.data.setdefault(dependency._meta.concrete_model, {})

    def add_field_update(self, field, value, objs) -> None:
        """``objs.<field> = value`` with one UPDATE per (field, value), run before the deletes."""
        if not objs:
            return
        if hasattr(objs, "query"):
            objs = list(objs)
        self.field_updates[(field, _freeze(value))].extend(objs)

    def add_restricted_objects(self, field, objs) -> None:
        if objs:
            model = type(objs[0])._meta.concrete_model
            self.restricted_objects[model][field].update(objs)

    def can_fast_delete(self, objs, from_field=None) -> bool:
        """Whether ``objs`` (a QuerySet) can go with one ``DELETE`` and nothing else."""
        if from_field is not None and from_field.remote_field.on_delete is not CASCADE:
            return False
        opts = _deletable_unloaded(objs)
        if opts is None:
            return False
        return all(rel.field.remote_field.on_delete is DO_NOTHING for rel in relations_to_delete(opts))

    def collect(
        self,
        objs,
        source=None,
        nullable: bool = False,
        collect_related: bool = True,
        source_attr: str | None = None,
        reverse_dependency: bool = False,
        keep_parents: bool = False,
        fail_on_restricted: bool = True,
    ) -> None:
        """Add ``objs`` (instances or a QuerySet) and everything their deletion reaches."""
        unloaded = self.unloaded_deletes(objs)
        if unloaded is not None:
            self.fast_deletes.extend(unloaded)
            return
        new = self.add(list(objs), source, nullable, reverse_dependency)
        if not new:
            return
        model = type(new[0])._meta.concrete_model
        if collect_related:
            protected: list = []
            connection = connections[self.using]
            for rel in relations_to_delete(model._meta):
                field = rel.field
                on_delete = field.remote_field.on_delete
                if on_delete is DO_NOTHING:
                    continue
                batch_size = connection.dialect.bulk_batch_size(1, len(new))
                for start in range(0, len(new), batch_size):
                    batch = new[start : start + batch_size]
                    sub_objs = self.related_objects(rel.related_model, field, batch)
                    if self.can_fast_delete(sub_objs, from_field=field):
                        self.fast_deletes.append(sub_objs)
                        continue
                    sub_objs = list(sub_objs)
                    if not sub_objs:
                        continue
                    try:
                        on_delete(self, field, sub_objs, self.using)
                    except ProtectedError as error:
                        protected.extend(error.protected_objects)
                        first_error = error
            if protected:
                raise ProtectedError(str(first_error) if len(protected) == len(first_error.protected_objects) else (
                    f"Cannot delete some {model._meta.object_name} objects because protected foreign "
                    f"keys point at them: {_describe(protected)}"
                ), protected)
            # The class's own, as Django: a proxy's generic relations go with its instances only.
            for field in type(new[0])._meta.private_fields:
                bulk_related = getattr(field, "bulk_related_objects", None)
                if bulk_related is not None:
                    sub_objs = bulk_related(new, self.using)
                    self.collect(sub_objs, source=model, nullable=True, fail_on_restricted=False)
        if fail_on_restricted:
            self._raise_restricted()

    def unloaded_deletes(self, objs) -> list | None:
        """The QuerySets (children first) whose ``DELETE``s remove ``objs`` and all their
        deletion reaches without loading a row, or ``None`` when rows must be collected."""
        if self.can_fast_delete(objs):
            return [objs]
        return self._cascade_by_subquery(objs)

    @classmethod
    def unloaded_plan(cls, queryset, using: str):
        """``unloaded_deletes(queryset)`` and a function telling whether they still apply.

        For callers that keep the statements (``orm.query.plan_statements``):
        the function answers ``False`` once a delete, ``m2m_changed`` receiver
        listens to one of the models, their relations or fields change, or
        the installed apps do. ``None`` when rows must be collected.
        """
        deletes = cls(using=using).unloaded_deletes(queryset)
        if deletes is None:
            return None
        options = tuple({deleted.model._meta: None for deleted in deletes})
        known = tuple(
            (opts.model, opts.related_objects, opts.concrete_fields, len(opts.private_fields))
            for opts in options
        )
        apps = registry.app_configs
        apps_count = len(apps)
        receivers = (signals.pre_delete, signals.post_delete, signals.m2m_changed)

        def still_applies() -> bool:
            if registry.app_configs is not apps or len(apps) != apps_count:
                return False
            for model, related, fields, private_count in known:
                opts = model._meta
                if (
                    opts.related_objects is not related
                    or opts.__dict__.get("concrete_fields") is not fields
                    or len(opts.private_fields) != private_count
                ):
                    return False
                for signal in receivers:
                    if signal.has_listeners(model):
                        return False
            return True

        return deletes, still_applies

    def _cascade_by_subquery(self, objs):
        """A QuerySet whose relations only cascade to rows nothing else depends on (junction
        rows, typically) is deleted without loading it: one ``DELETE ... WHERE key IN
        (SELECT ...)`` per relation, then one ``DELETE`` for the QuerySet. Those QuerySets,
        children first, or ``None`` when objects must be collected one by one.
        """
        opts = _deletable_unloaded(objs)
        if opts is None:
            return None
        model = objs.model
        deletes = []
        for rel in relations_to_delete(opts):
            field = rel.field
            on_delete = field.remote_field.on_delete
            if on_delete is DO_NOTHING:
                continue
            if on_delete is not CASCADE or rel.related_model is model:
                return None
            keys = objs.values(field.target_field.name)
            children = rel.related_model._base_manager.using(self.using).filter(
                **{f"{field.attname}__in": keys}
            )
            if not self.can_fast_delete(children, from_field=field):
                return None
            deletes.append(children)
        if not deletes:
            return None
        return [*deletes, objs]

    def related_objects(self, related_model, field, objs):
        """The rows of ``related_model`` whose ``field`` points at ``objs`` (a QuerySet)."""
        values = [getattr(obj, field.target_field.attname) for obj in objs]
        return related_model._base_manager.using(self.using).filter(**{f"{field.attname}__in": values})

    def _raise_restricted(self) -> None:
        if not self.restricted_objects:
            return
        blocking = []
        fields = []
        for model, by_field in self.restricted_objects.items():
            deleted = self.data.get(model, {})
            fast_pks = set()
            for queryset in self.fast_deletes:
                if queryset.model._meta.concrete_model is model:
                    fast_pks.update(queryset.values_list("pk", flat=True))
            for field, objs in by_field.items():
                remaining = [obj for obj in objs if obj.pk not in deleted and obj.pk not in fast_pks]
                if remaining:
                    blocking.extend(remaining)
                    fields.append(f"{field.model._meta.object_name}.{field.name}")
        if blocking:
            raise RestrictedError(
                f"Cannot delete because restricted foreign keys ({', '.join(fields)}) point at the "
                f"objects from rows not deleted with them: {_describe(blocking)}; delete those first",
                blocking,
            )

    # -- deleting ---------------------------------------------------------------------

    def _sorted_models(self) -> tuple[list, set]:
        """Models in deletion order (dependents first), and the models left in a cycle."""
        models = [model for model in self.data]
        done: list = []
        pending = list(models)
        while pending:
            progress = False
            for model in list(pending):
                needed = self.dependencies.get(model, set()) - {model}
                if needed.issubset(done):
                    done.append(model)
                    pending.remove(model)
                    progress = True
            if not progress:
                break
        return done + pending, set(pending)

    def delete(self) -> tuple[int, dict[str, int]]:
        """Run the deletes (and updates); ``(total, {"app.Model": count})``."""
        connection = connections[self.using]
        counter: Counter = Counter()
        models, cyclic = self._sorted_models()
        deferrable = connection.dialect.supports_deferrable_constraints
        if len(self.fast_deletes) == 1 and not self.field_updates and not any(self.data.values()):
            # One statement is atomic by itself: no transaction round trips.
            queryset = self.fast_deletes[0]
            count = fast_delete(queryset, connection)
            return count, ({queryset.model._meta.label: count} if count else {})
        if not deferrable:
            self._break_cycles(cyclic)
        with atomic(using=self.using, savepoint=False):
            for model in models:
                if _has_delete_signals(model) and not model._meta.auto_created:
                    for obj in self.data[model].values():
                        signals.pre_delete.send(sender=type(obj), instance=obj, using=self.using, origin=self.origin)
            for queryset in self.fast_deletes:
                count = fast_delete(queryset, connection)
                if count:
                    counter[queryset.model._meta.label] += count
            for (field, frozen), objs in self.field_updates.items():
                value = _thaw(frozen)
                pks = list(dict.fromkeys(obj.pk for obj in objs))
                self._update(connection, field, value, pks)
            for model in models:
                batches = self.batches.get(model, [])
                if model in self.dependencies.get(model, set()) or self._self_referencing(model):
                    # Leaves first: a backend checking keys row by row sees no dangling child.
                    batches = list(reversed(batches))
                for batch in batches:
                    count = self._delete_batch(connection, model, [obj.pk for obj in batch])
                    if count:
                        counter[model._meta.label] += count
            for model in models:
                if _has_delete_signals(model) and not model._meta.auto_created:
                    for obj in self.data[model].values():
                        signals.post_delete.send(sender=type(obj), instance=obj, using=self.using, origin=self.origin)
        for (field, frozen), objs in self.field_updates.items():
            value = _thaw(frozen)
            for obj in objs:
                obj.__dict__[field.attname] = getattr(value, "pk", value)
        for instances in self.data.values():
            for obj in instances.values():
                obj.__dict__[obj._meta.pk.attname] = None
        total = sum(counter.values())
        return total, dict(counter)

    def _self_referencing(self, model) -> bool:
        return any(
            field.is_relation and field.related_model is not None
            and field.related_model._meta.concrete_model is model
            for field in model._meta.concrete_fields
        )

    def _break_cycles(self, cyclic: set) -> None:
        """Without deferrable constraints, NULL the nullable keys inside a cycle before deleting."""
        for model, instances in self.data.items():
            if not instances:
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if target is None or not field.null:
                    continue
                target = target._meta.concrete_model
                if target is model or (model in cyclic and target in cyclic):
                    self.field_updates[(field, _freeze(None))].extend(instances.values())

    def _update(self, connection, field, value, pks) -> None:
        model = field.model._meta.concrete_model
        batch = connection.dialect.bulk_batch_size(1, len(pks))
        for start in range(0, len(pks), batch):
            chunk = pks[start : start + batch]
            model._base_manager.using(self.using).filter(pk__in=chunk).update(**{field.attname: getattr(value, "pk", value)})

    def _delete_batch(self, connection, model, pks) -> int:
        opts = model._meta
        quote = connection.dialect.quote_name
        count = 0
        batch = connection.dialect.bulk_batch_size(1, len(pks))
        for start in range(0, len(pks), batch):
            chunk = pks[start : start + batch]
            placeholders = ", ".join(["%s"] * len(chunk))
            count += connection.execute_count(
                f"DELETE FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} IN ({placeholders})",
                [opts.pk.get_db_prep_value(pk, connection) for pk in chunk],
            )
        return count

    def instances_with_model(self):
        for model, instances in self.data.items():
            for obj in instances.values():
                yield model, obj


def _freeze(value):
    try:
        hash(value)
    except TypeError:
        return ("__unhashable__", id(value), value)
    return value


def _thaw(frozen):
    if isinstance(frozen, tuple) and len(frozen) == 3 and frozen[0] == "__unhashable__":
        return frozen[2]
    return frozen


def _deletable_unloaded(objs):
    """``objs``'s ``_meta`` when it is a QuerySet that may be deleted without loading its rows.

    None when it is not a QuerySet, when delete or m2m_changed receivers must see
    the objects, or when a generic relation has rows of its own to remove.
    """
    if not hasattr(objs, "query") or not hasattr(objs, "model"):
        return None
    model = objs.model
    if _has_delete_signals(model) or signals.m2m_changed.has_listeners(model):
        return None
    opts = model._meta
    if any(getattr(field, "bulk_related_objects", None) for field in opts.private_fields):
        return None
    return opts
