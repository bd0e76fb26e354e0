"""Database commands: inspectdb (models for existing tables) and dbshell (the database's client)."""

from __future__ import annotations

import click

from cli.app import get_state

__all__ = ["COMMANDS"]


@click.command()
@click.argument("tables", metavar="[TABLE]...", nargs=-1)
def inspectdb(tables: tuple[str, ...]) -> None:
    """Print model classes (managed = False) for the existing tables of the database.

    Without TABLE, every table except manouche_migrations.
    """
    from cli.inspectdb import inspect_tables
    from orm.connections import connections

    connection = connections[get_state().database]
    for line in inspect_tables(connection, list(tables)):
        click.echo(line)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("parameters", metavar="[-- PARAMETERS]...", nargs=-1, type=click.UNPROCESSED)
def dbshell(parameters: tuple[str, ...]) -> None:
    """Open the database's own shell: sqlite3, psql, or mariadb/mysql.

    Arguments after -- go to the client, e.g. manouche dbshell -- -c "SELECT 1"
    with psql. The password is passed through the environment or an option
    file, never on the command line.
    """
    import backends
    from cli.dbshell import run_shell
    from orm.config import settings

    state = get_state()
    url = backends.parse_url(settings.get().databases[state.database])
    raise click.exceptions.Exit(run_shell(url, parameters))


COMMANDS = [inspectdb, dbshell]
