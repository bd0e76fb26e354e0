"""Diff two project states into operations: a pipeline of small detectors.

``detect_changes(from_state, to_state, questioner)`` first resolves renames
(confirmed ones become ``RenameModel``/``RenameField`` and are applied to a
copy of ``from_state``), then runs each detector of ``DETECTORS`` on the
renamed state and ``to_state``. Every detector returns ``Step``s: an
operation of one app plus the keys it needs (``("model", app, name)`` must
exist first, ...) and the keys it provides. ``arrangement.py`` orders the
steps and cuts them into numbered migrations per app.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Callable

from migrations_engine import operations as ops
from migrations_engine.questioner import NOT_PROVIDED, Questioner
from migrations_engine.state import ModelState, ProjectState, comparable, resolve_relation

__all__ = ["Step", "detect_changes", "field_signature", "DETECTORS", "order_steps"]

Key = tuple


@dataclass
class Step:
    """One operation of ``app_label`` with what it needs and what it makes true."""

    app_label: str
    operation: Any
    requires: frozenset = frozenset()
    provides: frozenset = frozenset()


# -- comparing definitions --------------------------------------------------------------


def field_signature(field: Any, app_label: str, model_name: str, *, self_marker: bool = False):
    """A comparable form of ``field.deconstruct()`` without the name, relations resolved."""
    _name, path, args, kwargs = field.deconstruct()
    kwargs = dict(kwargs)
    for key in ("to", "through"):
        if kwargs.get(key) is not None:
            target = resolve_relation(app_label, model_name, kwargs[key])
            is_self = self_marker and target == (app_label, model_name.lower())
            kwargs[key] = "<self>" if is_self else target
    return comparable([path, list(args), kwargs])


def _same_definition(old_field: Any, new_field: Any, key: tuple[str, str]) -> bool:
    """Whether two fields are defined alike (plain equality first: it is the common case)."""
    try:
        if old_field.deconstruct()[1:] == new_field.deconstruct()[1:]:
            return True
    except Exception:  # noqa: BLE001 - a value without a usable __eq__: compare signatures
        pass
    return field_signature(old_field, *key) == field_signature(new_field, *key)


def _model_signature(model_state: ModelState):
    return (
        bool(model_state.options.get("proxy")),
        sorted(
            (name, repr(field_signature(field, model_state.app_label, model_state.name,
                                        self_marker=True)))
            for name, field in model_state.fields.items()
        ),
    )


def _targets(field: Any, app_label: str, model_name: str) -> list[tuple[str, str]]:
    """``(app, name_lower)`` of the models a relation field needs (its target and through)."""
    kwargs = field.deconstruct()[3]
    keys = []
    for key in ("to", "through"):
        if kwargs.get(key) is not None:
            keys.append(resolve_relation(app_label, model_name, kwargs[key]))
    return keys


def _model_keys(targets) -> frozenset:
    return frozenset(("model", app, name) for app, name in targets)


def _field_type(field: Any) -> str:
    return type(field).__name__


# -- renames ----------------------------------------------------------------------------


def resolve_renames(
    from_state: ProjectState, to_state: ProjectState, questioner: Questioner
) -> tuple[ProjectState, list[Step]]:
    """Confirmed renames as steps, and ``from_state`` with them applied."""
    state = from_state.clone()
    steps: list[Step] = []
    steps += _rename_models(state, to_state, questioner)
    steps += _rename_fields(state, to_state, questioner)
    unused = [request.text for request in questioner.requests
              if request not in questioner.used_requests]
    if unused:
        from migrations_engine.errors import CommandError

        raise CommandError(
            f"--rename {', '.join(unused)}: no such removed-and-added model or field in the "
            "changes; check the spelling (app.Model.old=new, app.Old=New) against models.py"
        )
    questioner.check_unconfirmed()
    return state, steps


def _apply(step: Step, state: ProjectState) -> Step:
    step.operation.state_forwards(step.app_label, state)
    return step


def _rename_models(state: ProjectState, to_state: ProjectState, questioner: Questioner):
    steps = []
    for request in questioner.model_rename_requests():
        old_key = (request.app_label, request.old.lower())
        new_key = (request.app_label, request.new.lower())
        if old_key in state.models and old_key not in to_state.models and (
            new_key in to_state.models and new_key not in state.models
        ):
            questioner.used_requests.add(request)
            old_name = state.models[old_key].name
            steps.append(_apply(_rename_model_step(state, request.app_label, old_name,
                                                   to_state.models[new_key].name), state))
    added = sorted(key for key in to_state.models if key not in state.models)
    removed_by_app: dict[str, list] = {}
    for key in sorted(key for key in state.models if key not in to_state.models):
        removed_by_app.setdefault(key[0], []).append(key)
    for new_key in added:
        removed = [key for key in removed_by_app.get(new_key[0], []) if key in state.models]
        if not removed:
            continue
        new_model = to_state.models[new_key]
        signature = _model_signature(new_model)
        for old_key in removed:
            old_model = state.models[old_key]
            if _model_signature(old_model) != signature:
                continue
            if questioner.ask_rename_model(new_key[0], old_model.name, new_model.name):
                steps.append(_apply(_rename_model_step(state, new_key[0], old_model.name,
                                                       new_model.name), state))
                break
    return steps


def _rename_model_step(state: ProjectState, app_label: str, old_name: str, new_name: str) -> Step:
    """RenameModel, after the models of other apps that point at the old name exist.

    Replaying the history must create those relation fields before the rename
    repoints them; otherwise they would still name the old model afterwards.
    """
    old_key = (app_label, old_name.lower())
    pointing = {
        ("model", *key)
        for key, model_state in state.models.items()
        if key[0] != app_label and any(
            getattr(field, "is_relation", False) and old_key in _targets(field, *key)
            for field in model_state.fields.values()
        )
    }
    return Step(
        app_label,
        ops.RenameModel(old_name=old_name, new_name=new_name),
        requires=frozenset(pointing),
        provides=frozenset({("model", app_label, new_name.lower())}),
    )


def _rename_fields(state: ProjectState, to_state: ProjectState, questioner: Questioner):
    steps = []
    for request in questioner.field_rename_requests():
        key = (request.app_label, request.model.lower())
        if key not in state.models or key not in to_state.models:
            continue
        old_fields, new_fields = state.models[key].fields, to_state.models[key].fields
        if request.old in old_fields and request.old not in new_fields and (
            request.new in new_fields and request.new not in old_fields
        ):
            questioner.used_requests.add(request)
            steps.append(_apply(_rename_field_step(key, request.old, request.new), state))
    for key in sorted(key for key in to_state.models if key in state.models):
        old_model, new_model = state.models[key], to_state.models[key]
        removed = [name for name in old_model.fields if name not in new_model.fields]
        for new_name, new_field in new_model.fields.items():
            if new_name in old_model.fields or not removed:
                continue
            signature = field_signature(new_field, *key)
            for old_name in removed:
                old_field = old_model.fields[old_name]
                if not _same_apart_from_name(old_field, old_name, new_field, signature, key):
                    continue
                if questioner.ask_rename_field(key[0], new_model.name, old_name, new_name,
                                               _field_type(new_field)):
                    steps.append(_apply(_rename_field_step(key, old_name, new_name), state))
                    removed.remove(old_name)
                    old_model = state.models[key]
                    break
    return steps


def _same_apart_from_name(old_field, old_name, new_field, signature, key) -> bool:
    old_signature = field_signature(old_field, *key)
    if old_signature == signature:
        return True
    # Renamed in Python only: the new field keeps the old column with db_column.
    old_column = old_field.db_column or old_name
    if new_field.db_column == old_column:
        _n, path, args, kwargs = old_field.deconstruct()
        kwargs = {**kwargs, "db_column": old_column}
        return comparable([path, list(args), kwargs]) == comparable(
            list(new_field.deconstruct()[1:])
        )
    return False


def _rename_field_step(key, old_name: str, new_name: str) -> Step:
    app_label, model_lower = key
    return Step(
        app_label,
        ops.RenameField(model_name=model_lower, old_name=old_name, new_name=new_name),
        provides=frozenset({("field", app_label, model_lower, new_name)}),
    )


# -- models -----------------------------------------------------------------------------


def detect_created_models(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """CreateModel for new models in dependency order; fields closing a cycle come later."""
    created = sorted(key for key in new.models if key not in old.models)
    created_set = set(created)
    needs: dict[tuple, dict[str, set]] = {}
    for key in created:
        model_state = new.models[key]
        per_field = {}
        for name, field in model_state.fields.items():
            if getattr(field, "is_relation", False):
                per_field[name] = {target for target in _targets(field, *key)
                                   if target in created_set and target != key}
        base = _proxy_base(model_state)
        if base is not None and base in created_set:
            per_field["<base>"] = {base}
        needs[key] = per_field
    order, deferred = _creation_order(created, needs)
    freed_tables = _tables_of_deleted_models(old, new)
    steps, late = [], []
    for key in order:
        model_state = new.models[key]
        late_fields = deferred.get(key, set())
        fields = [(name, field) for name, field in model_state.fields.items()
                  if name not in late_fields]
        options, late_options = _split_options(model_state.options, late_fields)
        requires: set[Key] = set()
        freed = freed_tables.get(model_state.db_table.lower()) if model_state.has_table else None
        if freed is not None:
            requires.add(("removed_model", *freed))
        for _field_name, field in fields:
            if getattr(field, "is_relation", False):
                requires |= _model_keys(t for t in _targets(field, *key) if t != key)
        base = _proxy_base(model_state)
        if base is not None:
            requires.add(("model", *base))
        operation = ops.CreateModel(
            name=model_state.name,
            fields=fields,
            options=options,
            bases=model_state.bases,
            managers=model_state.managers,
        )
        steps.append(Step(key[0], operation, frozenset(requires),
                          frozenset({("model", *key)} | {("field", *key, n) for n, _ in fields})))
        for name in model_state.fields:
            if name in late_fields:
                field = model_state.fields[name]
                late.append(Step(
                    key[0],
                    ops.AddField(model_name=key[1], name=name, field=field),
                    frozenset({("model", *key)} | _model_keys(_targets(field, *key))),
                    frozenset({("field", *key, name)}),
                ))
        late.extend(_late_option_steps(key, model_state, late_options))
    return steps + late


def _tables_of_deleted_models(old: ProjectState, new: ProjectState) -> dict[str, tuple]:
    """``{table: model key}`` of deleted models whose table a new model may take over.

    A new model with the table of a deleted one is created after the delete. A
    deleted model that a surviving relation field is repointed from is left out:
    that field must move to the new model before the old one can go, which makes
    a cycle (a rename in disguise: confirm it with ``--rename``).
    """
    deleted = {key: model_state for key, model_state in old.models.items()
               if key not in new.models and model_state.has_table}
    if not deleted:
        return {}
    repointed = set()
    for other_key, other in old.models.items():
        if other_key in deleted or other_key not in new.models:
            continue
        for name, field in other.fields.items():
            if getattr(field, "is_relation", False) and name in new.models[other_key].fields:
                repointed.update(set(_targets(field, *other_key)) & set(deleted))
    return {model_state.db_table.lower(): key for key, model_state in deleted.items()
            if key not in repointed}


def _proxy_base(model_state: ModelState) -> tuple[str, str] | None:
    if not model_state.options.get("proxy"):
        return None
    for base in model_state.bases:
        if isinstance(base, str) and base != "orm.Model" and "." in base:
            return resolve_relation(model_state.app_label, model_state.name, base)
    return None


def _creation_order(created: list, needs: dict) -> tuple[list, dict[tuple, set[str]]]:
    """Models in an order where each comes after what it points to; cycles broken by fields."""
    waiting_on = {key: set().union(*needs[key].values()) if needs[key] else set()
                  for key in created}
    dependants: dict[tuple, set] = {key: set() for key in created}
    for key, targets in waiting_on.items():
        for target in targets:
            dependants[target].add(key)
    heap = [key for key in created if not waiting_on[key]]
    heapq.heapify(heap)
    placed: set = set()
    order, deferred = [], {}
    remaining = set(created)
    while remaining:
        if not heap:
            # A cycle: place the first remaining model; its unmet relation fields come later.
            key = min(remaining)
            late = {name for name, targets in needs[key].items()
                    if name != "<base>" and targets - placed - {key}}
            deferred[key] = late
            waiting_on[key] = set()
            heapq.heappush(heap, key)
        key = heapq.heappop(heap)
        if key in placed:
            continue
        placed.add(key)
        remaining.discard(key)
        order.append(key)
        for dependant in dependants[key]:
            waiting_on[dependant].discard(key)
            if not waiting_on[dependant] and dependant in remaining:
                heapq.heappush(heap, dependant)
    return order, deferred


def _mentioned_fields(item: Any) -> set[str]:
    if isinstance(item, (list, tuple)):
        return {str(name) for name in item}
    names = getattr(item, "field_names", None) or getattr(item, "fields", None) or ()
    return {str(name).lstrip("-") for name in names}


def _split_options(options: dict, late_fields: set[str]) -> tuple[dict, dict]:
    """Options for CreateModel, and the indexes/constraints that need a deferred field."""
    if not late_fields:
        return dict(options), {}
    kept, late = dict(options), {}
    for key in ("indexes", "constraints", "unique_together"):
        items = options.get(key) or []
        now = [item for item in items if not _mentioned_fields(item) & late_fields]
        later = [item for item in items if _mentioned_fields(item) & late_fields]
        if later:
            late[key] = later if key != "unique_together" else items
            if key == "unique_together":
                now = []
            if now:
                kept[key] = now
            else:
                kept.pop(key, None)
    return kept, late


def _late_option_steps(key, model_state: ModelState, late: dict) -> list[Step]:
    needs = frozenset({("field", *key, name) for name in model_state.fields})
    steps = []
    for index in late.get("indexes", []):
        steps.append(Step(key[0], ops.AddIndex(model_name=key[1], index=index), needs))
    for constraint in late.get("constraints", []):
        steps.append(Step(key[0], ops.AddConstraint(model_name=key[1], constraint=constraint),
                          needs))
    if late.get("unique_together"):
        steps.append(Step(key[0], ops.AlterUniqueTogether(
            name=model_state.name_lower, unique_together=late["unique_together"]), needs))
    return steps


def detect_deleted_models(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """DeleteModel for removed models, after fields pointing at them are gone."""
    deleted = sorted(key for key in old.models if key not in new.models)
    deleted_set = set(deleted)
    steps, deletes = [], []
    for key in deleted:
        model_state = old.models[key]
        for name, field in model_state.fields.items():
            if not getattr(field, "is_relation", False):
                continue
            targets = set(_targets(field, *key)) - {key}
            if targets & deleted_set:
                steps.append(Step(key[0], ops.RemoveField(model_name=key[1], name=name),
                                  provides=frozenset({("removed_field", *key, name)})))
        requires: set[Key] = set()
        for other_key, other in old.models.items():
            if other_key == key:
                continue
            if _proxy_base(other) == key:
                requires.add(("removed_model", *other_key))
            for name, field in other.fields.items():
                if getattr(field, "is_relation", False) and key in _targets(field, *other_key):
                    if other_key in deleted_set:
                        requires.add(("removed_field", *other_key, name))
                    elif name not in new.models[other_key].fields:
                        requires.add(("removed_field", *other_key, name))
                    else:
                        requires.add(("altered_field", *other_key, name))
        deletes.append(Step(key[0], ops.DeleteModel(name=model_state.name), frozenset(requires),
                            frozenset({("removed_model", *key)})))
    return steps + deletes


# -- fields -----------------------------------------------------------------------------


def _common_models(old: ProjectState, new: ProjectState, *, unmanaged: bool = False):
    """Models in both states; unmanaged ones only when ``unmanaged`` (their tables are not ours)."""
    for key in sorted(key for key in new.models if key in old.models):
        old_model, new_model = old.models[key], new.models[key]
        if not unmanaged and not (old_model.has_table or new_model.has_table):
            continue
        yield key, old_model, new_model


def _kind_changed(old_field, new_field) -> bool:
    return bool(getattr(old_field, "many_to_many", False)) != bool(
        getattr(new_field, "many_to_many", False)
    )


def detect_removed_fields(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """RemoveField for fields gone from a model (and fields changing to/from many-to-many)."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        for name, old_field in old_model.fields.items():
            new_field = new_model.fields.get(name)
            if new_field is None or _kind_changed(old_field, new_field):
                steps.append(Step(key[0], ops.RemoveField(model_name=key[1], name=name),
                                  provides=frozenset({("removed_field", *key, name)})))
    return steps


def detect_added_fields(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AddField for new fields; a NOT NULL one without a default asks for a one-off default."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        for name, new_field in new_model.fields.items():
            old_field = old_model.fields.get(name)
            if old_field is not None and not _kind_changed(old_field, new_field):
                continue
            field, preserve_default = new_field, True
            if _needs_one_off_default(new_field):
                questioner = questioner or Questioner(interactive=False)
                value = questioner.ask_not_null_addition(key[0], new_model.name, name)
                field = _with_default(new_field, value)
                preserve_default = False
            operation = (ops.AddField(model_name=key[1], name=name, field=field)
                         if preserve_default else
                         ops.AddField(model_name=key[1], name=name, field=field,
                                      preserve_default=False))
            requires = frozenset({("removed_field", *key, name)} if old_field is not None else set())
            steps.append(Step(key[0], operation,
                              requires | _model_keys(t for t in _relation_targets(new_field, key)),
                              frozenset({("field", *key, name)})))
    return steps


def _relation_targets(field, key) -> list:
    if not getattr(field, "is_relation", False):
        return []
    return [target for target in _targets(field, *key) if target != key]


def _is_generated(field) -> bool:
    return bool(getattr(field, "generated", False))


def _needs_one_off_default(field) -> bool:
    if _is_generated(field):
        return False  # the database computes the value of every row
    if field.null or getattr(field, "many_to_many", False) or field.primary_key:
        return False
    if field.has_default() or field.has_db_default():
        return False
    # auto_now / auto_now_add fill rows saved later, not the rows already there (as Django).
    return not (field.blank and field.empty_strings_allowed)


def _with_default(field, value):
    _name, _path, args, kwargs = field.deconstruct()
    return type(field)(*args, **{**kwargs, "default": value})


def detect_altered_fields(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AlterField when a field's definition changed (type, null, default, target, ...)."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        for name, new_field in new_model.fields.items():
            old_field = old_model.fields.get(name)
            if old_field is None or _kind_changed(old_field, new_field):
                continue
            if _same_definition(old_field, new_field, key):
                continue
            if _is_generated(old_field) or _is_generated(new_field) or (
                getattr(new_field, "many_to_many", False)
                and _targets(old_field, *key) != _targets(new_field, *key)
            ):
                # A new target or through table is a different junction table; a generated
                # column cannot be altered: it is dropped and added again (as Django).
                steps.append(Step(key[0], ops.RemoveField(model_name=key[1], name=name),
                                  provides=frozenset({("removed_field", *key, name)})))
                steps.append(Step(key[0], ops.AddField(model_name=key[1], name=name,
                                                       field=new_field),
                                  frozenset({("removed_field", *key, name)})
                                  | _model_keys(_relation_targets(new_field, key)),
                                  frozenset({("field", *key, name)})))
                continue
            field, preserve_default = new_field, True
            if old_field.null and not new_field.null and _needs_one_off_default(new_field):
                value = (questioner or Questioner(interactive=False)).ask_not_null_alteration(
                    key[0], new_model.name, name)
                if value is not NOT_PROVIDED:
                    field, preserve_default = _with_default(new_field, value), False
            operation = (ops.AlterField(model_name=key[1], name=name, field=field)
                         if preserve_default else
                         ops.AlterField(model_name=key[1], name=name, field=field,
                                        preserve_default=False))
            steps.append(Step(key[0], operation, _model_keys(_relation_targets(new_field, key)),
                              frozenset({("altered_field", *key, name)})))
    return steps


# -- options ----------------------------------------------------------------------------


def detect_altered_tables(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AlterModelTable when ``db_table`` changed."""
    steps = []
    for key, old_model, new_model in _common_models(old, new, unmanaged=True):
        if old_model.options.get("db_table") != new_model.options.get("db_table"):
            steps.append(Step(key[0], ops.AlterModelTable(
                name=new_model.name_lower, table=new_model.options.get("db_table"))))
    return steps


def detect_altered_table_comments(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AlterModelTableComment when ``db_table_comment`` changed."""
    steps = []
    for key, old_model, new_model in _common_models(old, new, unmanaged=True):
        old_comment = old_model.options.get("db_table_comment") or ""
        new_comment = new_model.options.get("db_table_comment") or ""
        if old_comment != new_comment:
            steps.append(Step(key[0], ops.AlterModelTableComment(
                name=new_model.name_lower, table_comment=new_comment or None)))
    return steps


def detect_altered_options(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AlterModelOptions when an option without SQL (ordering, verbose_name, ...) changed."""
    keys = ops.AlterModelOptions.ALTER_OPTION_KEYS
    steps = []
    for key, old_model, new_model in _common_models(old, new, unmanaged=True):
        old_options = {k: v for k, v in old_model.options.items() if k in keys}
        new_options = {k: v for k, v in new_model.options.items() if k in keys}
        if comparable(old_options) != comparable(new_options):
            steps.append(Step(key[0], ops.AlterModelOptions(name=new_model.name_lower,
                                                            options=new_options)))
    return steps


def detect_altered_managers(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AlterModelManagers when the managers kept in migrations changed."""
    steps = []
    for key, old_model, new_model in _common_models(old, new, unmanaged=True):
        if comparable(list(old_model.managers)) != comparable(list(new_model.managers)):
            steps.append(Step(key[0], ops.AlterModelManagers(name=new_model.name_lower,
                                                             managers=new_model.managers)))
    return steps


def _together(model_state: ModelState) -> set[tuple[str, ...]]:
    return {tuple(item) for item in model_state.options.get("unique_together") or []}


def detect_removed_unique_together(old: ProjectState, new: ProjectState, questioner=None):
    """AlterUniqueTogether dropping entries that go away, before their fields are removed."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        old_set, new_set = _together(old_model), _together(new_model)
        if old_set - new_set:
            steps.append(Step(key[0], ops.AlterUniqueTogether(
                name=new_model.name_lower, unique_together=sorted(old_set & new_set))))
    return steps


def detect_added_unique_together(old: ProjectState, new: ProjectState, questioner=None):
    """AlterUniqueTogether adding new entries, after their fields exist."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        old_set, new_set = _together(old_model), _together(new_model)
        if new_set - old_set:
            needs = frozenset(("field", *key, name) for entry in new_set for name in entry)
            steps.append(Step(key[0], ops.AlterUniqueTogether(
                name=new_model.name_lower, unique_together=sorted(new_set)), needs))
    return steps


def _named(model_state: ModelState, option: str) -> dict[str, Any]:
    return {item.name: item for item in model_state.options.get(option) or []}


def _definition(item) -> Any:
    path, args, kwargs = item.deconstruct()
    return comparable([path, list(args), {k: v for k, v in kwargs.items() if k != "name"}])


def detect_removed_indexes(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """RemoveIndex for indexes gone or changed (RenameIndex when only the name changed)."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        old_indexes, new_indexes = _named(old_model, "indexes"), _named(new_model, "indexes")
        renamed = _index_renames(old_indexes, new_indexes)
        for name, index in old_indexes.items():
            if name in renamed:
                continue
            if name not in new_indexes or _definition(new_indexes[name]) != _definition(index):
                steps.append(Step(key[0], ops.RemoveIndex(model_name=key[1], name=name)))
        for old_name, new_name in renamed.items():
            steps.append(Step(key[0], ops.RenameIndex(model_name=key[1], new_name=new_name,
                                                      old_name=old_name)))
    return steps


def _index_renames(old_indexes: dict, new_indexes: dict) -> dict[str, str]:
    removed = {name: _definition(index) for name, index in old_indexes.items()
               if name not in new_indexes}
    renames = {}
    for name, index in new_indexes.items():
        if name in old_indexes:
            continue
        definition = _definition(index)
        for old_name, old_definition in removed.items():
            if old_name not in renames and old_definition == definition:
                renames[old_name] = name
                break
    return renames


def detect_added_indexes(old: ProjectState, new: ProjectState, questioner=None) -> list[Step]:
    """AddIndex for new or changed indexes, after the fields they cover exist."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        old_indexes, new_indexes = _named(old_model, "indexes"), _named(new_model, "indexes")
        renamed = set(_index_renames(old_indexes, new_indexes).values())
        for name, index in new_indexes.items():
            if name in renamed:
                continue
            if name not in old_indexes or _definition(old_indexes[name]) != _definition(index):
                needs = frozenset(("field", *key, field) for field in _mentioned_fields(index))
                steps.append(Step(key[0], ops.AddIndex(model_name=key[1], index=index), needs))
    return steps


def detect_removed_constraints(old: ProjectState, new: ProjectState, questioner=None):
    """RemoveConstraint for constraints gone or changed."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        old_items, new_items = _named(old_model, "constraints"), _named(new_model, "constraints")
        for name, constraint in old_items.items():
            if name not in new_items or _definition(new_items[name]) != _definition(constraint):
                steps.append(Step(key[0], ops.RemoveConstraint(model_name=key[1], name=name)))
    return steps


def detect_added_constraints(old: ProjectState, new: ProjectState, questioner=None):
    """AddConstraint for new or changed constraints."""
    steps = []
    for key, old_model, new_model in _common_models(old, new):
        old_items, new_items = _named(old_model, "constraints"), _named(new_model, "constraints")
        for name, constraint in new_items.items():
            if name not in old_items or _definition(old_items[name]) != _definition(constraint):
                needs = frozenset(("field", *key, field)
                                  for field in _mentioned_fields(constraint))
                steps.append(Step(key[0], ops.AddConstraint(model_name=key[1],
                                                            constraint=constraint), needs))
    return steps


#: The pipeline, in the order operations should appear when nothing forces another.
DETECTORS: list[Callable[..., list[Step]]] = [
    detect_removed_unique_together,
    detect_removed_indexes,
    detect_removed_constraints,
    detect_created_models,
    detect_altered_tables,
    detect_altered_table_comments,
    detect_altered_options,
    detect_altered_managers,
    detect_removed_fields,
    detect_added_fields,
    detect_altered_fields,
    detect_deleted_models,
    detect_added_unique_together,
    detect_added_indexes,
    detect_added_constraints,
]


def detect_changes(
    from_state: ProjectState, to_state: ProjectState, questioner: Questioner | None = None
) -> list[Step]:
    """Every change from ``from_state`` to ``to_state`` as ordered steps (renames first)."""
    questioner = questioner or Questioner(interactive=False)
    renamed, steps = resolve_renames(from_state, to_state, questioner)
    for detector in DETECTORS:
        steps.extend(detector(renamed, to_state, questioner))
    return order_steps(steps)


def order_steps(steps: list[Step]) -> list[Step]:
    """A stable topological order: each step after the steps providing what it requires."""
    providers: dict[Key, int] = {}
    for index, step in enumerate(steps):
        for key in step.provides:
            providers.setdefault(key, index)
    after: dict[int, set[int]] = {index: set() for index in range(len(steps))}
    waiting = [0] * len(steps)
    for index, step in enumerate(steps):
        # One count per providing step, however many of the keys it provides.
        for provider in {providers.get(key) for key in step.requires} - {None, index}:
            after[provider].add(index)  # type: ignore[index]
            waiting[index] += 1
    heap = [index for index in range(len(steps)) if waiting[index] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        index = heapq.heappop(heap)
        order.append(steps[index])
        for follower in after[index]:
            waiting[follower] -= 1
            if waiting[follower] == 0:
                heapq.heappush(heap, follower)
    if len(order) != len(steps):
        stuck = [steps[i].operation.describe() for i in range(len(steps)) if waiting[i] > 0]
        raise RuntimeError(f"autodetector: operations depend on each other in a cycle: {stuck}")
    return order
