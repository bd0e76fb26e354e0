"""mysql schema introspection."""

from __future__ import annotations

from ..base.introspection import Introspection as BaseIntrospection

__all__ = ["Introspection"]


class Introspection(BaseIntrospection):
    """Reads the live mysql schema."""
