"""PostgreSQL backend (psycopg 3, optional psycopg_pool pooling)."""

from .connection import Connection

__all__ = ["Connection"]
