"""``Model._meta``: a model's fields, table and options."""

from __future__ import annotations

import difflib
import weakref
from typing import Any

from orm.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured

__all__ = ["Options", "DEFAULT_NAMES", "closest_names"]

DEFAULT_NAMES = (
    "db_table",
    "app_label",
    "ordering",
    "indexes",
    "constraints",
    "unique_together",
    "abstract",
    "proxy",
    "managed",
    "get_latest_by",
    "default_related_name",
    "verbose_name",
    "verbose_name_plural",
    "base_manager_name",
    "default_manager_name",
    "db_table_comment",
    "auto_created",
    "required_db_vendor",
    "select_on_save",
)


def closest_names(wrong: str, choices) -> list[str]:
    """``choices`` sorted with the closest matches to ``wrong`` first."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(wrong, choices, n=len(choices), cutoff=0.0)
    return close


def normalize_together(value) -> list[tuple[str, ...]]:
    if not value:
        return []
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        return [tuple(value)]
    return [tuple(entry) for entry in value]


class Options:
    """What ``class Meta`` says, plus the fields gathered from the class body."""

    def __init__(self, meta: Any, app_label: str | None = None):
        self.meta = meta
        self.model: Any = None
        self.object_name = ""
        self.model_name = ""
        self.app_label = app_label or ""
        self.db_table = ""
        self.ordering: list = []
        self.indexes: list = []
        self.constraints: list = []
        self.unique_together: list[tuple[str, ...]] = []
        self.abstract = False
        self.proxy = False
        self.managed = True
        self.get_latest_by: Any = None
        self.default_related_name: str | None = None
        self.verbose_name: str | None = None
        self.verbose_name_plural: str | None = None
        self.base_manager_name: str | None = None
        self.default_manager_name: str | None = None
        self.db_table_comment = ""
        self.auto_created: Any = False
        self.required_db_vendor = None
        self.select_on_save = False
        self.local_fields: list = []
        self.local_many_to_many: list = []
        self.private_fields: list = []
        self._related_objects: list = []
        # Indexes of ``related_objects`` (see ``_related_index``): the list they describe,
        # field key -> relation, and reverse name -> [(position, relation)].
        self._indexed_related: list | None = None
        self._related_by_field: dict[tuple[str, str], Any] = {}
        self._related_by_name: dict[str, list[tuple[int, Any]]] = {}
        self.pk: Any = None
        self.concrete_model: Any = None
        self.proxy_for_model: Any = None
        # The ``_meta`` of the proxy models of this model (not of their proxies): what
        # changes here (fields, reverse relations) changes there too.
        self._proxies: weakref.WeakSet = weakref.WeakSet()
        self.managers: list = []
        self.original_attrs: dict[str, Any] = {}
        self._field_cache: dict[str, Any] | None = None
        self._forward_fields: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<Options for {self.object_name}>"

    def __str__(self) -> str:
        return self.label_lower

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.object_name}"

    @property
    def label_lower(self) -> str:
        return f"{self.app_label}.{self.model_name}"

    def contribute_to_class(self, cls, name: str) -> None:
        cls._meta = self
        self.model = cls
        self.object_name = cls.__name__
        self.model_name = cls.__name__.lower()
        if self.meta is not None:
            meta_attrs = {
                key: value for key, value in self.meta.__dict__.items() if not key.startswith("_")
            }
            for attr_name in DEFAULT_NAMES:
                if attr_name in meta_attrs:
                    value = meta_attrs.pop(attr_name)
                elif hasattr(self.meta, attr_name):  # inherited: class Meta(Base.Meta)
                    value = getattr(self.meta, attr_name)
                else:
                    continue
                setattr(self, attr_name, value)
                self.original_attrs[attr_name] = value
            if meta_attrs:
                raise ImproperlyConfigured(
                    f"{cls.__name__}.Meta: unknown option(s) {sorted(meta_attrs)}; "
                    f"valid options: {', '.join(DEFAULT_NAMES[:12])}"
                )
        if isinstance(self.ordering, str):
            self.ordering = [self.ordering]
        self.ordering = list(self.ordering)
        self.unique_together = normalize_together(self.unique_together)
        self.indexes = list(self.indexes)
        self.constraints = list(self.constraints)
        if self.verbose_name is None:
            self.verbose_name = _camel_to_words(self.object_name)
        if self.verbose_name_plural is None:
            self.verbose_name_plural = f"{self.verbose_name}s"

    def setup_table(self) -> None:
        if not self.db_table:
            self.db_table = f"{self.app_label}_{self.model_name}"

    # -- fields -------------------------------------------------------------------

    def add_field(self, field, private: bool = False) -> None:
        if private:
            self.private_fields.append(field)
            for proxy_opts in list(self._proxies):
                proxy_opts.add_field(field, private=True)
        elif self.proxy:
            raise FieldError(proxy_field_message(self, [field.name]))
        elif field.is_relation and field.many_to_many:
            self.local_many_to_many.append(field)
            self.local_many_to_many.sort()
        else:
            self.local_fields.append(field)
            self.local_fields.sort()
            if field.primary_key:
                self.setup_pk(field)
        self._expire_cache()

    def setup_pk(self, field) -> None:
        if self.pk is not None and self.pk is not field and not self.pk.auto_created:
            raise ImproperlyConfigured(
                f"{self.object_name}: more than one primary key ({self.pk.name}, {field.name})"
            )
        if self.pk is not None and self.pk.auto_created and self.pk in self.local_fields:
            self.local_fields.remove(self.pk)
        self.pk = field
        field.serialize = False

    @property
    def related_objects(self) -> list:
        """The reverse relations pointing at this model; a proxy's are its concrete model's
        (those pointing at the concrete model or at any of its proxies), as in Django."""
        if self.proxy_for_model is not None:
            return self.concrete_model._meta.related_objects
        return self._related_objects

    @related_objects.setter
    def related_objects(self, value: list) -> None:
        if self.proxy_for_model is not None:
            self.concrete_model._meta.related_objects = value
        else:
            self._related_objects = value

    def add_proxy(self, proxy_opts: Options) -> None:
        """Make ``proxy_opts`` (a proxy of this model) see this model's changes."""
        self._proxies.add(proxy_opts)

    def add_related_object(self, relation) -> None:
        """Register a reverse relation (``associations`` calls this).

        It replaces the relation of the same field (same model label and field
        name) registered earlier, as a redefined model's relation does. A
        relation to a proxy model is registered on the concrete model.
        """
        if self.proxy_for_model is not None:
            self.concrete_model._meta.add_related_object(relation)
            return
        key = _relation_key(relation)
        if key in self._related_index():
            # The indexes are rebuilt from the new list when next used.
            related = [existing for existing in self.related_objects if _relation_key(existing) != key]
            related.append(relation)
        else:
            # A new list, not an append: its users (``_related_index``, the collector's
            # ``unloaded_plan``) tell a change by the list's identity.
            related = [*self.related_objects, relation]
            self._index_relation(len(related) - 1, relation, key)
            self._indexed_related = related
        self.related_objects = related
        self._expire_cache()

    def reverse_relations_named(self, *names: str) -> list:
        """The visible reverse relations whose accessor or query name is one of ``names``, in registration order."""
        self._related_index()
        found: dict[int, Any] = {}
        for name in names:
            found.update(self._related_by_name.get(name, ()))
        return [found[position] for position in sorted(found)]

    def _related_index(self) -> dict[tuple[str, str], Any]:
        """Field key -> relation for ``related_objects``, rebuilt when the list was replaced or grew.

        Code outside ``add_related_object`` (the registry forgetting a replaced
        model, tests) assigns ``related_objects`` a new list; that is what
        invalidates the indexes.
        """
        related = self.related_objects
        if self._indexed_related is not related or len(self._related_by_field) != len(related):
            self._related_by_field = {}
            self._related_by_name = {}
            for position, relation in enumerate(related):
                self._index_relation(position, relation, _relation_key(relation))
            self._indexed_related = related
        return self._related_by_field

    def _index_relation(self, position: int, relation, key: tuple[str, str]) -> None:
        self._related_by_field[key] = relation
        if relation.hidden:
            return
        accessor = relation.get_accessor_name()
        if accessor is not None:
            self._related_by_name.setdefault(accessor, []).append((position, relation))
        query_name = relation.query_name
        if query_name != accessor:
            self._related_by_name.setdefault(query_name, []).append((position, relation))

    def _expire_cache(self) -> None:
        self._field_cache = None
        self._forward_fields = None
        self.__dict__.pop("fields", None)
        self.__dict__.pop("concrete_fields", None)
        self.__dict__.pop("local_concrete_fields", None)
        self.__dict__.pop("many_to_many", None)
        for proxy_opts in list(self._proxies):
            proxy_opts._expire_cache()

    @property
    def fields(self) -> list:
        """Forward fields with or without a column, in definition order (no M2M)."""
        cached = self.__dict__.get("fields")
        if cached is None:
            cached = list(self.local_fields)
            self.__dict__["fields"] = cached
        return cached

    @property
    def concrete_fields(self) -> list:
        """Fields with a column."""
        cached = self.__dict__.get("concrete_fields")
        if cached is None:
            cached = [field for field in self.fields if field.concrete and field.column]
            self.__dict__["concrete_fields"] = cached
        return cached

    @property
    def local_concrete_fields(self) -> list:
        return self.concrete_fields

    @property
    def many_to_many(self) -> list:
        return list(self.local_many_to_many)

    def get_fields(self, include_hidden: bool = False) -> list:
        """Every field: forward, many-to-many, private (generic) and reverse relations."""
        result = [*self.fields, *self.local_many_to_many, *self.private_fields]
        for relation in self.related_objects:
            if include_hidden or not relation.hidden:
                result.append(relation)
        return result

    def _build_field_cache(self) -> dict[str, Any]:
        cache: dict[str, Any] = {}
        for relation in self.related_objects:
            # Hidden relations (related_name='+') keep an internal query name for internal queries.
            cache[relation.query_name] = relation
        for field in [*self.fields, *self.local_many_to_many, *self.private_fields]:
            cache[field.name] = field
            if field.attname and field.attname != field.name:
                cache.setdefault(field.attname, field)
        return cache

    def get_field(self, name: str):
        """The field (forward or reverse) called ``name``; ``FieldDoesNotExist`` naming the choices."""
        cache = self._field_cache
        if cache is None:
            cache = self._field_cache = self._build_field_cache()
        try:
            return cache[name]
        except KeyError:
            if name == "pk" and self.pk is not None:
                return self.pk
            choices = [
                key for key in cache
                if not getattr(cache[key], "hidden", False)
                and (key == cache[key].name or key == getattr(cache[key], "query_name", None))
            ]
            raise FieldDoesNotExist(
                f"{self.object_name} has no field named {name!r}; choices are: "
                f"{', '.join(closest_names(name, choices))}"
            ) from None

    def field_names_for_errors(self) -> list[str]:
        """Names a lookup may start with, for error messages."""
        cache = self._field_cache or self._build_field_cache()
        return sorted({
            getattr(field, "query_name", None) or field.name
            for field in cache.values() if not getattr(field, "hidden", False)
        })

    @property
    def forward_field_by_attname(self) -> dict[str, Any]:
        cached = self._forward_fields
        if cached is None:
            cached = {field.attname: field for field in self.concrete_fields}
            self._forward_fields = cached
        return cached

    @property
    def default_manager(self):
        if self.default_manager_name:
            return getattr(self.model, self.default_manager_name)
        return self.managers[0] if self.managers else None

    @property
    def base_manager(self):
        from orm.manager import Manager

        manager = Manager()
        manager.name = "_base_manager"
        manager.model = self.model
        manager.auto_created = True
        return manager

    def get_latest_by_fields(self) -> list[str]:
        value = self.get_latest_by
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    @property
    def swapped(self) -> bool:
        return False

    @property
    def db_returning_fields(self) -> list:
        return [field for field in self.concrete_fields if getattr(field, "db_returning", False) or (field.primary_key and field.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"))]


def proxy_field_message(opts: Options, names, origin: str = "") -> str:
    """Why proxy model ``opts`` may not hold the fields ``names`` (declared on ``origin``, an
    abstract parent, if given), and what to do instead."""
    concrete = opts.concrete_model or opts.proxy_for_model
    where = concrete.__name__ if concrete is not None else "the concrete model"
    listed = ", ".join(repr(name) for name in names)
    source = f" from the abstract {origin}" if origin else ""
    return (
        f"Proxy model '{opts.object_name}' contains model fields ({listed}{source}): a proxy model has no "
        f"table of its own; declare {listed} on {where}, or make {opts.object_name} a model of its own "
        "(a generic relation, managers, methods, properties and Meta options are allowed on a proxy)"
    )


def _relation_key(relation) -> tuple[str, str]:
    """What identifies a reverse relation's field across redefinitions: model label and field name."""
    field = relation.field
    return field.model._meta.label, field.name


def _camel_to_words(name: str) -> str:
    words = []
    current = ""
    for char in name:
        if char.isupper() and current and not current[-1].isupper():
            words.append(current)
            current = char
        else:
            current += char
    words.append(current)
    return " ".join(word.lower() for word in words if word)
