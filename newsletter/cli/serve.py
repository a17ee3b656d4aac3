"""``newsletter serve``: the live preview of one issue."""

from __future__ import annotations

import time
from pathlib import Path

import click

from newsletter.cli.options import content_option
from newsletter.cli.runner import Runner


@click.command()
@click.argument("issue", required=False)
@content_option()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="0 picks a free port.",
)
@click.pass_obj
def serve(run: Runner, issue: str | None, content_dir: Path, port: int) -> None:
    """Preview ISSUE (default: the latest) on 127.0.0.1, rebuilt and reloaded on every save."""
    from newsletter.serve import PreviewServer

    server = run(lambda: PreviewServer(content_dir, port, issue))
    server.start()
    click.echo(f"Previewing at {server.url} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.stop()
