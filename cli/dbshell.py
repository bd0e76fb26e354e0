"""The command line of each database's own client (``manouche dbshell``).

The password never goes on the command line, where ``ps`` would show it:
psql reads it from ``PGPASSWORD``, the MySQL/MariaDB client from an option
file given with ``--defaults-extra-file`` (removed when the client exits).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from backends.errors import ImproperlyConfigured
from backends.urls import DatabaseURL

__all__ = ["ShellCommand", "shell_command", "run_shell"]

#: vendor -> the clients tried, in order, and how to install one.
CLIENTS = {
    "sqlite": (("sqlite3",), "install the sqlite3 command-line shell (e.g. apt install sqlite3)"),
    "postgresql": (("psql",), "install the PostgreSQL client (e.g. apt install postgresql-client)"),
    "mysql": (
        ("mariadb", "mysql"),
        "install the MariaDB or MySQL client (e.g. apt install mariadb-client)",
    ),
}
#: PostgreSQL URL options that psql understands as conninfo keywords.
_PG_KEYWORDS = (
    "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "application_name",
    "options", "target_session_attrs", "service", "passfile", "channel_binding",
)  # fmt: skip


@dataclass
class ShellCommand:
    """The argv and environment additions of a client, plus an option file to remove after."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    option_file: str | None = None


def _conninfo_value(value: str) -> str:
    if value and all(char.isalnum() or char in "._-/:" for char in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _find_client(vendor: str) -> str:
    names, how = CLIENTS[vendor]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise ImproperlyConfigured(
        f"dbshell: the {' or '.join(names)} client was not found on PATH; {how}"
    )


def shell_command(url: DatabaseURL, parameters: Sequence[str] = ()) -> ShellCommand:
    """Build the client command for ``url``; extra ``parameters`` go to the client as-is.

    Raises ``ImproperlyConfigured`` when the client is not installed.
    """
    client = _find_client(url.vendor)
    if url.vendor == "sqlite":
        return ShellCommand([client, url.name, *parameters])
    if url.vendor == "postgresql":
        pieces = {"host": url.host, "port": url.port, "user": url.user, "dbname": url.name}
        options = url.driver_options
        for keyword in _PG_KEYWORDS:
            if keyword in options:
                pieces[keyword] = options[keyword]
        conninfo = " ".join(
            f"{key}={_conninfo_value(str(value))}" for key, value in pieces.items() if value
        )
        env = {"PGPASSWORD": url.password} if url.password else {}
        return ShellCommand([client, conninfo, *parameters], env)
    argv = [client]
    option_file = None
    if url.password:
        handle, option_file = tempfile.mkstemp(prefix="manouche-", suffix=".cnf")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # Option files take the value up to the end of the line; quote it so
            # that '#' and spaces survive.
            escaped = url.password.replace("\\", "\\\\").replace('"', '\\"')
            stream.write(f'[client]\npassword="{escaped}"\n')
        argv.append(f"--defaults-extra-file={option_file}")
    if url.host:
        argv.append(f"--host={url.host}")
    if url.port:
        argv.append(f"--port={url.port}")
    if url.user:
        argv.append(f"--user={url.user}")
    charset = url.driver_options.get("charset")
    if charset:
        argv.append(f"--default-character-set={charset}")
    argv += [url.name, *parameters]
    return ShellCommand(argv, {}, option_file)


def run_shell(url: DatabaseURL, parameters: Sequence[str] = ()) -> int:
    """Run the database's client attached to this terminal; return its exit code."""
    command = shell_command(url, parameters)
    try:
        completed = subprocess.run(command.argv, env={**os.environ, **command.env}, check=False)
    finally:
        if command.option_file:
            Path(command.option_file).unlink(missing_ok=True)
    return completed.returncode
