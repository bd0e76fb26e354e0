"""Every migration operation (Django's names and constructor arguments)."""

from .base import Operation
from .fields import AddField, AlterField, FieldOperation, RemoveField, RenameField
from .indexes import AddConstraint, AddIndex, RemoveConstraint, RemoveIndex, RenameIndex
from .models import (
    AlterModelManagers,
    AlterModelOptions,
    AlterModelTable,
    AlterModelTableComment,
    AlterUniqueTogether,
    CreateModel,
    DeleteModel,
    ModelOperation,
    RenameModel,
)
from .special import RunPython, RunSQL, SeparateDatabaseAndState

__all__ = [
    "Operation",
    "ModelOperation",
    "FieldOperation",
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
