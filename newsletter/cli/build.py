"""``newsletter build``: every edition of the chosen issues, with a progress bar on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from newsletter.cli.options import content_option, output_option
from newsletter.cli.runner import Runner


class _ProgressBar:
    """A progress bar for the issues' PDFs and emails, on a terminal only (never in logs or
    CI output). It starts on the first report, after the build has forked its workers."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 2:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "PDF and email editions",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("render", total=total)
        self.bar.update(self.task, completed=done)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command()
@click.argument("issues", nargs=-1)
@content_option()
@output_option
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Templates that override the defaults [default: templates/ beside the content].",
)
@click.option(
    "--editions",
    default="email,pdf,web",
    show_default=True,
    help="Which editions to build, comma-separated (e.g. web for a quick archive build).",
)
@click.option("--web-only", is_flag=True, help="Same as --editions web.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for PDFs and emails [default: one per core; 1: none].",
)
@click.pass_obj
def build(
    run: Runner,
    issues: tuple[str, ...],
    content_dir: Path,
    output_dir: Path,
    templates_dir: Path | None,
    editions: str,
    web_only: bool,
    jobs: int | None,
) -> None:
    """Build the email, PDF and web editions of ISSUES (ids or numbers; default: all)."""
    from newsletter.commands.build import build as do_build
    from newsletter.editions import EDITIONS

    chosen = ("web",) if web_only else tuple(e.strip() for e in editions.split(",") if e.strip())
    unknown = [e for e in chosen if e not in EDITIONS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"expected some of {', '.join(EDITIONS)}; got {editions!r}", param_hint="--editions"
        )
    with _ProgressBar() as progress:
        result = run(
            lambda: do_build(content_dir, output_dir, issues, templates_dir, chosen, progress, jobs)
        )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in result.notes:
        click.echo(note)
    if result.unchanged:
        click.echo(
            f"Nothing changed since the last build of {len(result.issues)} issue(s) "
            f"into {output_dir} ({result.seconds:.2f} s)."
        )
        return
    click.echo(
        f"Built {len(result.issues)} issue(s) into {output_dir} in {result.seconds:.1f} s "
        f"({len(result.written)} file(s) changed, {len(result.rendered)} piece(s) of work "
        "redone)."
    )
