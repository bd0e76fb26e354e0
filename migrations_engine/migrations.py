"""The namespace migration files import: ``from migrations_engine import migrations``.

``migrations.Migration`` and every operation class (``migrations.CreateModel``...).
"""

from .migration import Migration, swappable_dependency
from .operations import (
    AddConstraint,
    AddField,
    AddIndex,
    AlterField,
    AlterModelManagers,
    AlterModelOptions,
    AlterModelTable,
    AlterModelTableComment,
    AlterUniqueTogether,
    CreateModel,
    DeleteModel,
    Operation,
    RemoveConstraint,
    RemoveField,
    RemoveIndex,
    RenameField,
    RenameIndex,
    RenameModel,
    RunPython,
    RunSQL,
    SeparateDatabaseAndState,
)

__all__ = [
    "Migration",
    "swappable_dependency",
    "Operation",
    "CreateModel",
    "DeleteModel",
    "RenameModel",
    "AlterModelTable",
    "AlterModelTableComment",
    "AlterModelOptions",
    "AlterModelManagers",
    "AlterUniqueTogether",
    "AddField",
    "RemoveField",
    "AlterField",
    "RenameField",
    "AddIndex",
    "RemoveIndex",
    "RenameIndex",
    "AddConstraint",
    "RemoveConstraint",
    "RunSQL",
    "RunPython",
    "SeparateDatabaseAndState",
]
