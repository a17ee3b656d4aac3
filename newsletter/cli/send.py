"""``newsletter send``: deliver an issue to every active subscriber once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.options import content_option, output_option, state_option
from newsletter.cli.runner import Runner


def _check_rate(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float:
    """A rate is a finite number of messages per second the clock can wait for."""
    if value is None:
        return 0.0
    if not 0.001 <= value <= 10_000:  # also refuses nan, which compares false
        raise click.BadParameter(f"must be a number from 0.001 to 10000; got {value}")
    return value


@click.command()
@click.argument("issue")
@click.option(
    "--subscribers",
    "subscribers_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import this CSV (an email column, optionally name) into the list first.",
)
@content_option()
@output_option
@state_option()
@click.option(
    "--force", is_flag=True, help="Send even if the issue still holds placeholders (TODO)."
)
@click.option(
    "--dry-run", is_flag=True, help="Count and show one sample message; connect to nothing."
)
@click.option("--test-to", metavar="ADDRESS", help="Send one proof to ADDRESS (not logged).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--report", "show_report", is_flag=True, help="Print sent, failed and pending.")
@click.option(
    "--rate",
    type=float,
    default=None,
    callback=_check_rate,
    help="At most this many messages per second (0.001 to 10000).",
)
@click.option("--greeting", default=None, help='A greeting with {name}, e.g. "Dear {name},".')
@click.pass_obj
def send(
    run: Runner,
    issue: str,
    subscribers_csv: Path | None,
    content_dir: Path,
    output_dir: Path,
    state_dir: Path | None,
    force: bool,
    dry_run: bool,
    test_to: str | None,
    yes: bool,
    show_report: bool,
    rate: float,
    greeting: str | None,
) -> None:
    """Send ISSUE to every active subscriber once: resumable after any crash, never twice.

    The list and the send log are the store's (see `newsletter subscribers`);
    --subscribers FILE.csv imports the file first. An issue that `check` rejects, or that
    still holds placeholders, is refused (placeholders: unless --force).

    SMTP settings come from the smtp: block of newsletter.yaml or NEWSLETTER_SMTP_HOST,
    NEWSLETTER_SMTP_PORT, NEWSLETTER_SMTP_SECURITY (none, starttls, ssl), NEWSLETTER_SMTP_USER
    and NEWSLETTER_SMTP_PASSWORD. Unsubscribe links are signed with
    NEWSLETTER_UNSUBSCRIBE_SECRET.
    """
    from newsletter.commands import send as sending

    del output_dir  # sending renders from the content, so cleaning output/ changes nothing
    from newsletter.fields import check_greeting

    run(lambda: check_greeting(greeting))
    if show_report:
        found = run(lambda: sending.report(content_dir, issue, state_dir, subscribers_csv))
        click.echo(f"sent: {found.sent}\nfailed: {found.failed}")
        if found.unknown:
            click.echo(f"unknown: {found.unknown}")
        click.echo(f"pending: {found.pending}")
        if subscribers_csv is not None:
            click.echo(f"suppressed: {found.suppressed}")
        for email, detail in found.failures:
            click.echo(f"  failed {email}: {detail}")
        for email, detail in found.unknowns:
            click.echo(f"  unknown {email}: {detail}")
        return
    the_plan = run(
        lambda: sending.plan(
            content_dir,
            issue,
            subscribers_csv,
            state_dir,
            dry_run=dry_run,
            proof=bool(test_to),
            force=force,
        )
    )
    for problem in the_plan.skipped:
        click.echo(f"skipped: {problem}", err=True)
    for email in the_plan.suppressed:  # the import never re-activates them
        click.echo(f"kept suppressed: {email}", err=True)
    for problem in the_plan.not_ready:  # only when forced, or on a dry run or a proof
        click.echo(f"warning: {problem.located()}", err=True)
    the_plan.message = run(lambda: sending.render_message(the_plan))
    if test_to:
        run(lambda: sending.send_test(the_plan, test_to, greeting))
        click.echo(f"Sent a test message to {test_to}.")
        return
    summary = (
        f"{len(the_plan.to_send)} to send, {the_plan.already} already done, "
        f"{len(the_plan.suppressed)} suppressed, {len(the_plan.skipped)} skipped"
    )
    if dry_run:
        click.echo(
            f"Dry run: {summary}. Nothing was sent. A sample message follows "
            "(headers, the text part, and the other parts by size).\n"
        )
        click.echo(run(lambda: sending.sample(the_plan, greeting)))
        return
    if not the_plan.to_send:
        click.echo(f"Nothing to send: {summary}.")
        return
    if not yes:
        click.confirm(
            f"Send {the_plan.issue.ref} to {len(the_plan.to_send)} recipient(s)?", abort=True
        )
    with click.progressbar(length=len(the_plan.to_send), label="Sending", file=sys.stderr) as bar:
        result = run(lambda: sending.deliver(the_plan, greeting, rate, progress=bar.update))
    unknown = f", unknown {len(result.unknown)}" if result.unknown else ""
    click.echo(
        f"Sent {result.sent}, failed {len(result.failed)}{unknown} ({result.retried} retries)."
    )
    for email, detail in result.failed:
        click.echo(f"  failed {email}: {detail}", err=True)
    for email, detail in result.unknown:
        click.echo(f"  unknown {email}: {detail}", err=True)
    if result.unknown:
        click.echo(
            "The server did not answer for the unknown ones; they may have been delivered. "
            "The next run sends each once more, with the same Message-ID.",
            err=True,
        )
    if result.failed or result.unknown:
        sys.exit(1)
