"""``newsletter subscribers``: the subscriber list's commands."""

from __future__ import annotations

import click

from newsletter.service_cli import serve


@click.group()
def subscribers() -> None:
    """Manage the subscriber list and run the list service."""


subscribers.add_command(serve)
