"""The database error hierarchy shared by every backend (SPEC §10).

`orm.exceptions` re-exports these same classes, so a caller catches one
`IntegrityError` whatever the vendor. Backends re-raise driver errors as the
class of the same meaning with ``raise Ours(str(error)) from error``.
"""

from __future__ import annotations

__all__ = [
    "Error",
    "DatabaseError",
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "TransactionManagementError",
    "DataError",
    "InterfaceError",
    "NotSupportedError",
    "ImproperlyConfigured",
]


class Error(Exception):
    """Base class of every database error raised by manouche."""


class InterfaceError(Error):
    """The connection object is unusable (closed, broken) rather than the database."""


class DatabaseError(Error):
    """An error reported by the database."""


class IntegrityError(DatabaseError):
    """A constraint was violated: unique, foreign key, not null or check."""


class OperationalError(DatabaseError):
    """The database could not do the work: unreachable, locked, missing file, timeout."""


class ProgrammingError(DatabaseError):
    """The SQL is wrong: syntax error, unknown table or column."""


class TransactionManagementError(ProgrammingError):
    """A statement or transaction call that the transaction's state forbids.

    As in Django: ``select_for_update()`` outside a transaction, the rollback
    flag outside ``atomic``, a query in a transaction that an error has broken.
    """


class DataError(DatabaseError):
    """A value does not fit its column: too long, out of range, invalid."""


class NotSupportedError(DatabaseError):
    """The backend does not support the requested feature."""


class ImproperlyConfigured(Exception):
    """The configuration (URL, options, definitions) is wrong; the message says how to fix it."""
