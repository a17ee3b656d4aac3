"""``newsletter new``: start the next issue from the latest one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newsletter.cli.options import content_option, parse_date
from newsletter.cli.runner import Runner


@click.command()
@content_option()
@click.option("--start", callback=parse_date, help="First day of the period (default: continue).")
@click.option("--end", callback=parse_date, help="Last day of the period (default: same length).")
@click.pass_obj
def new(run: Runner, content_dir: Path, start: Any, end: Any) -> None:
    """Start the next issue from the latest one: number, period, sections, empty table."""
    from newsletter.commands.new import new_issue

    created = run(lambda: new_issue(content_dir, start, end))
    click.echo(
        f"Created issue {created.number} ({created.start} to {created.end}) in {created.folder}"
    )
    click.echo("Fill in the sections and the IED table, then run: newsletter check")
