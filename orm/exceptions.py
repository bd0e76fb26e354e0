"""Every exception manouche raises, in one hierarchy (SPEC §10).

The database errors are the classes of :mod:`backends.errors`, re-exported so
that ``orm.IntegrityError`` is the very class a backend raises.
"""

from __future__ import annotations

from backends.errors import (
    DatabaseError,
    DataError,
    Error,
    ImproperlyConfigured,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    TransactionManagementError,
)

__all__ = [
    "Error",
    "DatabaseError",
    "DataError",
    "IntegrityError",
    "InterfaceError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "TransactionManagementError",
    "ImproperlyConfigured",
    "ObjectDoesNotExist",
    "MultipleObjectsReturned",
    "FieldError",
    "FieldDoesNotExist",
    "ValidationError",
    "ProtectedError",
    "RestrictedError",
    "EmptyResultSet",
]


class ObjectDoesNotExist(Exception):
    """The query matched no row; every model's ``DoesNotExist`` derives from it."""


class MultipleObjectsReturned(Exception):
    """``get()`` matched more than one row."""


class FieldError(Exception):
    """A field or lookup name that the model does not have, or a misuse of one."""


class FieldDoesNotExist(Exception):
    """``Options.get_field()`` was asked for a name the model does not have."""


class EmptyResultSet(Exception):
    """Internal: a WHERE clause that can match nothing (``pk__in=[]``)."""


class ValidationError(Exception):
    """Invalid data; ``message_dict`` maps field names (or ``__all__``) to messages."""

    NON_FIELD_ERRORS = "__all__"

    def __init__(self, message, code=None, params=None):
        if isinstance(message, ValidationError):
            message = message.message_dict if message.error_dict else message.messages
        self.code = code
        self.params = params
        if isinstance(message, dict):
            self.error_dict: dict[str, list[str]] | None = {}
            for field, messages in message.items():
                if isinstance(messages, ValidationError):
                    messages = messages.messages
                elif isinstance(messages, str):
                    messages = [messages]
                self.error_dict.setdefault(field, []).extend(str(m) for m in messages)
            self.error_list = [m for msgs in self.error_dict.values() for m in msgs]
        else:
            self.error_dict = None
            if isinstance(message, (list, tuple)):
                self.error_list = []
                for item in message:
                    if isinstance(item, ValidationError):
                        self.error_list.extend(item.messages)
                    else:
                        self.error_list.append(str(item))
            else:
                text = str(message)
                if params:
                    text = text % params
                self.error_list = [text]
        super().__init__(self.message_dict if self.error_dict is not None else self.error_list)

    @property
    def message_dict(self) -> dict[str, list[str]]:
        """Messages per field name; errors not tied to a field are under ``__all__``."""
        if self.error_dict is None:
            return {self.NON_FIELD_ERRORS: list(self.error_list)}
        return self.error_dict

    @property
    def messages(self) -> list[str]:
        """Every message, flattened."""
        return list(self.error_list)

    def update_error_dict(self, error_dict: dict) -> dict:
        for field, messages in self.message_dict.items():
            error_dict.setdefault(field, []).extend(messages)
        return error_dict

    def __str__(self) -> str:
        if self.error_dict is not None:
            return repr(self.error_dict)
        return repr(self.error_list) if len(self.error_list) != 1 else self.error_list[0]


class ProtectedError(IntegrityError):
    """Deleting would remove objects that a ``PROTECT`` foreign key points at."""

    def __init__(self, msg, protected_objects):
        self.protected_objects = protected_objects
        super().__init__(msg)


class RestrictedError(IntegrityError):
    """Deleting would remove objects that a ``RESTRICT`` foreign key points at."""

    def __init__(self, msg, restricted_objects):
        self.restricted_objects = restricted_objects
        super().__init__(msg)
