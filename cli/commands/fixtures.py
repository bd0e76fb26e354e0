"""Fixture commands: dumpdata (rows as a JSON fixture) and loaddata (JSON fixtures into the database)."""

from __future__ import annotations

import click

from cli.app import get_state

__all__ = ["COMMANDS"]


@click.command()
@click.argument("labels", metavar="[APP[.MODEL]]...", nargs=-1)
@click.option("--indent", type=click.IntRange(min=0), metavar="N", help="Indent the JSON by N spaces.")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the fixture to FILE instead of standard output.",
)
@click.option(
    "--exclude",
    "-e",
    metavar="APP[.MODEL]",
    multiple=True,
    help="Leave out an app or a model (repeatable).",
)
@click.option(
    "--all",
    "-a",
    "use_base_manager",
    is_flag=True,
    help="Read every row through the base manager, even rows the default manager hides.",
)
def dumpdata(
    labels: tuple[str, ...],
    indent: int | None,
    output: str | None,
    exclude: tuple[str, ...],
    use_base_manager: bool,
) -> None:
    """Print the rows of the given apps or models as a JSON fixture (Django's format).

    Without APP, every model of the configured apps. A model comes after the
    models its foreign keys point to; rows are ordered by primary key and read
    through each model's default manager (see --all).
    """
    from cli.fixtures import dump_data, select_models

    using = get_state().database
    text = dump_data(select_models(labels, exclude, using), using, indent, use_base_manager)
    if output is None:
        click.echo(text)
        return
    with open(output, "w", encoding="utf-8") as stream:
        stream.write(text)


@click.command()
@click.argument("fixtures", metavar="FILE...", nargs=-1, required=True)
def loaddata(fixtures: tuple[str, ...]) -> None:
    """Load JSON fixtures (Django's format) into the database, in one transaction.

    Rows may point forward to rows later in the files; a bad fixture loads nothing.
    """
    from cli.fixtures import load_data

    state = get_state()
    saved, found = load_data(fixtures, state.database)
    if state.verbosity >= 1:
        # Django's wording, "(of N)" when routers kept some objects off this database.
        of = "" if saved == found else f" (of {found})"
        click.echo(f"Installed {saved} object(s){of} from {len(fixtures)} fixture(s)")


COMMANDS = [dumpdata, loaddata]
