"""The ``Field`` base class: a column's Python side, its validation and its deconstruction."""

from __future__ import annotations

import copy
import enum
import itertools
from typing import Any, Callable

from backends.schema import NOT_PROVIDED as NO_COLUMN_DEFAULT
from backends.schema import Column
from orm.choices import Choices
from orm.exceptions import ValidationError
from orm.query.lookup_registry import RegisterLookupMixin

__all__ = [
    "NOT_PROVIDED",
    "Field",
    "FieldValueError",
    "DeferredAttribute",
    "DatabaseDefault",
]


class _NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"

    def __reduce__(self):
        return "NOT_PROVIDED"


NOT_PROVIDED: Any = _NotProvided()


class _DatabaseDefaultSentinel:
    """Marks an attribute whose value the database fills in (``db_default``)."""

    def __repr__(self) -> str:
        return "DatabaseDefault"


DatabaseDefault: Any = _DatabaseDefaultSentinel()


class FieldValueError(ValidationError, TypeError, ValueError):
    """A value of the wrong type for a field, raised before any SQL runs.

    It is a ``ValidationError`` (with the field named in ``message_dict``) and
    also a ``TypeError``/``ValueError``, so code written either way catches it.
    """


class DeferredAttribute:
    """Class-level descriptor of a concrete field.

    Loaded values live in the instance ``__dict__`` and shadow this
    non-data descriptor, so reading a loaded attribute costs nothing extra.
    Reading a deferred (``only()``/``defer()``) attribute loads it once.
    """

    def __init__(self, field: Field):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        attname = self.field.attname
        data = instance.__dict__
        if attname not in data:
            if instance._state.adding or instance.pk is None:
                return None
            instance.refresh_from_db(fields=[attname])
        return data.get(attname)


_BLANK_CHOICE = [("", "---------")]

# Module counters, not class attributes: assigning an attribute of ``Field`` at every
# construction would invalidate the attribute caches of every field class.
_creation_counter = itertools.count()
_auto_creation_counter = itertools.count(-1, -1)


#: The packages whose field classes are built in: each names its own internal type.
_BUILT_IN_MODULES = ("orm.", "associations.", "contenttypes.")


class Field(RegisterLookupMixin):
    """A model field: one column (or none, for relations without one)."""

    empty_strings_allowed = True
    empty_values: tuple[Any, ...] = (None, "", [], (), {})
    # How ``deconstruct()`` names the class in migration files.
    import_path: str | None = None
    descriptor_class = DeferredAttribute

    is_relation = False
    many_to_many = False
    many_to_one = False
    one_to_many = False
    one_to_one = False
    related_model = None
    remote_field = None
    concrete = True
    hidden = False
    auto_created = False
    generated = False

    # Each field's own, from the counters below: declaration order (auto-created fields first).
    creation_counter = 0
    # DecimalField's sizes (its instances set them); None for the type map of every other field.
    max_digits: Any = None
    decimal_places: Any = None

    default_error_messages = {
        "invalid_choice": "Value %(value)r is not a valid choice.",
        "null": "This field cannot be null.",
        "blank": "This field cannot be blank.",
        "unique": "%(model_name)s with this %(field_label)s already exists.",
    }
    # Set on each class by ``_class_error_messages`` (read from the class's own ``__dict__``).
    _class_error_messages: dict[str, str]

    def __init__(
        self,
        verbose_name: str | None = None,
        name: str | None = None,
        primary_key: bool = False,
        max_length: int | None = None,
        unique: bool = False,
        blank: bool = False,
        null: bool = False,
        db_index: bool = False,
        default: Any = NOT_PROVIDED,
        db_default: Any = NOT_PROVIDED,
        editable: bool = True,
        choices: Any = None,
        help_text: str = "",
        db_column: str | None = None,
        validators: Any = (),
        auto_created: bool = False,
        serialize: bool = True,
        unique_for_date: Any = None,
        error_messages: dict | None = None,
        db_comment: str | None = None,
    ):
        self.name = name
        self.verbose_name = verbose_name
        self.primary_key = primary_key
        self.max_length = max_length
        self._unique = unique
        self.blank = blank
        self.null = null
        self.db_index = db_index
        self.default = default
        self.db_default = db_default
        self.editable = editable
        if choices is not None:
            if isinstance(choices, type) and issubclass(choices, Choices):
                choices = choices.choices  # with its __empty__ entry, as in Django
            elif isinstance(choices, type) and issubclass(choices, enum.Enum):
                choices = [(member.value, getattr(member, "label", member.name)) for member in choices]
            elif not isinstance(choices, (list, tuple)):
                choices = list(choices)
        self.choices = choices
        self.help_text = help_text
        self.db_column = db_column
        self._validators = [*validators]
        self.auto_created = auto_created
        self.serialize = serialize
        self.db_comment = db_comment
        self._error_messages = error_messages
        messages = type(self).__dict__.get("_class_error_messages")
        if messages is None:
            messages = _class_error_messages(type(self))
        self.error_messages = {**messages, **error_messages} if error_messages else messages.copy()
        self.creation_counter = next(_auto_creation_counter if auto_created else _creation_counter)
        self.model: Any = None
        self.attname: str | None = None
        self.column: str | None = None
        self._db_adapters: dict[str, Any] = {}
        self._db_converters: dict[str, Any] = {}

    # -- identity -----------------------------------------------------------------

    def __repr__(self) -> str:
        path = f"{type(self).__module__}.{type(self).__qualname__}"
        if self.name is not None:
            return f"<{path}: {self.name}>"
        return f"<{path}>"

    def __str__(self) -> str:
        if self.model is not None:
            return f"{self.model._meta.label}.{self.name}"
        return str(self.name)

    def __eq__(self, other):
        if isinstance(other, Field):
            return self.creation_counter == other.creation_counter and getattr(
                self, "model", None
            ) == getattr(other, "model", None)
        return NotImplemented

    def __lt__(self, other):
        if isinstance(other, Field):
            return self.creation_counter < other.creation_counter
        return NotImplemented

    def __hash__(self):
        return hash((self.creation_counter, id(self.model) if self.model else None))

    def __deepcopy__(self, memo):
        obj = copy.copy(self)
        obj._db_adapters = {}
        obj._db_converters = {}
        memo[id(self)] = obj
        return obj

    def __copy__(self):
        obj = object.__new__(type(self))
        obj.__dict__ = self.__dict__.copy()
        return obj

    @property
    def unique(self) -> bool:
        return self._unique or self.primary_key

    @property
    def validators(self) -> list:
        return [*self.default_validators(), *self._validators]

    def default_validators(self) -> list:
        return []

    def get_internal_type(self) -> str:
        """The type-map key: the name of the nearest built-in field class this one derives from.

        A project's ``class LooseCharField(orm.CharField)`` stores as a
        ``CharField``, as in Django (where each built-in field returns its own
        name). A field class of the project's own with a column type of its
        own overrides `db_type` (or this method).
        """
        return self._internal_type

    _internal_type = "Field"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith(_BUILT_IN_MODULES):
            cls._internal_type = cls.__name__

    # -- class set-up -------------------------------------------------------------

    def set_attributes_from_name(self, name: str) -> None:
        self.name = self.name or name
        self.attname = self.get_attname()
        self.column = self.db_column or self.attname
        if self.verbose_name is None and self.name:
            self.verbose_name = self.name.replace("_", " ")

    def get_attname(self) -> str:
        return self.name  # type: ignore[return-value]

    def contribute_to_class(self, cls, name: str) -> None:
        """Bind the field to model ``cls`` under ``name``."""
        self.set_attributes_from_name(name)
        self.model = cls
        cls._meta.add_field(self)
        if self.column:
            setattr(cls, str(self.attname), self.descriptor_class(self))
        if self.choices is not None and "get_%s_display" % self.name not in cls.__dict__:
            field = self

            def display(instance):
                return instance._get_field_display(field)

            display.__name__ = "get_%s_display" % self.name
            setattr(cls, display.__name__, display)

    def check(self) -> list[str]:
        """Problems with this definition, as messages naming the field."""
        problems = []
        if self.name and (self.name.endswith("_") or "__" in self.name):
            problems.append(
                f"{self}: field names must not end with an underscore or contain '__'"
            )
        if self.name == "pk":
            problems.append(f"{self}: 'pk' is a reserved word that cannot be a field name")
        if self.choices is not None:
            for choice in self.choices:
                if not isinstance(choice, (list, tuple)) or len(choice) != 2:
                    problems.append(
                        f"{self}: choices must be a list of (value, label) pairs, got {choice!r}"
                    )
                    break
        if self.primary_key and self.null:
            problems.append(f"{self}: a primary key cannot be null=True")
        return problems

    # -- defaults -----------------------------------------------------------------

    def has_default(self) -> bool:
        return self.default is not NOT_PROVIDED

    def has_db_default(self) -> bool:
        return self.db_default is not NOT_PROVIDED

    def get_default(self) -> Any:
        """The value a new instance gets when none is passed."""
        if self.default is not NOT_PROVIDED:
            if callable(self.default):
                return self.default()
            return self.default
        if self.db_default is not NOT_PROVIDED:
            return DatabaseDefault
        if not self.empty_strings_allowed or self.null:
            return None
        return ""

    # -- deconstruction -----------------------------------------------------------

    _deconstruct_defaults: dict[str, Any] = {
        "verbose_name": None,
        "primary_key": False,
        "max_length": None,
        "unique": False,
        "blank": False,
        "null": False,
        "db_index": False,
        "default": NOT_PROVIDED,
        "db_default": NOT_PROVIDED,
        "editable": True,
        "choices": None,
        "help_text": "",
        "db_column": None,
        "validators": [],
        "auto_created": False,
        "serialize": True,
        "error_messages": None,
        "db_comment": None,
    }
    _deconstruct_attr_names = {"unique": "_unique", "validators": "_validators", "error_messages": "_error_messages"}

    def deconstruct(self) -> tuple[str | None, str, list, dict]:
        """``(name, import_path, args, kwargs)`` with only the non-default keyword arguments."""
        kwargs: dict[str, Any] = {}
        for key, default in self._deconstruct_defaults.items():
            value = getattr(self, self._deconstruct_attr_names.get(key, key))
            if key == "choices" and isinstance(value, tuple):
                value = list(value)
            if key == "verbose_name" and self.name and value == self.name.replace("_", " "):
                continue
            if value is default or value == default and not (
                default is NOT_PROVIDED or value is NOT_PROVIDED
            ):
                continue
            kwargs[key] = value
        return self.name, self.get_import_path(), [], kwargs

    def get_import_path(self) -> str:
        if self.import_path:
            return self.import_path
        module = type(self).__module__
        if module.startswith("orm.fields"):
            return f"orm.{type(self).__qualname__}"
        return f"{module}.{type(self).__qualname__}"

    def clone(self) -> Field:
        """A fresh, unbound copy made from ``deconstruct()``."""
        name, path, args, kwargs = self.deconstruct()
        return type(self)(*args, **kwargs)

    # -- Python values ------------------------------------------------------------

    def _invalid(self, value, expected: str) -> FieldValueError:
        label = str(self) if self.model is not None or self.name else type(self).__name__
        return FieldValueError(
            {self.name or "__all__": [f"{label}: expected {expected}, got {value!r}"]}
        )

    def to_python(self, value: Any) -> Any:
        """Turn an input value into this field's Python type, or raise ValidationError."""
        return value

    def get_prep_value(self, value: Any) -> Any:
        """Normalise a Python value for the database (type checks happen here)."""
        if hasattr(value, "resolve_expression"):
            return value
        return value

    def get_db_adapter(self, connection) -> Callable | None:
        """The dialect's adapter for this field's storage type, or ``None``."""
        vendor = connection.vendor
        try:
            return self._db_adapters[vendor]
        except KeyError:
            adapter = connection.dialect.get_adapter(self.get_internal_type())
            self._db_adapters[vendor] = adapter
            return adapter

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        """A value ready for the driver."""
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        adapter = self.get_db_adapter(connection)
        return adapter(value) if adapter is not None else value

    def get_db_prep_save(self, value: Any, connection) -> Any:
        return self.get_db_prep_value(value, connection)

    def from_db_converter(self, connection) -> Callable | None:
        """The callable turning a driver value into this field's Python value, or ``None``."""
        vendor = connection.vendor
        try:
            return self._db_converters[vendor]
        except KeyError:
            converter = connection.dialect.get_converter(self.get_internal_type())
            self._db_converters[vendor] = converter
            return converter

    def pre_save(self, instance, add: bool) -> Any:
        """The value to save for ``instance`` (``auto_now`` fields set it here)."""
        return getattr(instance, str(self.attname))

    def value_from_object(self, obj) -> Any:
        return getattr(obj, str(self.attname))

    def value_to_string(self, obj) -> str:
        return str(self.value_from_object(obj))

    # -- validation ---------------------------------------------------------------

    def run_validators(self, value: Any) -> None:
        if value in self.empty_values:
            return
        errors = []
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)

    def validate(self, value: Any, model_instance) -> None:
        if not self.editable:
            return
        if self.choices is not None and value not in self.empty_values:
            valid = {key for key, _label in self.flatchoices}
            if value not in valid:
                raise ValidationError(self.error_messages["invalid_choice"] % {"value": value})
        if value is None and not self.null:
            raise ValidationError(self.error_messages["null"])
        if not self.blank and value in self.empty_values:
            raise ValidationError(self.error_messages["blank"])

    def clean(self, value: Any, model_instance) -> Any:
        """Convert, validate and run validators; return the cleaned value."""
        value = self.to_python(value)
        self.validate(value, model_instance)
        self.run_validators(value)
        return value

    @property
    def flatchoices(self) -> list[tuple[Any, str]]:
        if self.choices is None:
            return []
        flat: list[tuple[Any, str]] = []
        for key, label in self.choices:
            if isinstance(label, (list, tuple)):
                flat.extend(label)
            else:
                flat.append((key, label))
        return flat

    # -- schema -------------------------------------------------------------------

    def db_params(self) -> dict[str, Any]:
        """Parameters of the type map for this field."""
        return {
            "max_length": self.max_length,
            "max_digits": self.max_digits,
            "decimal_places": self.decimal_places,
            "column": self.column,
        }

    def db_type(self, connection) -> str | None:
        """The column type on ``connection`` (``None`` for fields without a column)."""
        return connection.dialect.column_type(self.get_internal_type(), self.db_params())

    def rel_db_type(self, connection) -> str | None:
        """The column type of a foreign key pointing at this field."""
        return connection.dialect.rel_column_type(self.get_internal_type(), self.db_params())

    def db_check(self, connection) -> str | None:
        return connection.dialect.column_check(self.get_internal_type(), self.column)

    def column_description(self, connection, *, references=None):
        """This field as a ``backends.schema.Column`` for the schema editor."""
        cls = type(self)
        if (
            references is None
            and self.db_default is NOT_PROVIDED
            and self.db_comment is None
            and cls.db_type is _FIELD_DB_TYPE
            and cls.db_params is _FIELD_DB_PARAMS
            and cls.db_check is _FIELD_DB_CHECK
            and cls.unique is _FIELD_UNIQUE
        ):
            # The usual column, looked up before anything is derived: a migrate describes
            # the same few hundred columns thousands of times. Only plain values make the
            # key (``True``/``1.0`` equal ``1`` as keys but not as sizes).
            max_length, max_digits, decimal_places = self.max_length, self.max_digits, self.decimal_places
            null, primary_key, column = self.null, self.primary_key, self.column
            if (
                (max_length is None or type(max_length) is int)
                and (max_digits is None or type(max_digits) is int)
                and (decimal_places is None or type(decimal_places) is int)
                and (null is True or null is False)
                and (primary_key is True or primary_key is False)
                and type(column) is str
            ):
                key = (
                    connection.dialect, self.get_internal_type(), column, max_length, max_digits,
                    decimal_places, null, primary_key, not primary_key and bool(self._unique),
                )
                shared = _SHARED_COLUMNS.get(key)
                if shared is None:
                    if len(_SHARED_COLUMNS) >= _SHARED_COLUMNS_MAX:
                        _SHARED_COLUMNS.clear()
                    shared = _SHARED_COLUMNS[key] = self._column_description(connection, None)
                return shared
        return self._column_description(connection, references)

    def _column_description(self, connection, references):
        """`column_description` worked out from the field's attributes (no shared value)."""
        default = NO_COLUMN_DEFAULT
        db_default_sql = None
        if self.db_default is not NOT_PROVIDED:
            if hasattr(self.db_default, "as_sql"):
                db_default_sql = _compile_default_expression(self.db_default, connection)
            else:
                default = self.get_db_prep_value(self.db_default, connection)
        primary_key = self.primary_key
        internal_type = self.get_internal_type()
        cls = type(self)
        column = self.column
        if (
            cls.db_type is _FIELD_DB_TYPE
            and cls.db_params is _FIELD_DB_PARAMS
            and cls.db_check is _FIELD_DB_CHECK
            and cls.unique is _FIELD_UNIQUE
        ):
            # What db_type/db_check/unique give, without building db_params() for
            # each column (a migrate describes thousands).
            dialect = connection.dialect
            column_type = dialect.sized_column_type(
                internal_type, self.max_length, self.max_digits, self.decimal_places, column
            )
            null = self.null
            check = dialect.column_check(internal_type, column) if column else None
            unique = False if primary_key or not self._unique else True
            return Column(
                column,
                column_type,
                null,
                primary_key,
                internal_type in _AUTO_TYPES,
                unique,
                default,
                db_default_sql,
                check,
                references,
                comment=self._comment_on(connection),
            )
        return Column(
            column,
            self.db_type(connection),
            self.null,
            primary_key,
            internal_type in _AUTO_TYPES,
            self.unique and not primary_key,
            default,
            db_default_sql,
            self.db_check(connection) if column else None,
            references,
            comment=self._comment_on(connection),
        )

    def _comment_on(self, connection) -> str | None:
        """``db_comment`` where ``connection`` keeps comments (None on SQLite, as Django)."""
        comment = self.db_comment
        return comment if comment and connection.dialect.supports_comments else None


_AUTO_TYPES = {"AutoField", "BigAutoField", "SmallAutoField"}
_FIELD_DB_TYPE = Field.db_type
_FIELD_DB_PARAMS = Field.db_params
_FIELD_DB_CHECK = Field.db_check
_FIELD_UNIQUE = Field.unique
# Shared column descriptions by dialect and value; cleared when full, so distinct
# definitions never pile up. Columns are frozen values: equal descriptions share one.
_SHARED_COLUMNS: dict[tuple, Column] = {}
_SHARED_COLUMNS_MAX = 4096


def _class_error_messages(field_class: type[Field]) -> dict[str, str]:
    """The ``default_error_messages`` of ``field_class`` and its bases merged, kept on the class.

    Merged once per class rather than at each field construction (thousands
    when a migrate replays its files).
    """
    messages: dict[str, str] = {}
    for klass in reversed(field_class.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}))
    field_class._class_error_messages = messages
    return messages


def _compile_default_expression(expression, connection) -> str:
    from orm.query.compiler import SQLCompiler

    compiler = SQLCompiler(None, connection)
    sql, params = expression.as_sql(compiler, connection)
    if params:
        raise ValueError(
            f"db_default expression {expression!r} must not take parameters; use a literal value"
        )
    return sql
