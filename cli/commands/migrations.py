"""Migration commands: makemigrations, migrate, showmigrations, sqlmigrate, squashmigrations, checkdb.

Each is a thin wrapper over the function of the same name in
``migrations_engine.commands``; the engine does the work and writes to the
stream it is given.
"""

from __future__ import annotations

import sys

import click

from cli.app import EchoStream, get_state

__all__ = ["COMMANDS"]


def _engine():  # type: ignore[no-untyped-def]
    from migrations_engine import commands

    return commands


def _exit_code(result: object) -> int:
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


@click.command()
@click.argument("app_labels", metavar="[APP]...", nargs=-1)
@click.option(
    "--dry-run", is_flag=True, help="Print the migrations that would be written; write nothing."
)
@click.option(
    "--check",
    is_flag=True,
    help="Exit with code 1 if model changes have no migration yet; write nothing.",
)
@click.option("--name", "-n", metavar="NAME", help="Name the new migration (NNNN_<NAME>.py).")
@click.option("--empty", is_flag=True, help="Write an empty migration (for RunPython or RunSQL).")
@click.option("--merge", is_flag=True, help="Write a merge migration for conflicting leaves.")
@click.option(
    "--noinput",
    "--no-input",
    "noinput",
    is_flag=True,
    help="Ask nothing: unconfirmed renames and missing one-off defaults are errors.",
)
@click.option(
    "--rename",
    "renames",
    metavar="RENAME",
    multiple=True,
    help="Confirm a rename: app.Model.old=new (a field) or app.Old=New (a model). Repeatable.",
)
def makemigrations(
    app_labels: tuple[str, ...],
    dry_run: bool,
    check: bool,
    name: str | None,
    empty: bool,
    merge: bool,
    noinput: bool,
    renames: tuple[str, ...],
) -> None:
    """Write new migrations for changes to the models of APP (default: every app).

    Says "No changes detected" when there is nothing to write.
    """
    state = get_state()
    result = _engine().makemigrations(
        list(app_labels),
        dry_run=dry_run,
        check=check,
        name=name,
        empty=empty,
        merge=merge,
        interactive=not noinput,
        renames=list(renames),
        stdout=EchoStream(),
        stdin=sys.stdin,
        verbosity=state.verbosity,
    )
    raise click.exceptions.Exit(_exit_code(result))


@click.command()
@click.argument("app_label", metavar="[APP", required=False)
@click.argument("target", metavar="[TARGET]]", required=False)
@click.option(
    "--plan",
    is_flag=True,
    help="List the operations that would run (destructive ones marked); run nothing.",
)
@click.option(
    "--fake",
    is_flag=True,
    help="Record the migrations as applied (or unapplied) without running them.",
)
@click.option(
    "--fake-initial",
    is_flag=True,
    help="Mark initial migrations as applied when all their tables already exist.",
)
def migrate(
    app_label: str | None, target: str | None, plan: bool, fake: bool, fake_initial: bool
) -> None:
    """Apply migrations, or unapply down to TARGET.

    TARGET is a migration name or a unique prefix of one (0002), or zero to
    unapply every migration of APP. Shows each migration with its timing.
    """
    state = get_state()
    result = _engine().migrate(
        app_label,
        target,
        database=state.database,
        plan=plan,
        fake=fake,
        fake_initial=fake_initial,
        stdout=EchoStream(),
        verbosity=state.verbosity,
    )
    raise click.exceptions.Exit(_exit_code(result))


@click.command()
@click.argument("app_labels", metavar="[APP]...", nargs=-1)
@click.option(
    "--plan", is_flag=True, help="List every migration in the order migrate applies them."
)
@click.option(
    "--graph",
    "graph_format",
    type=click.Choice(["mermaid", "dot"]),
    help="Draw the dependency graph in Mermaid or Graphviz dot syntax.",
)
def showmigrations(app_labels: tuple[str, ...], plan: bool, graph_format: str | None) -> None:
    """List migrations and whether they are applied ([X]) or not ([ ])."""
    state = get_state()
    result = _engine().showmigrations(
        list(app_labels),
        database=state.database,
        plan=plan,
        graph_format=graph_format,
        stdout=EchoStream(),
    )
    raise click.exceptions.Exit(_exit_code(result))


@click.command()
@click.argument("app_label", metavar="APP")
@click.argument("name", metavar="NAME")
@click.option("--backwards", is_flag=True, help="Print the SQL that unapplies the migration.")
def sqlmigrate(app_label: str, name: str, backwards: bool) -> None:
    """Print the SQL the migration NAME of APP runs on the selected database."""
    state = get_state()
    result = _engine().sqlmigrate(
        app_label, name, database=state.database, backwards=backwards, stdout=EchoStream()
    )
    raise click.exceptions.Exit(_exit_code(result))


@click.command()
@click.argument("app_label", metavar="APP")
@click.argument("names", metavar="[START] END", nargs=-1, required=True)
@click.option("--squashed-name", metavar="NAME", help="Name of the squashed migration.")
@click.option(
    "--noinput",
    "--no-input",
    "noinput",
    is_flag=True,
    help="Do not ask for confirmation.",
)
def squashmigrations(
    app_label: str, names: tuple[str, ...], squashed_name: str | None, noinput: bool
) -> None:
    """Squash the migrations of APP from START (default: the first) to END into one."""
    if len(names) > 2:
        raise click.UsageError(
            f"squashmigrations takes APP [START] END, got {len(names)} migration names"
        )
    start, end = (None, names[0]) if len(names) == 1 else names
    result = _engine().squashmigrations(
        app_label,
        start,
        end,
        squashed_name=squashed_name,
        interactive=not noinput,
        stdout=EchoStream(),
        stdin=sys.stdin,
        verbosity=get_state().verbosity,
    )
    raise click.exceptions.Exit(_exit_code(result))


@click.command()
def checkdb() -> None:
    """Compare the live schema with the migration state; exit 1 on drift."""
    state = get_state()
    result = _engine().checkdb(database=state.database, stdout=EchoStream())
    raise click.exceptions.Exit(_exit_code(result))


COMMANDS = [makemigrations, migrate, showmigrations, sqlmigrate, squashmigrations, checkdb]
