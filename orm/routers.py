"""Database routers: which alias reads, writes and migrates each model."""

from __future__ import annotations

import importlib
from typing import Any

from orm.connections import DEFAULT_DB_ALIAS

__all__ = ["ConnectionRouter", "router"]


class ConnectionRouter:
    """Asks each configured router in turn; the first answer that is not ``None`` wins."""

    def __init__(self) -> None:
        self._routers: list[Any] | None = None
        #: True once the configured routers are loaded and there are none: every
        #: model then reads and writes the default alias unless hints say otherwise.
        self.default_only = False

    def reset(self) -> None:
        self._routers = None
        self.default_only = False

    @property
    def routers(self) -> list[Any]:
        if self._routers is None:
            from orm.config import settings

            loaded = []
            for entry in settings.get().routers:
                if isinstance(entry, str):
                    module_name, _, class_name = entry.rpartition(".")
                    entry = getattr(importlib.import_module(module_name), class_name)
                loaded.append(entry() if isinstance(entry, type) else entry)
            self._routers = loaded
            self.default_only = not loaded
        return self._routers

    def _route(self, action: str, model, **hints) -> str:
        for candidate in self.routers:
            method = getattr(candidate, action, None)
            if method is None:
                continue
            chosen = method(model, **hints)
            if chosen:
                return chosen
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return DEFAULT_DB_ALIAS

    def db_for_read(self, model, **hints) -> str:
        # The loaded list is read directly (this runs for every query); the property loads it.
        routers = self._routers if self._routers is not None else self.routers
        return self._route("db_for_read", model, **hints) if routers or hints else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        routers = self._routers if self._routers is not None else self.routers
        return self._route("db_for_write", model, **hints) if routers or hints else DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        for candidate in self.routers:
            method = getattr(candidate, "allow_relation", None)
            if method is None:
                continue
            allowed = method(obj1, obj2, **hints)
            if allowed is not None:
                return allowed
        return obj1._state.db is None or obj2._state.db is None or obj1._state.db == obj2._state.db

    def check_relation(self, obj1, obj2, verb: str = "add") -> None:
        """Raise ``ValueError`` when the routers refuse relating ``obj1`` to ``obj2`` (as Django).

        Without routers that means two saved objects of different databases.
        """
        db1, db2 = obj1._state.db, obj2._state.db
        if (db1 is None or db2 is None or db1 == db2) and self.default_only:
            return
        if not self.allow_relation(obj1, obj2):
            raise ValueError(
                f"Cannot {verb} {obj1!r} (database {db1!r}) to {obj2!r} (database {db2!r}): "
                "the current database router prevents this relation."
            )

    def relate(self, value, instance) -> None:
        """Check ``instance.<relation> = value`` as Django does, first giving an unsaved side a database.

        An object without a database takes the one ``db_for_write`` gives it with
        the other as hint (with no router answer, the other's database), so
        ``Book(author=author_from_archive).save()`` writes to the archive. Then
        ``allow_relation`` must allow the pair (``ValueError`` otherwise).
        """
        value_state, instance_state = value._state, instance._state
        db1, db2 = value_state.db, instance_state.db
        if db1 != db2:
            # Without routers the answer is the other's database: no need to ask.
            if db2 is None:
                db2 = instance_state.db = (
                    db1 if self.default_only else self.db_for_write(type(instance), instance=value)
                )
            elif db1 is None:
                db1 = value_state.db = (
                    db2 if self.default_only else self.db_for_write(type(value), instance=instance)
                )
        if db1 == db2 and self.default_only:
            return
        self.check_relation(value, instance, "assign")

    def route_by_instance(self, queryset, instance, db: str | None = None):
        """``queryset`` sent where Django sends a query for ``instance``'s related objects.

        ``db`` (a related manager's ``db_manager()`` alias), else the QuerySet's own
        alias, wins. Otherwise the QuerySet carries ``instance`` as a hint: reads go
        where ``db_for_read`` says, ``update()``/``delete()`` where ``db_for_write``
        says, and without an answer to the instance's database. With no router
        configured that answer is known now, so the QuerySet gets the alias
        instead of the hint (cheaper to run, and the same result).
        """
        db = db or queryset._db
        if db is None:
            if self._routers is None:
                self.routers  # noqa: B018 - loads them, setting default_only
            if not self.default_only:
                queryset = queryset._chain()
                queryset._hints = {**queryset._hints, "instance": instance}
                return queryset
            db = instance._state.db or DEFAULT_DB_ALIAS
        return queryset.using(db)

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        for candidate in self.routers:
            method = getattr(candidate, "allow_migrate", None)
            if method is None:
                continue
            allowed = method(db, app_label, **hints)
            if allowed is not None:
                return allowed
        return True

    def allow_migrate_model(self, db: str, model) -> bool:
        opts = model._meta
        if not opts.managed or opts.proxy:
            return False
        return self.allow_migrate(db, opts.app_label, model_name=opts.model_name, model=model)


router = ConnectionRouter()
