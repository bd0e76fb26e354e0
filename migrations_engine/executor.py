"""Plan and run migrations forwards and backwards, recording them, under the migration lock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .ahead import Ahead, prepare_creates
from .errors import InvalidMigrationError, IrreversibleError, MigrationFailedError
from .graph import Node
from .loader import MigrationLoader, replay
from .lock import migration_lock
from .migration import Migration
from .recorder import MigrationRecorder
from .state import ProjectState

__all__ = ["MigrationExecutor", "Plan"]

#: ``[(migration, backwards)]`` in the order they run.
Plan = list[tuple[Migration, bool]]


class MigrationExecutor:
    """Runs migrations on one connection.

    ``progress(event, migration, backwards, elapsed)`` is called with
    ``event`` in ``"start"``, ``"done"``, ``"faked"``, ``"failed"``; it is
    how ``migrate`` prints one line per migration with its timing.
    """

    def __init__(self, connection: Any, progress: Callable[..., None] | None = None) -> None:
        self.connection = connection
        self.progress = progress
        self.loader = MigrationLoader(connection)
        self.recorder = MigrationRecorder(connection)
        #: The CreateModel work done ahead of a forwards run (see ``ahead``).
        self.ahead = Ahead()

    # -- planning ----------------------------------------------------------------

    def migration_plan(self, targets: list[tuple[str, str | None]], clean_start: bool = False) -> Plan:
        """The migrations to apply or unapply to reach ``targets`` (``(app, None)`` = zero)."""
        graph = self.loader.graph
        applied = {} if clean_start else dict(self.loader.applied_migrations)
        plan: Plan = []
        for app_label, name in targets:
            if name is None:
                for root in graph.root_nodes(app_label):
                    if root in applied:
                        for node in graph.backwards_plan(root):
                            if node in applied:
                                plan.append((graph.nodes[node], True))
                                applied.pop(node)
                continue
            target = (app_label, name)
            if target in applied:
                # Unapply what comes after ``target`` in its own app (and what depends on it).
                children = [node for node in graph.children(target) if node[0] == app_label]
                for child in children:
                    for node in graph.backwards_plan(child):
                        if node in applied:
                            plan.append((graph.nodes[node], True))
                            applied.pop(node)
            else:
                for node in graph.forwards_plan(target):
                    if node not in applied:
                        plan.append((graph.nodes[node], False))
                        applied[node] = True
        return plan

    def all_targets(self, app_label: str | None = None) -> list[Node]:
        """The leaves of every app (or of ``app_label``)."""
        return self.loader.graph.leaf_nodes(app_label)

    # -- checks before any SQL ---------------------------------------------------------

    def check_plan(self, plan: Plan) -> None:
        """Raise before any SQL: a mixed plan, or an irreversible operation in a backwards plan."""
        directions = {backwards for _migration, backwards in plan}
        if len(directions) > 1:
            raise InvalidMigrationError(
                "the plan mixes applying and unapplying migrations; migrate one app at a time"
            )
        for migration, backwards in plan:
            if not backwards:
                continue
            for index, operation in enumerate(migration.operations):
                if not operation.reversible:
                    raise IrreversibleError(
                        f"migration {migration} ({migration.path}) cannot be unapplied: "
                        f"operation {index + 1} ({operation.describe()}) is not reversible; "
                        "give it a reverse (reverse_sql= / reverse_code=) or migrate to a later "
                        "target"
                    )

    # -- running ---------------------------------------------------------------------

    def migrate(
        self,
        targets: list[tuple[str, str | None]] | None = None,
        plan: Plan | None = None,
        fake: bool = False,
        fake_initial: bool = False,
    ) -> ProjectState:
        """Apply or unapply migrations up to ``targets`` under the migration lock.

        The applied set is read again once the lock is held, so a migration
        another process applied meanwhile is skipped.
        """
        with migration_lock(self.connection):
            self.loader.refresh_applied()
            self.loader.check_consistent_history()
            self.loader.validate_states()
            if targets is None:
                targets = [(app, name) for app, name in self.all_targets()]
            if plan is None:
                plan = self.migration_plan(targets)
            else:
                applied = self.loader.applied_migrations
                plan = [
                    (migration, backwards)
                    for migration, backwards in plan
                    if (migration.key in applied) == backwards
                ]
            self.check_plan(plan)
            self.recorder.ensure_schema()
            if not plan:
                return self.loader.project_state()
            if plan[0][1]:
                return self._migrate_backwards(plan, fake)
            return self._migrate_forwards(plan, fake, fake_initial)

    def _full_plan(self) -> list[Node]:
        return self.loader.graph.full_plan()

    def _migrate_forwards(self, plan: Plan, fake: bool, fake_initial: bool) -> ProjectState:
        to_run = {migration.key for migration, _ in plan}
        applied = self.loader.applied_migrations
        # (migration, whether it runs): the ones before the first to run are only replayed.
        steps: list[tuple[Migration, bool]] = []
        for key in self._full_plan():
            if not to_run:
                break
            if key in to_run:
                steps.append((self.loader.graph.nodes[key], True))
                to_run.discard(key)
            elif key in applied:
                steps.append((self.loader.graph.nodes[key], False))
        state = ProjectState(real_apps=set(self.loader.unmigrated_apps))
        first = next((index for index, (_, runs) in enumerate(steps) if runs), len(steps))
        for migration, _ in steps[:first]:
            replay(migration, state)
        if not fake:
            self.ahead = prepare_creates(steps[first:], state.clone(), self.connection)
        try:
            for migration, runs in steps[first:]:
                if runs:
                    state = self.apply_migration(state, migration, fake, fake_initial)
                else:
                    replay(migration, state)
        finally:
            self.ahead.close()
            self.ahead = Ahead()
        return state

    def _migrate_backwards(self, plan: Plan, fake: bool) -> ProjectState:
        to_run = {migration.key for migration, _ in plan}
        applied = self.loader.applied_migrations
        states: dict[Node, ProjectState] = {}
        state = ProjectState(real_apps=set(self.loader.unmigrated_apps))
        for key in self._full_plan():
            if key in to_run:
                states[key] = state.clone()
            if key in applied or key in to_run:
                replay(self.loader.graph.nodes[key], state)
        for migration, _backwards in plan:
            state = self.unapply_migration(states[migration.key], migration, fake)
        return state

    def _report(self, event: str, migration: Migration, backwards: bool, elapsed: float = 0.0) -> None:
        if self.progress is not None:
            self.progress(event, migration, backwards, elapsed)

    def apply_migration(
        self, state: ProjectState, migration: Migration, fake: bool = False,
        fake_initial: bool = False,
    ) -> ProjectState:
        """Run one migration forwards and record it; return the state after it."""
        self._report("start", migration, False)
        started = time.perf_counter()
        if not fake and fake_initial and self.detect_soft_applied(state, migration):
            fake = True
        if fake:
            state = migration.mutate_state(state)
            self.recorder.record_applied(migration.app_label, migration.name)
            self._report("faked", migration, False, time.perf_counter() - started)
            return state
        state = self._run(migration, state, backwards=False)
        self._report("done", migration, False, time.perf_counter() - started)
        return state

    def unapply_migration(
        self, state: ProjectState, migration: Migration, fake: bool = False
    ) -> ProjectState:
        """Run one migration backwards (``state`` is the state before it) and unrecord it."""
        self._report("start", migration, True)
        started = time.perf_counter()
        if fake:
            self.recorder.record_unapplied(migration.app_label, migration.name)
            for replaced in migration.replaces:
                self.recorder.record_unapplied(*replaced)
            self._report("faked", migration, True, time.perf_counter() - started)
            return state
        self._run(migration, state, backwards=True)
        self._report("done", migration, True, time.perf_counter() - started)
        return state

    def _record(self, migration: Migration, backwards: bool) -> None:
        if backwards:
            self.recorder.record_unapplied(migration.app_label, migration.name)
            for replaced in migration.replaces:
                self.recorder.record_unapplied(*replaced)
        elif migration.replaces:
            for replaced in migration.replaces:
                if replaced not in self.loader.applied_migrations:
                    self.recorder.record_applied(*replaced)
            self.recorder.record_applied(migration.app_label, migration.name)
        else:
            self.recorder.record_applied(migration.app_label, migration.name)

    def _run(self, migration: Migration, state: ProjectState, backwards: bool) -> ProjectState:
        transactional = self.connection.dialect.supports_transactional_ddl
        atomic = migration.atomic and transactional
        done: list[Any] = []
        try:
            if atomic:
                # The recording is in the same transaction as the DDL.
                editor = self.connection.schema_editor()
                editor.operation_done = done.append
                editor.ahead = self.ahead
                with editor:
                    result = (migration.unapply if backwards else migration.apply)(
                        state if backwards else state.clone(), editor
                    )
                    self._record(migration, backwards)
            else:
                result = self._run_each(migration, state, backwards, done)
                self._record(migration, backwards)
        except Exception as error:
            self._report("failed", migration, backwards)
            raise self._failure(migration, backwards, atomic, done, error) from error
        return result

    def _run_each(
        self, migration: Migration, state: ProjectState, backwards: bool, done: list
    ) -> ProjectState:
        """A non-atomic migration: each operation in its own transaction (where DDL has them).

        An operation with ``atomic=False`` (``RunPython(..., atomic=False)``)
        runs outside any transaction, so its code may commit as it goes.
        """
        if backwards:
            steps: Any = migration.backward_steps(state)
            result = state
        else:
            result = state.clone()
            steps = migration.forward_steps(result)
        # Foreign keys wait for the end of the migration (tables created later may be targets).
        pending: list[str] = []
        for operation, before, after in steps:
            editor = self.connection.schema_editor()
            editor.operation_done = done.append
            editor.ahead = self.ahead
            if operation.atomic is False:
                editor.deferred_sql = pending
                migration.run_operation(operation, editor, before, after, backwards)
                pending = editor.deferred_sql
            else:
                with editor:
                    editor.deferred_sql.extend(pending)
                    migration.run_operation(operation, editor, before, after, backwards)
                    pending, editor.deferred_sql = editor.deferred_sql, []
        if pending:
            with self.connection.schema_editor() as editor:
                editor.deferred_sql.extend(pending)
        return result

    def _failure(
        self, migration: Migration, backwards: bool, atomic: bool, done: list, error: Exception
    ) -> MigrationFailedError:
        operations = list(reversed(migration.operations)) if backwards else migration.operations
        failed_index = len(done)
        failed = operations[failed_index] if failed_index < len(operations) else None
        where = (
            f"operation {failed_index + 1} ({failed.describe()})" if failed is not None
            else "while finishing (deferred constraints or recording)"
        )
        verb = "unapplying" if backwards else "applying"
        message = (
            f"{verb} migration {migration} ({migration.path}) failed at {where}: "
            f"{type(error).__name__}: {error}. "
        )
        # Without transactional DDL the failed operation's own earlier statements stay too.
        partly = (
            f" Statements of operation {failed_index + 1} that ran before the error were NOT "
            f"rolled back ({self.connection.vendor} commits DDL at once)."
            if failed is not None and not self.connection.dialect.supports_transactional_ddl
            else ""
        )
        if atomic:
            message += "Everything it did was rolled back and it is not recorded."
        elif done:
            ran = "; ".join(f"{i + 1}. {op.describe()}" for i, op in enumerate(done))
            why = (
                f"{self.connection.vendor} commits DDL at once"
                if migration.atomic else "This migration has atomic = False"
            )
            message += (
                f"{why}, so these operations already ran "
                f"and were NOT rolled back: {ran}. The migration is not recorded: undo them by "
                "hand (or fix the cause and apply the rest with a new migration)." + partly
            )
        elif partly:
            message += "No operation of it had completed; it is not recorded." + partly
        else:
            message += "No operation of it had run; it is not recorded."
        return MigrationFailedError(message)

    def detect_soft_applied(self, state: ProjectState, migration: Migration) -> bool:
        """Whether an initial migration's tables all exist already (for ``--fake-initial``)."""
        from .operations import AddField, CreateModel
        from .schema import junction_table_for_field

        if not migration.initial:
            return False
        after = migration.mutate_state(state)
        tables = set(self.connection.introspection.table_names())
        found_create = False
        for operation in migration.operations:
            if isinstance(operation, CreateModel):
                model_state = after.get_model(migration.app_label, operation.name)
                if not model_state.has_table:
                    continue
                found_create = True
                if model_state.db_table not in tables:
                    return False
            elif isinstance(operation, AddField):
                model_state = after.get_model(migration.app_label, operation.model_name)
                field = model_state.get_field(operation.name)
                junction = junction_table_for_field(
                    model_state, operation.name, field, after, self.connection
                )
                if junction is not None and junction.name not in tables:
                    return False
        return found_create
