"""``makemigrations --merge``: a migration joining an app's conflicting leaves."""

from __future__ import annotations

import re

from migrations_engine.arrangement import auto_name, next_number
from migrations_engine.migration import Migration

__all__ = ["merge_migration", "merge_name"]

_MAX_MERGE_NAME = 47


def merge_name(leaves: list[str]) -> str:
    """``merge_<leaf suffixes>`` (``merge_add_a_add_b``), or ``merge_<time>`` when long."""
    suffixes = [re.sub(r"^\d+_?", "", leaf) or leaf for leaf in sorted(leaves)]
    name = "merge_" + "_".join(suffixes)
    if len(name) > _MAX_MERGE_NAME:
        return "merge_" + auto_name().removeprefix("auto_")
    return name


def merge_migration(app_label: str, leaves: list[str], name: str | None = None) -> Migration:
    """A migration of ``app_label`` depending on every leaf in ``leaves``, with no operations."""
    number = max(next_number(leaf) for leaf in leaves)
    migration = Migration(f"{number:04d}_{name or merge_name(leaves)}", app_label)
    migration.dependencies = sorted((app_label, leaf) for leaf in leaves)
    migration.operations = []
    migration.initial = None
    return migration
