"""``newsletter check``: every problem and warning at once, as text or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.options import content_option
from newsletter.cli.runner import Runner


@click.command()
@click.argument("issues", nargs=-1)
@content_option()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: each finding with its source line; json: for other tools.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.pass_obj
def check(
    run: Runner, issues: tuple[str, ...], content_dir: Path, output_format: str, strict: bool
) -> None:
    """Validate ISSUES (default: all) and report every problem and warning at once.

    Each finding is `path:line:column: field: message`, followed by the line it is about.
    """
    from newsletter import report
    from newsletter.commands.check import check as do_check
    from newsletter.errors import ContentError

    try:
        project = do_check(content_dir, issues)
        findings, count = list(project.warnings), len(project.issues)
    except ContentError as exc:
        if run.debug:
            raise
        findings, count = list(exc.problems) + list(exc.warnings), -1
    errors = sorted(f for f in findings if f.severity == "error")
    warnings = sorted(f for f in findings if f.severity != "error")
    findings = errors + warnings  # errors first: they are what stops the build
    if output_format == "json":
        click.echo(report.as_json(findings))
    else:
        if findings:
            click.echo(report.as_text(findings), err=bool(errors))
        summary = f"{len(errors)} error(s), {len(warnings)} warning(s)"
        if count >= 0:
            summary = f"{count} issue(s) checked: {summary}."
        else:
            summary = f"{summary}; fix the errors before building."
        click.echo(summary, err=bool(errors))
    if errors or (strict and warnings):
        sys.exit(1)
