"""``newsletter subscribers serve``: the list service's command (parse options, call the core)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # cli.py imports this module
    from newsletter.cli import Runner


@click.command("serve")
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("content"),
    show_default=True,
    help="The content folder: newsletter.yaml with its subscriptions: block.",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the store lives [default: state/ beside the content folder].",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.pass_obj
def serve(run: Runner, content_dir: Path, state_dir: Path | None, host: str, port: int) -> None:
    """Run the list service: subscribe, confirm, unsubscribe, SES bounces, health.

    Links are signed with NEWSLETTER_UNSUBSCRIBE_SECRET; the database is
    NEWSLETTER_DATABASE_URL, or SQLite in the state folder.
    """
    from newsletter.statedir import state_for
    from newsletter.subscribers.serve import serve as do_serve

    run(lambda: do_serve(content_dir, state_for(content_dir, state_dir), host, port))
