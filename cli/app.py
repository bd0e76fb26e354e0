"""The ``manouche`` click group: global options, configuration, error handling.

Every command is a thin wrapper: it reads its options, calls a plain function
(``migrations_engine.commands``, ``cli.inspectdb``, ``cli.dbshell``,
``contenttypes.prune_content_types``) and turns the result into an exit code.
Errors a user can fix end the run with exit code 1 and one line on stderr,
``Error: <what is wrong>``; ``-v 2`` adds the traceback.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import click

__all__ = ["manouche", "CliState", "EchoStream", "user_errors", "get_state"]


@dataclass
class CliState:
    """What the global options decided, shared with every command through ``ctx.obj``."""

    database: str = "default"
    verbosity: int = 1
    color: bool = True
    config_path: Path | None = None
    #: ``call_command`` sets this: a configuration made with ``orm.configure()``
    #: (or already loaded) is kept unless --config or --database-url is given.
    reuse_configuration: bool = False
    settings: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class EchoStream:
    """A text stream that writes through ``click.echo`` (so --no-color and CliRunner apply)."""

    def __init__(self, err: bool = False) -> None:
        self.err = err

    def write(self, text: str) -> int:
        click.echo(_highlight(text), nl=False, err=self.err)
        return len(text)

    def flush(self) -> None:
        stream = sys.stderr if self.err else sys.stdout
        stream.flush()

    def isatty(self) -> bool:
        stream = sys.stderr if self.err else sys.stdout
        return bool(getattr(stream, "isatty", lambda: False)())

    @property
    def encoding(self) -> str:
        return getattr(sys.stdout, "encoding", None) or "utf-8"


#: Words of the engine's reports worth a colour; click strips it when the output is not
#: a terminal, and always with --no-color or NO_COLOR.
_HIGHLIGHTS: list[tuple[re.Pattern[str], dict[str, Any]]] = [
    (re.compile(r"(?<= )(OK|FAKED)(?= \()"), {"fg": "green", "bold": True}),
    (re.compile(r"(?<= )FAILED\b"), {"fg": "red", "bold": True}),
    (re.compile(r"\[(DESTRUCTIVE|IRREVERSIBLE)\]"), {"fg": "yellow", "bold": True}),
    (re.compile(r"\[X\]"), {"fg": "green"}),
    (
        re.compile(
            r"^(Migrations for|Operations to perform|Running migrations|Planned operations)"
            r"\b.*?:",
            re.MULTILINE,
        ),
        {"bold": True},
    ),
    (re.compile(r"^(Drift\b.*)$", re.MULTILINE), {"fg": "red", "bold": True}),
]


def _highlight(text: str) -> str:
    for pattern, style in _HIGHLIGHTS:
        text = pattern.sub(partial(_styled, style=style), text)
    return text


def _styled(match: re.Match[str], style: dict[str, Any]) -> str:
    return click.style(match.group(0), **style)


def user_errors() -> tuple[type[BaseException], ...]:
    """The exception classes that mean "the user can fix this": exit 1, no traceback."""
    import backends.errors
    import orm.exceptions

    classes: list[type[BaseException]] = [
        backends.errors.Error,
        backends.errors.ImproperlyConfigured,
        orm.exceptions.FieldError,
        orm.exceptions.FieldDoesNotExist,
        orm.exceptions.ValidationError,
        OSError,
    ]
    try:
        from migrations_engine import errors as migration_errors
    except ImportError:
        migration_errors = None  # type: ignore[assignment]
    if migration_errors is not None:
        for value in vars(migration_errors).values():
            if (
                isinstance(value, type)
                and issubclass(value, Exception)
                and value.__module__ == migration_errors.__name__
            ):
                classes.append(value)
    return tuple(classes)


def _one_line(error: BaseException) -> str:
    message = str(error).strip() or type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in message:
        message = f"{error.filename}: {message}"
    if isinstance(error, (ImportError, SyntaxError)):
        message = f"{type(error).__name__}: {message}"
    # One line on stderr: drivers' messages often span several.
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


_GLOBAL_OPTIONS_WITH_VALUE = ("--config", "--database-url", "--database", "--verbosity", "-v")


def _is_global_option(token: str) -> bool:
    name = token.split("=", 1)[0]
    return (
        token == "--no-color"
        or name in _GLOBAL_OPTIONS_WITH_VALUE[:-1] and "=" in token
        or token.startswith("-v") and token[2:].isdigit()
    )


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with global options given after the command name moved before it.

    So ``manouche migrate --database-url URL`` works as ``manouche --database-url URL
    migrate`` does (as Django's ``migrate --database``); ``--`` ends the search.
    """
    position = 0
    while position < len(args) and args[position].startswith("-"):
        position += 2 if args[position] in _GLOBAL_OPTIONS_WITH_VALUE else 1
    hoisted: list[str] = []
    rest: list[str] = []
    index = position + 1
    while index < len(args):
        token = args[index]
        if token == "--":
            rest += args[index:]
            break
        if token in _GLOBAL_OPTIONS_WITH_VALUE and index + 1 < len(args):
            hoisted += args[index : index + 2]
            index += 2
            continue
        (hoisted if _is_global_option(token) else rest).append(token)
        index += 1
    return args[:position] + hoisted + args[position : position + 1] + rest


class ManoucheGroup(click.Group):
    """A click group that turns our exceptions into ``Error: ...`` and exit code 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except user_errors() as error:
            raise _as_click_error(ctx, error) from error
        except (ImportError, SyntaxError) as error:
            # Only errors raised while importing the user's apps and migrations
            # reach here as such; they name the module or file.
            raise _as_click_error(ctx, error) from error

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


def _as_click_error(ctx: click.Context, error: BaseException) -> click.ClickException:
    state = ctx.find_object(CliState)
    if state is not None and state.verbosity >= 2:
        traceback.print_exception(error, file=sys.stderr)
    return click.ClickException(_one_line(error))


def get_state() -> CliState:
    """The ``CliState`` of the running command."""
    return click.get_current_context().ensure_object(CliState)


def configure_orm(state: CliState, config: str | None, database_url: str | None) -> None:
    """Load the settings (SPEC §2 precedence) and configure the ORM with them."""
    import orm
    from orm.config import load_pyproject, load_settings, settings

    explicit = bool(config or database_url)
    if state.reuse_configuration and not explicit and settings.is_loaded:
        state.settings = settings.get()
    else:
        if config is not None:
            path = Path(config)
            if path.is_dir():
                path = path / "pyproject.toml"
            if not path.is_file():
                raise orm.ImproperlyConfigured(
                    f"--config {config}: no such file (give the path of a pyproject.toml)"
                )
            config = str(path)
            if not load_pyproject(path):
                raise orm.ImproperlyConfigured(
                    f"--config {config}: no [tool.manouche] table in this file "
                    '(add one with at least apps = ["yourapp"])'
                )
        loaded = load_settings(config, database_url)
        base_dir = loaded.base_dir or Path.cwd()
        if str(base_dir) not in sys.path:
            sys.path.insert(0, str(base_dir))
        import backends

        for alias, url in loaded.databases.items():
            try:
                backends.parse_url(url)
            except orm.ImproperlyConfigured as error:
                raise orm.ImproperlyConfigured(f"database {alias!r}: {error}") from None
        orm.configure(
            apps=loaded.apps,
            databases=loaded.databases,
            routers=loaded.routers,
            default_auto_field=loaded.default_auto_field,
        )
        # configure() records itself as the source; keep where the settings came from.
        current = settings.get()
        current.source = loaded.source
        current.base_dir = loaded.base_dir
        state.settings = current
    if state.database not in state.settings.databases:
        raise orm.ImproperlyConfigured(
            f"--database {state.database}: no such database alias; configured aliases: "
            f"{', '.join(sorted(state.settings.databases))}"
        )


def _color_default() -> bool | None:
    return False if os.environ.get("NO_COLOR") else None


@click.group(cls=ManoucheGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    metavar="PATH",
    type=click.Path(dir_okay=True, path_type=str),
    help="The pyproject.toml to read [tool.manouche] from "
    "(default: the nearest one from the working directory upwards).",
)
@click.option(
    "--database-url",
    metavar="URL",
    help="URL of the default database; wins over DATABASE_URL and the pyproject.",
)
@click.option(
    "--database",
    metavar="ALIAS",
    default="default",
    show_default=True,
    help="The database alias the command works on.",
)
@click.option(
    "-v",
    "--verbosity",
    type=click.IntRange(0, 3),
    metavar="N",
    default=1,
    show_default=True,
    help="0 quiet, 1 normal, 2 verbose (tracebacks on errors), 3 very verbose.",
)
@click.option("--no-color", is_flag=True, help="Do not colour the output (NO_COLOR works too).")
@click.version_option(package_name="manouche", prog_name="manouche")
@click.pass_context
def manouche(
    ctx: click.Context,
    config: str | None,
    database_url: str | None,
    database: str,
    verbosity: int,
    no_color: bool,
) -> None:
    """manouche: migrations and database tools for manouche models.

    Configuration comes from --config / --database-url, then DATABASE_URL,
    then [tool.manouche] in the nearest pyproject.toml, then
    sqlite:///db.sqlite3 (see docs/configuration.md).
    """
    state = ctx.ensure_object(CliState)
    state.database = database
    state.verbosity = verbosity
    state.color = not no_color and _color_default() is None
    state.config_path = Path(config) if config else None
    if not state.color:
        ctx.color = False
    if ctx.resilient_parsing or ctx.invoked_subcommand is None:
        return
    try:
        configure_orm(state, config, database_url)
    except user_errors() as error:
        raise _as_click_error(ctx, error) from error
    except (ImportError, SyntaxError) as error:
        raise _as_click_error(ctx, error) from error


def register_commands(group: click.Group) -> None:
    """Attach every command module's commands to ``group``."""
    from cli.commands import contenttypes_commands, database, fixtures, migrations

    for module in (migrations, database, contenttypes_commands, fixtures):
        for command in module.COMMANDS:
            group.add_command(command)


register_commands(manouche)
