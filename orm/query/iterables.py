"""Turning rows into results: model instances, dicts, tuples, named tuples or flat values.

This is the ORM's hot path: everything that can be worked out once per query
(columns, converters, the class, attribute names) is, and each row costs a
dict update and little else.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from orm import signals
from orm.exceptions import EmptyResultSet
from orm.model import ModelState
from orm.query.row_factory import ChunkLoader, joined_row_factory, row_factory

__all__ = [
    "ModelIterable",
    "ValuesIterable",
    "ValuesListIterable",
    "FlatValuesListIterable",
    "NamedValuesListIterable",
]


class BaseIterable:
    def __init__(self, queryset, chunked_fetch: bool = False, chunk_size: int = 2000):
        self.queryset = queryset
        self.chunked_fetch = chunked_fetch
        self.chunk_size = chunk_size

    def _chunks(self, compiler, convert: bool = True):
        """Lists of rows (converted unless ``convert`` is false): one list, or chunks when streaming."""
        if self.chunked_fetch:
            converters = None
            first = True
            for chunk in compiler.iter_rows(self.chunk_size):
                if first:
                    converters = compiler.get_converters() if convert else None
                    first = False
                yield compiler.apply_converters(chunk, converters)
            return
        rows = compiler.execute_sql()
        yield compiler.apply_converters(rows, compiler.get_converters()) if convert else rows


class ModelIterable(BaseIterable):
    """Model instances (with select_related objects and annotations attached)."""

    def __iter__(self):
        queryset = self.queryset
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        generated = self._can_generate()
        for rows in self._chunks(compiler, convert=not generated):
            if compiler.klass_info is None:
                return
            if generated:
                loader = _generated_loader(compiler)
                if loader is not None:
                    yield from loader(rows, db)
                    continue
                rows = compiler.apply_converters(rows, compiler.get_converters())
            yield from self._instances(compiler, rows, db)

    def results(self) -> list:
        """Every instance, as ``list(self)`` but without a generator step per row when it can."""
        if self.chunked_fetch or not self._can_generate():
            return list(self)
        queryset = self.queryset
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return []
        if not sql:
            return []
        loader = _generated_loader(compiler) if compiler.klass_info is not None else None
        if loader is not None:
            with ChunkLoader(loader, db) as load:
                return compiler.fetch_rows(sql, params, load)
        rows = compiler.fetch_rows(sql, params)
        if compiler.klass_info is None:
            return []
        rows = compiler.apply_converters(rows, compiler.get_converters())
        return list(self._instances(compiler, rows, db))

    def _can_generate(self) -> bool:
        # Plain rows of one model: a loader generated for these columns (row_factory).
        queryset = self.queryset
        return not queryset._known_related_objects and not signals.post_init.has_listeners(
            queryset.model
        )

    def _instances(self, compiler, rows, db):
        """The generic loop over converted ``rows``: related objects, annotations, post_init."""
        klass_info = compiler.klass_info
        model = klass_info["model"]
        attnames = klass_info["attnames"]
        start = klass_info["start"]
        end = start + len(attnames)
        annotations = list(compiler.annotation_col_map.items())
        related = klass_info["related"]
        known = self.queryset._known_related_objects
        send_post_init = signals.post_init.has_listeners(model)
        new = object.__new__
        whole_row = start == 0 and end == compiler.col_count
        for row in rows:
            instance = new(model)
            data = instance.__dict__
            data.update(zip(attnames, row if whole_row else row[start:end]))
            instance._state = ModelState(False, db)
            for name, index in annotations:
                data[name] = row[index]
            if related:
                _attach_related(instance, row, related, db)
            if known:
                for field, objects in known.items():
                    value = data.get(field.attname)
                    if value in objects:
                        field.set_cached_value(instance, objects[value])
            if send_post_init:
                signals.post_init.send(sender=model, instance=instance)
            yield instance


def _generated_loader(compiler):
    """The generated ``(rows, db) -> instances`` function for unconverted rows, or ``None``."""
    klass_info = compiler.klass_info
    model = klass_info["model"]
    attnames = klass_info["attnames"]
    start = klass_info["start"]
    end = start + len(attnames)
    annotations = compiler.annotation_col_map
    related = klass_info["related"]
    if start != 0 or not attnames:
        return None
    if not related and not annotations and end == compiler.col_count:
        return row_factory(model, attnames, compiler.get_converters())
    if annotations and not related and list(annotations.values()) == list(
        range(end, compiler.col_count)
    ):
        # Annotations trailing the model's columns (a prefetch's join key): they are
        # attributes like the others.
        return row_factory(model, [*attnames, *annotations], compiler.get_converters())
    joined = _joined_specs(klass_info, compiler) if not annotations else None
    if joined is not None:
        return joined_row_factory(model, attnames, joined, compiler.get_converters())
    return None


def _joined_specs(klass_info, compiler):
    """``joined_row_factory``'s description of one level of ``select_related``, or ``None``."""
    if klass_info["start"] != 0 or not klass_info["attnames"]:
        return None
    position = len(klass_info["attnames"])
    specs = []
    for info in klass_info["related"]:
        names = info["attnames"]
        related_model = info["model"]
        pk_attname = related_model._meta.pk.attname
        if info["related"] or info["start"] != position or pk_attname not in names:
            return None
        field = info["field"]
        cache_key = getattr(field, "fields_cache_key", None)
        specs.append((
            related_model, tuple(names), names.index(pk_attname),
            cache_key() if cache_key is not None else None, field.set_cached_value,
            getattr(field, "set_remote_cached_value", None),
        ))
        position += len(names)
    if position != compiler.col_count:
        return None
    return specs


def _attach_related(instance, row, related_infos, db) -> None:
    for info in related_infos:
        start = info["start"]
        values = row[start : start + len(info["attnames"])]
        field = info["field"]
        related_model = info["model"]
        pk_index = info.get("pk_index")
        if pk_index is None:
            pk_attname = related_model._meta.pk.attname
            pk_index = info["attnames"].index(pk_attname)
            info["pk_index"] = pk_index
        if values[pk_index] is None:
            related_object = None
        else:
            related_object = object.__new__(related_model)
            related_object.__dict__.update(zip(info["attnames"], values))
            related_object._state = ModelState(False, db)
            if info["related"]:
                _attach_related(related_object, row, info["related"], db)
        field.set_cached_value(instance, related_object)
        if related_object is not None:
            remote_setter = getattr(field, "set_remote_cached_value", None)
            if remote_setter is not None:
                remote_setter(related_object, instance)


class ValuesIterable(BaseIterable):
    """Dicts, for ``values()``."""

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        for rows in self._chunks(compiler):
            names = [_column_name(expression, alias) for expression, alias in compiler.select]
            for row in rows:
                yield dict(zip(names, row))


class ValuesListIterable(BaseIterable):
    """Tuples, for ``values_list()``."""

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        wanted = queryset._fields
        for rows in self._chunks(compiler):
            names = [_column_name(expression, alias) for expression, alias in compiler.select]
            order = _reorder(names, wanted)
            if order is None:
                for row in rows:
                    yield tuple(row)
            else:
                for row in rows:
                    yield tuple(row[index] for index in order)


def _reorder(names: list[str], wanted) -> list[int] | None:
    if not wanted or list(wanted) == names:
        return None
    positions = {name: index for index, name in enumerate(names)}
    try:
        return [positions[name] for name in wanted]
    except KeyError:
        return None


class NamedValuesListIterable(BaseIterable):
    """Named tuples, for ``values_list(named=True)``."""

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        wanted = queryset._fields
        row_class: Any = None
        for rows in self._chunks(compiler):
            names = [_column_name(expression, alias) for expression, alias in compiler.select]
            order = _reorder(names, wanted)
            if row_class is None:
                row_class = namedtuple("Row", list(wanted) if order is not None else names, rename=True)
            for row in rows:
                if order is None:
                    yield row_class(*row)
                else:
                    yield row_class(*(row[index] for index in order))


class FlatValuesListIterable(BaseIterable):
    """Single values, for ``values_list(flat=True)``."""

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        for rows in self._chunks(compiler):
            for row in rows:
                yield row[0]


def _column_name(expression, alias) -> str:
    if alias is not None:
        return alias
    target = getattr(expression, "target", None)
    if target is not None:
        return target.attname
    return str(expression)
