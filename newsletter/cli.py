"""The command line: parse options, call the core, turn its errors into messages and exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter import __version__
from newsletter.errors import ContentError, NewsletterError
from newsletter.subscribers_cli import subscribers

F = TypeVar("F", bound=Callable[..., Any])


def _content_options(func: F) -> F:
    func = click.option(
        "--content",
        "content_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("content"),
        show_default=True,
        help="The content folder: newsletter.yaml and issues/.",
    )(func)
    return func


def _output_option(func: F) -> F:
    return click.option(
        "--output",
        "output_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Where the editions are written.",
    )(func)


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


class Runner:
    """Run a core call, reporting its errors the way editors need them."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    def __call__(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ContentError as exc:
            if self.debug:
                raise
            for problem in exc.problems:
                click.echo(problem.located(), err=True)
            count = len(exc.problems)
            click.echo(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", err=True
            )
            sys.exit(1)
        except NewsletterError as exc:
            if self.debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:  # a write the core did not expect to fail (a full /tmp, say)
            if self.debug:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            if self.debug:
                raise
            click.echo("interrupted; the output holds the last complete build", err=True)
            sys.exit(130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("-v", "--verbose", is_flag=True, help="Log what is being done.")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """Publish a weekly monitor as an HTML email, a PDF edition and a web archive.

    Editors write each issue as YAML files (Markdown inside) under the content folder;
    `newsletter build` turns them into the three editions.
    """
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Runner(debug)


def _print_warnings(warnings: Any) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command()
@click.argument("issues", nargs=-1)
@_content_options
@_output_option
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
    _print_warnings(result.warnings)
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


@main.command()
@click.argument("issues", nargs=-1)
@_content_options
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


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from newsletter.commands.new import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@_content_options
@click.option("--start", callback=_date, help="First day of the period (default: continue).")
@click.option("--end", callback=_date, help="Last day of the period (default: same length).")
@click.pass_obj
def new(run: Runner, content_dir: Path, start: Any, end: Any) -> None:
    """Start the next issue from the latest one: number, period, sections, empty table."""
    from newsletter.commands.new import new_issue

    created = run(lambda: new_issue(content_dir, start, end))
    click.echo(
        f"Created issue {created.number} ({created.start} to {created.end}) in {created.folder}"
    )
    click.echo("Fill in the sections and the IED table, then run: newsletter check")


def _period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    start, sep, end = value.partition("..")
    try:
        return _date(_ctx, _param, start), _date(_ctx, _param, end) if sep else None
    except click.BadParameter:
        pass
    raise click.BadParameter(f'expected START..END like 2021-11-04..2021-11-11; got "{value}"')


@main.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_content_options
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
    try:
        result = importers.run(sources, content_dir, replace, number, period, dry_run)
    except ContentError as exc:
        if run.debug:
            raise
        click.echo(report.as_text(list(exc.problems) + list(exc.warnings)), err=True)
        count = len(exc.problems)
        click.echo(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", err=True
        )
        sys.exit(1)
    except NewsletterError as exc:
        if run.debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
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


@main.command()
@click.argument("issue", required=False)
@_content_options
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
    import time

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


def _check_rate(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float:
    """A rate is a finite number of messages per second the clock can wait for."""
    if value is None:
        return 0.0
    if not 0.001 <= value <= 10_000:  # also refuses nan, which compares false
        raise click.BadParameter(f"must be a number from 0.001 to 10000; got {value}")
    return value


@main.command()
@click.argument("issue")
@click.option(
    "--subscribers",
    "subscribers_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import this CSV (an email column, optionally name) into the list first.",
)
@_content_options
@_output_option
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the store lives [default: state/ beside the content folder]. "
    "NEWSLETTER_DATABASE_URL selects PostgreSQL instead.",
)
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


main.add_command(subscribers)
