"""``newsletter import``: past issues from text exports, saved pages or a WordPress export."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from newsletter.cli.options import content_option, parse_date
from newsletter.cli.runner import Runner
from newsletter.errors import ContentError


def _period(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    start, sep, end = value.partition("..")
    try:
        return parse_date(ctx, param, start), parse_date(ctx, param, end) if sep else None
    except click.BadParameter:
        pass
    raise click.BadParameter(f'expected START..END like 2021-11-04..2021-11-11; got "{value}"')


def _with_sources(exc: ContentError) -> Iterable[str]:
    """A failed import's problems and warnings, each with the source line it is about."""
    from newsletter import report

    return [report.as_text(list(exc.problems) + list(exc.warnings))]


@click.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@content_option()
@click.option("--replace", is_flag=True, help="Replace issues that exist and differ.")
@click.option("--number", type=click.IntRange(min=1), help="The number, if the source has none.")
@click.option("--period", callback=_period, help="START..END, if the source has none.")
@click.option("--dry-run", is_flag=True, help="Read and check the sources; write nothing.")
@click.pass_obj
def import_(
    run: Runner,
    sources: tuple[Path, ...],
    content_dir: Path,
    replace: bool,
    number: int | None,
    period: Any,
    dry_run: bool,
) -> None:
    """Import past issues from text exports, saved pages or a WordPress export (WXR).

    Each issue becomes a folder of content/issues/; nothing is written if any source fails.
    """
    from newsletter import importers, report

    if period is not None and period[1] is None:
        raise click.BadParameter("expected START..END", param_hint="--period")
    result = run(
        lambda: importers.run(sources, content_dir, replace, number, period, dry_run),
        _with_sources,
    )
    for finding in result.warnings + result.findings:
        click.echo(report.located(finding), err=True)
    verb = "Would import" if result.dry_run else "Imported"
    click.echo(
        f"{verb} {len(result.issues)} issue(s) with {result.incidents} incident(s) into "
        f"{content_dir}: {len(result.created)} new, {len(result.replaced)} replaced, "
        f"{len(result.unchanged)} unchanged; {len(result.warnings)} warning(s) about the "
        f"sources, {len(result.findings)} from check."
    )
    if any(finding.severity == "error" for finding in result.findings):
        sys.exit(1)  # written, but `check` refuses it: say so, as `check` would
