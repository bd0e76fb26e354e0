"""The ``manouche`` command line (SPEC §9) and ``call_command`` to run its commands from Python.

from cli import call_command
call_command("migrate", "blog", "zero", database="default")   # -> exit code
"""

from __future__ import annotations

from cli.call import call_command, main

__all__ = ["main", "call_command"]
