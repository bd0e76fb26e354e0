"""manouche's migration engine: states, operations, graph, loader, executor (SPEC §8).

Migration files use ``from migrations_engine import migrations``.
"""

from . import migrations
from .errors import (
    CircularDependencyError,
    CommandError,
    ConflictError,
    InconsistentHistoryError,
    InvalidMigrationError,
    IrreversibleError,
    MigrationError,
    NodeNotFoundError,
)
from .migration import Migration
from .state import ModelState, ProjectState

__all__ = [
    "migrations",
    "Migration",
    "ModelState",
    "ProjectState",
    "MigrationError",
    "CommandError",
    "InvalidMigrationError",
    "NodeNotFoundError",
    "CircularDependencyError",
    "InconsistentHistoryError",
    "IrreversibleError",
    "ConflictError",
]
