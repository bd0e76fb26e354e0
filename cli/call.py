"""Running ``manouche``: ``main()`` for the console script, ``call_command()`` from Python."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any, TextIO

import click

from cli.app import CliState, manouche

__all__ = ["main", "call_command"]

#: call_command keywords that are global options (they go before the command name).
_GLOBAL_OPTIONS = {
    "config": "--config",
    "database_url": "--database-url",
    "database": "--database",
    "verbosity": "--verbosity",
}


def main(args: Sequence[str] | None = None, prog_name: str = "manouche") -> None:
    """Run ``manouche`` with ``args`` (default: ``sys.argv[1:]``) and exit with its code."""
    manouche.main(args=list(args) if args is not None else None, prog_name=prog_name)


def call_command(
    name: str,
    /,
    *args: Any,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
    **options: Any,
) -> int:
    """Run the command ``name`` in-process, as on the command line, and return its exit code.

    Positional ``args`` are the command's arguments; keyword ``options`` are
    its options by their Python names (``fake_initial=True``, ``rename=[...]``
    or ``renames=[...]``) or as spelled on the command line (``graph="dot"``), plus the global ``config``, ``database_url``,
    ``database``, ``verbosity`` and ``no_color``. ``interactive=False`` is
    ``--noinput``. A configuration made with ``orm.configure()`` is kept
    unless ``config`` or ``database_url`` is given. Output goes to
    ``stdout`` / ``stderr`` when given, else to ``sys.stdout`` / ``sys.stderr``.

        call_command("migrate", "blog", "zero", database="default")
    """
    words = name.split()
    global_argv: list[str] = []
    for key in list(options):
        if key in _GLOBAL_OPTIONS:
            value = options.pop(key)
            if value is not None:
                global_argv += [_GLOBAL_OPTIONS[key], str(value)]
        elif key == "no_color":
            if options.pop(key):
                global_argv.append("--no-color")
    command = _find_command(words, args)
    command_argv = [*words, *(str(arg) for arg in args), *_option_argv(command, name, options)]
    state = CliState(reuse_configuration=True)
    with contextlib.ExitStack() as stack:
        if stdout is not None:
            stack.enter_context(contextlib.redirect_stdout(stdout))
        if stderr is not None:
            stack.enter_context(contextlib.redirect_stderr(stderr))
        if stdin is not None:
            stack.enter_context(_replace_stdin(stdin))
        try:
            manouche.main(args=global_argv + command_argv, prog_name="manouche", obj=state)
        except SystemExit as exit_:
            return _exit_status(exit_.code)
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


@contextlib.contextmanager
def _replace_stdin(stream: TextIO):  # type: ignore[no-untyped-def]
    import sys

    previous = sys.stdin
    sys.stdin = stream if not isinstance(stream, str) else io.StringIO(stream)
    try:
        yield
    finally:
        sys.stdin = previous


def _find_command(words: list[str], args: tuple[Any, ...]) -> click.Command | None:
    """The click command ``words`` (plus a subcommand named first in ``args``) refer to."""
    command: click.Command | None = manouche
    for word in [*words, *(str(arg) for arg in args[:1])]:
        if not isinstance(command, click.Group):
            break
        found = command.commands.get(word)
        if found is None:
            return None if command is manouche else command
        command = found
    return None if command is manouche else command


def _option_argv(command: click.Command | None, name: str, options: dict[str, Any]) -> list[str]:
    if not options:
        return []
    if command is None:
        raise TypeError(f"call_command: unknown command {name!r}; see `manouche --help`")
    params = {param.name: param for param in command.params if isinstance(param, click.Option)}
    # An option may also be named as it is spelled on the command line (graph= for --graph).
    for option in list(params.values()):
        for spelling in option.opts:
            if spelling.startswith("--"):
                params.setdefault(spelling[2:].replace("-", "_"), option)
    # Django's call_command spells --noinput as interactive=False.
    if "interactive" in options and "noinput" in params:
        options["noinput"] = not options.pop("interactive")
    argv: list[str] = []
    for key, value in options.items():
        param = params.get(key) or params.get(key + "s") or params.get(key.rstrip("s"))
        if param is None:
            valid = ", ".join(sorted(str(p) for p in params))
            raise TypeError(
                f"call_command: {command.name} has no option {key!r}; its options are: {valid}"
            )
        flag = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
        if param.is_flag:
            if value:
                argv.append(flag)
        elif param.multiple:
            values = [value] if isinstance(value, str) else list(value or [])
            for item in values:
                argv += [flag, str(item)]
        elif value is not None:
            argv += [flag, str(value)]
    return argv
