"""Errors of the migration engine; each message names the file or migration and the fix."""

from __future__ import annotations

__all__ = [
    "MigrationError",
    "CommandError",
    "InvalidMigrationError",
    "BadMigrationError",
    "NodeNotFoundError",
    "CircularDependencyError",
    "InconsistentHistoryError",
    "IrreversibleError",
    "ConflictError",
    "MigrationFailedError",
]


class MigrationError(Exception):
    """Base class of every migration engine error."""


class CommandError(MigrationError):
    """A user error in a command (bad arguments, unknown app or migration)."""


class InvalidMigrationError(MigrationError):
    """A migration file that cannot be used: syntax error, no Migration class, bad operation."""


#: Django's name for a migration module that cannot be loaded.
BadMigrationError = InvalidMigrationError


class NodeNotFoundError(MigrationError):
    """A dependency names a migration that does not exist."""

    def __init__(self, message: str, node: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.node = node


class CircularDependencyError(MigrationError):
    """Migrations depend on each other in a cycle."""


class InconsistentHistoryError(MigrationError):
    """An applied migration depends on one that is not applied."""


class IrreversibleError(MigrationError):
    """An operation cannot be unapplied."""


class ConflictError(MigrationError):
    """An app has several leaf migrations (fix with ``makemigrations --merge``)."""


class MigrationFailedError(MigrationError):
    """A migration failed while running; the message says what already ran."""
