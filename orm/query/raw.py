"""``Model.objects.raw(sql, params)``: instances from hand-written SQL."""

from __future__ import annotations

from orm.connections import connections
from orm.exceptions import FieldDoesNotExist
from orm.model import ModelState
from orm.query.compiler import execute
from orm.routers import router

__all__ = ["RawQuerySet"]


class RawQuerySet:
    """Iterates instances built from the columns the SQL returns (the pk must be among them)."""

    def __init__(self, raw_query: str, model, params=(), translations=None, using=None):
        self.raw_query = raw_query
        self.model = model
        self.params = tuple(params or ())
        self.translations = translations or {}
        self._db = using
        self._result_cache: list | None = None

    @property
    def db(self) -> str:
        return self._db or router.db_for_read(self.model)

    def using(self, alias: str) -> RawQuerySet:
        return RawQuerySet(self.raw_query, self.model, self.params, self.translations, alias)

    def __repr__(self) -> str:
        return f"<RawQuerySet: {self.raw_query}>"

    def __iter__(self):
        if self._result_cache is None:
            self._result_cache = list(self._iterate())
        return iter(self._result_cache)

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __getitem__(self, index):
        return list(iter(self))[index]

    def _iterate(self):
        connection = connections[self.db]
        cursor = execute(connection, self.raw_query, list(self.params))
        try:
            columns = [self.translations.get(d[0], d[0]) for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            cursor.close()
        opts = self.model._meta
        names, converters = [], []
        for column in columns:
            field = None
            for candidate in opts.concrete_fields:
                if candidate.column == column or candidate.attname == column:
                    field = candidate
                    break
            if field is None:
                names.append(column)
                converters.append(None)
            else:
                names.append(field.attname)
                converters.append(field.from_db_converter(connection))
        if opts.pk.attname not in names:
            raise FieldDoesNotExist(f"Raw query must include the primary key ({opts.pk.column})")
        db = self.db
        for row in rows:
            instance = object.__new__(self.model)
            instance.__dict__.update(
                (name, converter(value) if converter else value)
                for name, converter, value in zip(names, converters, row)
            )
            instance._state = ModelState(False, db)
            yield instance

    @property
    def columns(self) -> list[str]:
        connection = connections[self.db]
        cursor = execute(connection, self.raw_query, list(self.params))
        try:
            return [d[0] for d in cursor.description]
        finally:
            cursor.close()
