"""The ``contenttypes`` command group: ``contenttypes prune`` removes content types of gone models."""

from __future__ import annotations

from typing import Any

import click

from cli.app import get_state

__all__ = ["COMMANDS"]


@click.group(name="contenttypes")
def contenttypes_group() -> None:
    """Content type maintenance (the contenttypes app)."""


def _describe(item: Any) -> str:
    # PrunedContentType prints as "app.model (3 app.Comment)": the label and its generic rows.
    return str(item)


def _report_removed(result: Any) -> None:
    # Django's delete() shape: (total, {"app.Model": count}); or a list of what went.
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        total, per_label = result
        click.echo(f"Removed {total} row(s):")
        for label, count in sorted(per_label.items()):
            click.echo(f"  {label}: {count}")
        return
    items = list(result or [])
    click.echo(f"Removed {len(items)} content type(s):")
    for item in items:
        click.echo(f"  - {_describe(item)}")


@contenttypes_group.command()
@click.option(
    "--noinput",
    "--no-input",
    "noinput",
    is_flag=True,
    help="Delete without asking for confirmation.",
)
@click.option("--dry-run", is_flag=True, help="Only list the stale content types.")
def prune(noinput: bool, dry_run: bool) -> None:
    """Delete content types whose model no longer exists, and the generic rows pointing at them.

    Lists them first and asks for confirmation (unless --noinput).
    """
    from contenttypes import prune_content_types

    using = get_state().database
    stale = list(prune_content_types(using, dry_run=True) or [])
    if not stale:
        click.echo("No stale content types.")
        return
    click.echo("Stale content types (their model no longer exists):")
    for item in stale:
        click.echo(f"  - {_describe(item)}")
    if dry_run:
        return
    if not noinput and not click.confirm(
        "Delete them, and every row whose generic foreign key points at them?", default=False
    ):
        click.echo("Nothing deleted.")
        return
    _report_removed(prune_content_types(using, dry_run=False))


COMMANDS = [contenttypes_group]
