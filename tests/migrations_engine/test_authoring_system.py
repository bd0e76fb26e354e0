"""The whole system as a property: random model edits -> makemigrations -> migrate -> schema.

Each example edits the models.py of two apps (``pa`` and ``pb``, with foreign keys
across them) step by step. After every step ``makemigrations --noinput`` (with
``--rename`` for the renames it made) and ``migrate`` must leave a schema that
introspects as the models describe, keep the rows inserted before the step (and
their values, for columns the step did not touch), and leave ``makemigrations
--check`` clean. At the end ``migrate <app> zero`` leaves no table of the apps.

``MANOUCHE_HYPOTHESIS_EXAMPLES`` raises the number of examples (8 per backend by
default, to keep the suite fast).
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import os
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from migrations_engine.checkdb import compare_schema
from migrations_engine.state import ProjectState
from orm.registry import registry

from .authoring_project import AuthoringProject

APPS = ("pa", "pb")
KINDS = ("char", "text", "int", "bigint", "bool", "date", "decimal", "fk")
#: Type changes that keep every value the test stores.
TYPE_CHANGES = {"char": "text", "text": "char", "int": "bigint", "bigint": "int"}
FIELD_CLASS = {
    "char": "CharField", "text": "TextField", "int": "IntegerField",
    "bigint": "BigIntegerField", "bool": "BooleanField", "date": "DateField",
    "decimal": "DecimalField", "fk": "ForeignKey",
}
DEFAULTS = {
    "char": "'d'", "text": "''", "int": "0", "bigint": "0", "bool": "False",
    "date": "datetime.date(2000, 1, 1)", "decimal": "decimal.Decimal('0.00')",
}
#: Kinds that may be unique or indexed (MySQL cannot index TEXT without a prefix length).
INDEXABLE = ("char", "int", "bigint", "date", "decimal")


@dataclass
class FieldSpec:
    kind: str
    null: bool = False
    default: str | None = None
    max_length: int = 20
    unique: bool = False
    db_index: bool = False
    db_column: str | None = None
    target: str | None = None

    def source(self) -> str:
        arguments: list[str] = []
        if self.kind == "fk":
            arguments += [repr(self.target), "on_delete=orm.SET_NULL", "related_name='+'"]
        if self.kind == "char":
            arguments.append(f"max_length={self.max_length}")
        if self.kind == "decimal":
            arguments += ["max_digits=8", "decimal_places=2"]
        for option in ("null", "unique", "db_index"):
            if getattr(self, option):
                arguments.append(f"{option}=True")
        if self.kind == "fk" and not self.db_index:
            arguments.append("db_index=False")  # a foreign key is indexed by default
        if self.default is not None:
            arguments.append(f"default={self.default}")
        if self.db_column:
            arguments.append(f"db_column={self.db_column!r}")
        return f"orm.{FIELD_CLASS[self.kind]}({', '.join(arguments)})"


@dataclass
class ModelSpec:
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # index name -> field
    checks: dict[str, str] = field(default_factory=dict)  # constraint name -> int field
    uniques: dict[str, str] = field(default_factory=dict)  # constraint name -> field
    db_table: str | None = None

    def uses(self, field_name: str) -> bool:
        return field_name in {*self.indexes.values(), *self.checks.values(),
                              *self.uniques.values()}

    def source(self, name: str) -> str:
        lines = [f"class {name}(orm.Model):"]
        lines += [f"    {fname} = {spec.source()}" for fname, spec in self.fields.items()]
        meta = []
        if self.db_table:
            meta.append(f"        db_table = {self.db_table!r}")
        if self.indexes:
            items = ", ".join(f"orm.Index(fields=[{f!r}], name={n!r})"
                              for n, f in self.indexes.items())
            meta.append(f"        indexes = [{items}]")
        constraints = [f"orm.CheckConstraint(condition=orm.Q({f}__gte=0), name={n!r})"
                       for n, f in self.checks.items()]
        constraints += [f"orm.UniqueConstraint(fields=[{f!r}], name={n!r})"
                        for n, f in self.uniques.items()]
        if constraints:
            meta.append(f"        constraints = [{', '.join(constraints)}]")
        if meta:
            lines += ["", "    class Meta:", *meta]
        if len(lines) == 1:
            lines.append("    pass")
        return "\n".join(lines) + "\n"


World = dict  # (app, model name) -> ModelSpec, in creation order


def render(world: World, app: str) -> str:
    parts = ["import datetime\nimport decimal\n"]
    parts += [spec.source(name) for (model_app, name), spec in world.items() if model_app == app]
    return "\n\n".join(parts)


@dataclass
class Step:
    """One edit: what it did, for the makemigrations options and the data checks."""

    description: str
    renames: list[str] = field(default_factory=list)
    removed_models: set = field(default_factory=set)
    renamed_models: dict = field(default_factory=dict)  # old key -> new key
    renamed_fields: dict = field(default_factory=dict)  # (key, old) -> new
    changed_fields: set = field(default_factory=set)  # (key, field) whose values may change


class Editor:
    """Draws random edits of a world (fresh names from counters, so none ever clash)."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.counter = itertools.count(1)

    def draw(self, strategy: Any) -> Any:
        return self.data.draw(strategy)

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def new_field(self, world: World, adding: bool) -> FieldSpec:
        kinds = list(KINDS) if world else [k for k in KINDS if k != "fk"]
        spec = FieldSpec(kind=self.draw(st.sampled_from(kinds)))
        if spec.kind == "fk":
            spec.target = ".".join(self.draw(st.sampled_from(list(world))))
            spec.null = True
        else:
            spec.null = self.draw(st.booleans())
            if self.draw(st.booleans()) or (adding and not spec.null):
                spec.default = DEFAULTS[spec.kind]
            if spec.kind == "char":
                spec.max_length = self.draw(st.sampled_from([20, 40, 80]))
            if spec.kind in INDEXABLE and not adding:
                spec.unique = self.draw(st.booleans())
        if spec.kind in INDEXABLE or spec.kind == "fk":
            spec.db_index = self.draw(st.booleans()) and not spec.unique
        if self.draw(st.booleans()):
            spec.db_column = self.fresh("col")
        return spec

    def new_model(self, world: World, app: str) -> tuple[tuple[str, str], ModelSpec]:
        model = ModelSpec()
        for _ in range(self.draw(st.integers(1, 3))):
            model.fields[self.fresh("f")] = self.new_field(world, adding=False)
        return (app, self.fresh("Model")), model

    def edit(self, world: World) -> Step:
        keys = list(world)
        kinds = ["add_model", "add_model"]
        if keys:
            kinds += ["remove_model", "rename_model", "replace_model", "alter_table",
                      "add_field", "add_field", "add_index", "add_constraint"]
        if any(m.fields for m in world.values()):
            kinds += ["remove_field", "rename_field", "alter_field", "alter_field",
                      "alter_field"]
        if any(m.indexes or m.checks or m.uniques for m in world.values()):
            kinds.append("remove_index_or_constraint")
        kind = self.draw(st.sampled_from(kinds))
        return getattr(self, kind)(world)

    def add_model(self, world: World) -> Step:
        key, model = self.new_model(world, self.draw(st.sampled_from(APPS)))
        world[key] = model
        return Step(f"add model {key}")

    def remove_model(self, world: World, key: tuple[str, str] | None = None) -> Step:
        key = key or self.draw(st.sampled_from(list(world)))
        del world[key]
        step = Step(f"remove model {key}", removed_models={key})
        for other_key, model in world.items():
            for fname, spec in list(model.fields.items()):
                if spec.target == ".".join(key):
                    del model.fields[fname]
                    step.changed_fields.add((other_key, fname))
                    step.description += f" and {other_key}.{fname} pointing at it"
        return step

    def replace_model(self, world: World) -> Step:
        """Delete a model and create another (maybe in the other app) on its table."""
        old_key = self.draw(st.sampled_from(list(world)))
        table = world[old_key].db_table or f"{old_key[0]}_{old_key[1].lower()}"
        step = self.remove_model(world, old_key)
        new_key, model = self.new_model(world, self.draw(st.sampled_from(APPS)))
        model.db_table = table
        world[new_key] = model
        step.description += f", then add {new_key} on its table {table}"
        return step

    def alter_table(self, world: World) -> Step:
        key = self.draw(st.sampled_from(list(world)))
        model = world[key]
        model.db_table = None if model.db_table else self.fresh("tbl")
        return Step(f"db_table of {key} becomes {model.db_table}")

    def rename_model(self, world: World) -> Step:
        key = self.draw(st.sampled_from(list(world)))
        new_key = (key[0], self.fresh("Model"))
        for model in world.values():
            for spec in model.fields.values():
                if spec.target == ".".join(key):
                    spec.target = ".".join(new_key)
        items = [(new_key if k == key else k, m) for k, m in world.items()]
        world.clear()
        world.update(items)
        return Step(f"rename model {key} to {new_key[1]}", renames=[f"{key[0]}.{key[1]}={new_key[1]}"],
                    renamed_models={key: new_key})

    def _pick_field(self, world: World, accept=lambda spec, model: True) -> tuple | None:
        choices = [(key, fname) for key, model in world.items()
                   for fname, spec in model.fields.items() if accept(spec, model)]
        return self.draw(st.sampled_from(choices)) if choices else None

    def add_field(self, world: World) -> Step:
        key = self.draw(st.sampled_from(list(world)))
        fname = self.fresh("f")
        world[key].fields[fname] = self.new_field(world, adding=True)
        return Step(f"add field {key}.{fname} {world[key].fields[fname].source()}")

    def remove_field(self, world: World) -> Step:
        key, fname = self._pick_field(world)
        model = world[key]
        del model.fields[fname]
        for option in (model.indexes, model.checks, model.uniques):
            for name in [n for n, f in option.items() if f == fname]:
                del option[name]
        return Step(f"remove field {key}.{fname}", changed_fields={(key, fname)})

    def rename_field(self, world: World) -> Step:
        key, fname = self._pick_field(world)
        model = world[key]
        new_name = self.fresh("f")
        model.fields = {new_name if n == fname else n: s for n, s in model.fields.items()}
        for option in (model.indexes, model.checks, model.uniques):
            for name, used in list(option.items()):
                if used == fname:
                    option[name] = new_name
        return Step(f"rename field {key}.{fname} to {new_name}",
                    renames=[f"{key[0]}.{key[1]}.{fname}={new_name}"],
                    renamed_fields={(key, fname): new_name})

    def alter_field(self, world: World) -> Step:
        key, fname = self._pick_field(world)
        model, spec = world[key], world[key].fields[fname]
        options = ["db_column", "db_index"] if spec.kind in (*INDEXABLE, "fk") else ["db_column"]
        if spec.kind == "fk":
            options.append("target")
        else:
            options += ["null", "default"]
        if spec.kind in TYPE_CHANGES and (
                TYPE_CHANGES[spec.kind] != "text" or not (model.uses(fname) or spec.unique
                                                          or spec.db_index)):
            options.append("type")
        if spec.kind == "char":
            options.append("max_length")
        if spec.kind in INDEXABLE:
            options.append("unique")
        option = self.draw(st.sampled_from(options))
        before = spec.source()
        if option == "type":
            spec.kind = TYPE_CHANGES[spec.kind]
            if spec.default is not None:
                spec.default = DEFAULTS[spec.kind]
        elif option == "null":
            spec.null = not spec.null
        elif option == "default":
            spec.default = None if spec.default is not None else DEFAULTS[spec.kind]
        elif option == "max_length":
            spec.max_length = self.draw(st.sampled_from(
                [n for n in (20, 40, 80) if n != spec.max_length]))
        elif option == "unique":
            spec.unique = not spec.unique
            spec.db_index = False
        elif option == "db_index":
            spec.db_index = not spec.db_index
            spec.unique = False
        elif option == "db_column":
            spec.db_column = None if spec.db_column else self.fresh("col")
        elif option == "target":
            spec.target = ".".join(self.draw(st.sampled_from(list(world))))
        return Step(f"alter {option} of {key}.{fname}: {before} -> {spec.source()}",
                    changed_fields={(key, fname)} if option in ("type", "target") else set())

    def add_index(self, world: World) -> Step:
        picked = self._pick_field(world, lambda spec, model: spec.kind in INDEXABLE)
        if picked is None:
            return self.add_model(world)
        key, fname = picked
        name = self.fresh("ix")
        world[key].indexes[name] = fname
        return Step(f"add index {name} on {key}.{fname}")

    def add_constraint(self, world: World) -> Step:
        picked = self._pick_field(world, lambda spec, model: spec.kind in INDEXABLE)
        if picked is None:
            return self.add_model(world)
        key, fname = picked
        model = world[key]
        if model.fields[fname].kind in ("int", "bigint") and self.draw(st.booleans()):
            name = self.fresh("ck")
            model.checks[name] = fname
        else:
            name = self.fresh("uq")
            model.uniques[name] = fname
        return Step(f"add constraint {name} on {key}.{fname}")

    def remove_index_or_constraint(self, world: World) -> Step:
        choices = [(key, option, name) for key, model in world.items()
                   for option in ("indexes", "checks", "uniques")
                   for name in getattr(model, option)]
        key, option, name = self.draw(st.sampled_from(choices))
        del getattr(world[key], option)[name]
        return Step(f"remove {option} {name} of {key}")


# -- rows ---------------------------------------------------------------------------------


def value_for(spec: FieldSpec, number: int) -> Any:
    if spec.kind in ("char", "text"):
        return f"v{number}"
    if spec.kind in ("int", "bigint"):
        return number
    if spec.kind == "bool":
        return True
    if spec.kind == "date":
        return datetime.date(2000, 1, 1) + datetime.timedelta(days=number)
    if spec.kind == "decimal":
        return decimal.Decimal(number)
    return None  # foreign keys stay empty: rows never depend on each other


def add_rows(world: World, serial: itertools.count) -> None:
    """One more row per model, then every row's values made distinct (unique may come)."""
    for (app, name), model in world.items():
        live = registry.get_model(f"{app}.{name}")
        live.objects.create(**{f: value_for(s, 100000 + next(serial))
                               for f, s in model.fields.items()})
        for pk in list(live.objects.values_list("pk", flat=True)):
            values = {f: value_for(s, pk) for f, s in model.fields.items() if s.kind != "fk"}
            if values:
                live.objects.filter(pk=pk).update(**values)


def snapshot(world: World) -> dict:
    """``{model key: {pk: {field: value}}}`` read through the live models."""
    rows = {}
    for (app, name), model in world.items():
        live = registry.get_model(f"{app}.{name}")
        names = list(model.fields)
        rows[(app, name)] = {values[0]: dict(zip(names, values[1:], strict=True))
                             for values in live.objects.values_list("pk", *names)}
    return rows


def expected_after(before: dict, step: Step) -> dict:
    """The rows ``before`` as they must read after ``step`` (values it may change left out)."""
    expected = {}
    for key, rows in before.items():
        if key in step.removed_models:
            continue
        new_key = step.renamed_models.get(key, key)
        expected[new_key] = {
            pk: {step.renamed_fields.get((key, f), f): v for f, v in values.items()
                 if (key, f) not in step.changed_fields}
            for pk, values in rows.items()
        }
    return expected


# -- the property ---------------------------------------------------------------------------


def check_step(project: AuthoringProject, world: World, step: Step) -> None:
    for app in APPS:
        project.models(app, render(world, app), reload=False)
    project.reload()
    code, output = project.makemigrations(renames=step.renames)
    assert code == 0, (step.description, output)
    project.reload()
    project.migrate()
    live_state = ProjectState.from_registry(registry, app_labels=set(APPS))
    assert compare_schema(project.connection, live_state) == [], step.description
    assert project.schema_problems() == [], step.description
    code, output = project.makemigrations(check=True)
    assert (code, output.strip()) == (0, "No changes detected"), (step.description, output)


def unapply_everything(project: AuthoringProject, world: World) -> None:
    """``migrate <app> zero`` for each app: no table of the app may remain."""
    # Unapplying a RemoveField of a NOT NULL field without a default cannot fill the
    # rows (as in Django), so the rows go first.
    for app, name in world:
        registry.get_model(f"{app}.{name}").objects.all().delete()
    for app in APPS:
        if project.migration_names(app):
            project.migrate(app, "zero")
        tables = {registry.get_model(f"{a}.{n}")._meta.db_table for a, n in world if a == app}
        # A table name this app took over from another app's deleted model comes back when
        # unapplying the app unapplies the other app's later migrations too: not a leftover.
        tables -= _tables_of_other_applied_apps(project, app)
        assert tables & project.tables() == set(), app
    assert project.tables() == set()


def _tables_of_other_applied_apps(project: AuthoringProject, app: str) -> set[str]:
    """Tables the applied migrations of the apps other than ``app`` describe."""
    from migrations_engine.loader import MigrationLoader, replay

    loader = MigrationLoader(project.connection)
    state = ProjectState(real_apps=set(loader.unmigrated_apps))
    for key in loader.graph.full_plan():
        if key in loader.applied_migrations:
            replay(loader.graph.nodes[key], state)
    return {model.db_table for model in state.models.values() if model.app_label != app}


def run_history(tmp_path, db_url: str, data: Any) -> None:
    editor = Editor(data)
    project = AuthoringProject(tmp_path, db_url)
    serial = itertools.count(1)
    try:
        world: World = {}
        for app in APPS:
            key, model = editor.new_model(world, app)
            world[key] = model
        history = ["initial: " + ", ".join(f"{k}" for k in world)]
        check_step(project, world, Step(history[0]))
        for _ in range(data.draw(st.integers(1, 5), label="steps")):
            add_rows(world, serial)
            before = snapshot(world)
            step = editor.edit(world)
            history.append(step.description)
            try:
                check_step(project, world, step)
                after = snapshot(world)
                expected = expected_after(before, step)
                assert {key: {pk: {f: after[key][pk][f] for f in values}
                              for pk, values in rows.items() if pk in after[key]}
                        for key, rows in expected.items()} == expected
            except Exception as error:
                raise AssertionError("edits:\n  " + "\n  ".join(history)) from error
        history.append("migrate each app to zero")
        try:
            unapply_everything(project, world)
        except Exception as error:
            raise AssertionError("edits:\n  " + "\n  ".join(history)) from error
    finally:
        project.close()


@settings(max_examples=int(os.environ.get("MANOUCHE_HYPOTHESIS_EXAMPLES", "8")), deadline=None,
          # Shrinking a history of migrations takes minutes; the failure lists the edits.
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_model_edits_migrate_to_the_schema_the_models_describe(
        tmp_path, new_db_url, monkeypatch, data):
    monkeypatch.setenv("MANOUCHE_MIGRATION_TIMESTAMP", "2026-11-21 12:00")
    monkeypatch.chdir(tmp_path)
    run_history(tmp_path, new_db_url(), data)

