"""MySQL / MariaDB backend (pymysql)."""

from .connection import Connection

__all__ = ["Connection"]
