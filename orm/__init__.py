"""manouche's ORM: models, fields, QuerySets, expressions, transactions and signals.

Model modules need only ``import orm``: the relation fields and on-delete
actions of ``associations`` are re-exported here too.
"""

from orm import exceptions, serializers, signals, validators
from orm.capture import CapturedQuery, capture_queries
from orm.choices import Choices, IntegerChoices, TextChoices
from orm.config import configure, settings
from orm.connections import DEFAULT_DB_ALIAS, connections
from orm.exceptions import (
    DatabaseError,
    DataError,
    EmptyResultSet,
    Error,
    FieldDoesNotExist,
    FieldError,
    ImproperlyConfigured,
    IntegrityError,
    InterfaceError,
    MultipleObjectsReturned,
    NotSupportedError,
    ObjectDoesNotExist,
    OperationalError,
    ProgrammingError,
    ProtectedError,
    RestrictedError,
    TransactionManagementError,
    ValidationError,
)
from orm.fields import (
    NOT_PROVIDED,
    AutoField,
    BigAutoField,
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    EmailField,
    Field,
    FieldValueError,
    FloatField,
    GeneratedField,
    GenericIPAddressField,
    IntegerField,
    JSONField,
    NaiveDateTimeWarning,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SlugField,
    SmallAutoField,
    SmallIntegerField,
    TextField,
    TimeField,
    URLField,
    UUIDField,
)
from orm.indexes import CheckConstraint, Deferrable, Index, UniqueConstraint
from orm.manager import BaseManager, Manager
from orm.mixins import SoftDeleteModel, TimestampedModel  # noqa: E402 - needs Model and Manager
from orm.model import Model
from orm.query.aggregates import Aggregate, Avg, Count, Max, Min, StdDev, StringAgg, Sum, Variance
from orm.query.async_api import run_sync
from orm.query.expressions import (
    Case,
    Col,
    CombinedExpression,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    OrderBy,
    RawSQL,
    Value,
    When,
)
from orm.query.filtered_relation import FilteredRelation
from orm.query.functions import (
    KT,
    Abs,
    Cast,
    Coalesce,
    Concat,
    Extract,
    ExtractDay,
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractIsoYear,
    ExtractMinute,
    ExtractMonth,
    ExtractQuarter,
    ExtractSecond,
    ExtractWeek,
    ExtractWeekDay,
    ExtractYear,
    Greatest,
    Least,
    Length,
    Lower,
    Now,
    Round,
    Trunc,
    TruncDate,
    TruncDay,
    TruncHour,
    TruncMinute,
    TruncMonth,
    TruncQuarter,
    TruncSecond,
    TruncTime,
    TruncWeek,
    TruncYear,
    Upper,
)
from orm.query.lookups import Lookup, Transform
from orm.query.math_functions import (
    ACos,
    ASin,
    ATan,
    ATan2,
    Ceil,
    Cos,
    Cot,
    Degrees,
    Exp,
    Floor,
    Ln,
    Log,
    Mod,
    Pi,
    Power,
    Radians,
    Random,
    Sign,
    Sin,
    Sqrt,
    Tan,
)
from orm.query.q import Q
from orm.query.queryset import EmptyQuerySet, QuerySet
from orm.query.subqueries import Exists, OuterRef, Subquery
from orm.query.text_functions import (
    MD5,
    SHA1,
    SHA224,
    SHA256,
    SHA384,
    SHA512,
    Chr,
    Collate,
    JSONArray,
    JSONObject,
    Left,
    LPad,
    LTrim,
    NullIf,
    Ord,
    Repeat,
    Replace,
    Reverse,
    Right,
    RPad,
    RTrim,
    StrIndex,
    Substr,
    Trim,
)
from orm.query.window import (
    CumeDist,
    DenseRank,
    FirstValue,
    Lag,
    LastValue,
    Lead,
    NthValue,
    NTile,
    PercentRank,
    Rank,
    RowNumber,
    RowRange,
    ValueRange,
    Window,
    WindowFrame,
)
from orm.registry import registry
from orm.routers import router
from orm.signals import (
    m2m_changed,
    post_delete,
    post_init,
    post_migrate,
    post_save,
    pre_delete,
    pre_init,
    pre_migrate,
    pre_save,
    receiver,
)
from orm.transaction import atomic, get_rollback, on_commit, set_rollback

__all__ = [
    "exceptions", "serializers", "signals", "validators", "CapturedQuery", "capture_queries", "configure", "settings",
    "DEFAULT_DB_ALIAS", "connections", "DatabaseError", "DataError", "EmptyResultSet", "Error",
    "FieldDoesNotExist", "FieldError", "ImproperlyConfigured", "IntegrityError", "InterfaceError",
    "MultipleObjectsReturned", "NotSupportedError", "ObjectDoesNotExist", "OperationalError",
    "ProgrammingError", "ProtectedError", "RestrictedError", "TransactionManagementError",
    "ValidationError", "NOT_PROVIDED",
    "AutoField", "BigAutoField", "BigIntegerField", "BinaryField", "BooleanField", "CharField",
    "DateField", "DateTimeField", "DecimalField", "DurationField", "EmailField", "Field",
    "FieldValueError", "FloatField", "GeneratedField", "GenericIPAddressField", "IntegerField", "JSONField",
    "NaiveDateTimeWarning", "PositiveBigIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallAutoField", "SmallIntegerField", "TextField",
    "TimeField", "URLField", "UUIDField", "CheckConstraint", "Deferrable", "Index", "UniqueConstraint",
    "BaseManager", "Manager", "Model", "Aggregate", "Avg", "Count", "Max", "Min", "StdDev", "Sum",
    "Variance", "Case", "Col", "CombinedExpression", "Exists", "Expression", "ExpressionWrapper", "F",
    "Func", "OrderBy", "OuterRef", "RawSQL", "Subquery", "Value", "When", "Abs", "Cast", "Coalesce",
    "Concat", "Extract", "ExtractDay", "ExtractHour", "ExtractIsoWeekDay", "ExtractIsoYear",
    "ExtractMinute", "ExtractMonth", "ExtractQuarter", "ExtractSecond", "ExtractWeek",
    "ExtractWeekDay", "ExtractYear", "Greatest", "Least", "Length", "Lower", "Now", "Round", "Trunc",
    "TruncDate", "TruncDay", "TruncHour", "TruncMinute", "TruncMonth", "TruncQuarter", "TruncSecond",
    "TruncTime", "TruncWeek", "TruncYear", "Upper", "Q", "FilteredRelation", "EmptyQuerySet", "QuerySet", "registry",
    "router", "m2m_changed", "post_delete", "post_init", "post_migrate", "post_save", "pre_delete",
    "pre_init", "pre_migrate", "pre_save", "receiver", "atomic", "get_rollback", "on_commit", "set_rollback",
    "SoftDeleteModel", "TimestampedModel", "Window", "RowRange", "ValueRange", "RowNumber", "Rank",
    "DenseRank", "PercentRank", "CumeDist", "NTile", "Lag", "Lead", "FirstValue", "LastValue",
    "NthValue", "Chr", "Left", "LPad", "LTrim", "MD5", "NullIf", "Ord", "Repeat", "Replace",
    "Reverse", "Right", "RPad", "RTrim", "StrIndex", "Substr", "Trim", "ACos", "ASin", "ATan",
    "ATan2", "Ceil", "Cos", "Cot", "Degrees", "Exp", "Floor", "Ln", "Log", "Mod", "Pi", "Power",
    "Radians", "Sign", "Sin", "Sqrt", "Tan", "run_sync", "Collate", "JSONObject",
    "JSONArray", "Ntile", "Random", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "StringAgg",
    "WindowFrame", "Choices", "IntegerChoices", "TextChoices", "Lookup", "Transform",
    "KT",
]

#: Django's spelling of the window function.
Ntile = NTile

# SPEC §1: model modules need only ``import orm``; relation fields live in ``associations``.
try:
    from associations import *  # noqa: E402,F401,F403
    from associations import __all__ as _association_names  # type: ignore[attr-defined]  # noqa: E402

    __all__ += list(_association_names)
except ImportError as _error:  # pragma: no cover - only while associations is being built
    if getattr(_error, "name", None) not in ("associations",):
        raise
