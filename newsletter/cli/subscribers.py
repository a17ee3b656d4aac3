"""``newsletter subscribers``: the list's commands and its service. Only parses and prints;
the work is in ``newsletter/subscribers/``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter.cli.options import content_option, state_option
from newsletter.cli.runner import Runner
from newsletter.subscribers import STATUSES

F = TypeVar("F", bound=Callable[..., Any])


def _place_options(func: F) -> F:
    func = state_option()(func)
    return content_option("The content folder (the state folder is found beside it).")(func)


_status_option = click.option("--status", type=click.Choice(STATUSES), default=None)


@click.group()
def subscribers() -> None:
    """Keep the subscriber list: import, export, add, remove, forget, read bounces."""


@subscribers.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@_place_options
@click.pass_obj
def import_(run: Runner, csv_file: Path, content_dir: Path, state_dir: Path | None) -> None:
    """Import CSV_FILE (an email column, optionally name): new addresses become active.

    An address that unsubscribed, bounced, complained or was erased is never re-activated.
    """
    from newsletter.subscribers import commands

    def work() -> commands.ImportResult:
        with commands.opened(content_dir, state_dir) as store:
            return commands.import_csv(store, csv_file)

    result = run(work)
    for problem in result.skipped:
        click.echo(f"skipped: {problem}", err=True)
    for email, why in result.blocked:
        click.echo(f"kept suppressed: {email} ({why})", err=True)
    click.echo(
        f"Imported {csv_file}: {len(result.added)} added, {len(result.activated)} activated, "
        f"{len(result.unchanged)} already active, {len(result.blocked)} kept suppressed, "
        f"{len(result.skipped)} skipped."
    )


@subscribers.command()
@_place_options
@_status_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_obj
def export(
    run: Runner,
    content_dir: Path,
    state_dir: Path | None,
    status: str | None,
    output: Path | None,
) -> None:
    """Write every address with its status as CSV (to stdout, or to --output)."""
    from newsletter.subscribers import commands

    def work() -> str:
        with commands.opened(content_dir, state_dir) as store:
            return commands.export_csv(store, status)

    data = run(work)
    if output is None:
        click.echo(data, nl=False)
        return
    run(lambda: commands.write_file(output, data))
    click.echo(f"Wrote {output}.", err=True)


@subscribers.command("list")
@_place_options
@_status_option
@click.pass_obj
def list_(run: Runner, content_dir: Path, state_dir: Path | None, status: str | None) -> None:
    """List addresses (default: every status) with name and status."""
    from newsletter.subscribers import commands

    def work() -> list[tuple[str, str, str, float]]:
        with commands.opened(content_dir, state_dir) as store:
            return store.rows(status)

    for email, name, state, _ in run(work):
        click.echo(f"{email}\t{name}\t{state}")


@subscribers.command()
@_place_options
@_status_option
@click.pass_obj
def count(run: Runner, content_dir: Path, state_dir: Path | None, status: str | None) -> None:
    """Count addresses by status."""
    from newsletter.subscribers import commands

    def work() -> dict[str, int]:
        with commands.opened(content_dir, state_dir) as store:
            return store.count(status)

    for state, number in run(work).items():
        click.echo(f"{state}: {number}")


@subscribers.command()
@click.argument("email")
@click.option("--name", default="", help="The subscriber's name.")
@_place_options
@click.pass_obj
def add(run: Runner, email: str, name: str, content_dir: Path, state_dir: Path | None) -> None:
    """Add EMAIL as active (the editor vouches for it); suppressed addresses stay so."""
    from newsletter.subscribers import commands

    def work() -> tuple[str, str]:
        with commands.opened(content_dir, state_dir) as store:
            return commands.add(store, email, name)

    address, status = run(work)
    if status != "active":
        why = "erased at the person's request" if status == "forgotten" else status
        click.echo(f"error: {address} is {why}; it is not re-activated", err=True)
        sys.exit(1)
    click.echo(f"{address}: active")


@subscribers.command()
@click.argument("email")
@_place_options
@click.pass_obj
def remove(run: Runner, email: str, content_dir: Path, state_dir: Path | None) -> None:
    """Unsubscribe EMAIL on the editor's word (it is never mailed again)."""
    from newsletter.subscribers import commands

    def work() -> str | None:
        with commands.opened(content_dir, state_dir) as store:
            return commands.remove(store, email)

    before = run(work)
    click.echo(f"{email}: unsubscribed (was {before or 'not on the list'})")


@subscribers.command()
@click.argument("email")
@_place_options
@click.pass_obj
def forget(run: Runner, email: str, content_dir: Path, state_dir: Path | None) -> None:
    """Erase EMAIL's personal data; a keyed hash keeps it from being mailed or imported again."""
    from newsletter.subscribers import commands

    def work() -> bool:
        with commands.opened(content_dir, state_dir) as store:
            return store.forget(email)

    erased = run(work)
    click.echo("Erased; the address is blocked for good." if erased else "Already erased.")


@subscribers.command()
@click.argument("mailbox", type=click.Path(path_type=Path))
@_place_options
@click.pass_obj
def bounces(run: Runner, mailbox: Path, content_dir: Path, state_dir: Path | None) -> None:
    """Read bounces and complaints from MAILBOX (an mbox file or a Maildir folder).

    A hard bounce or a complaint suppresses the address at once; soft bounces after three
    issues in a row. Reports already read are skipped, so a rerun changes nothing.
    """
    from newsletter.subscribers import commands
    from newsletter.subscribers.bounces import BounceResult, read_bounces

    def work() -> BounceResult:
        with commands.opened(content_dir, state_dir) as store:
            return read_bounces(store, mailbox)

    result = run(work)
    for email in sorted(result.suppressed, key=str.lower):
        click.echo(f"suppressed: {email}")
    click.echo(
        f"Read {result.read} message(s): {len(result.hard)} hard bounce(s), "
        f"{len(result.soft)} soft, {len(result.complaints)} complaint(s), "
        f"{result.ignored} other, {result.already} already read; "
        f"{len(result.suppressed)} address(es) suppressed."
    )


@subscribers.command("serve")
@content_option("The content folder: newsletter.yaml with its subscriptions: block.")
@state_option("Where the store lives [default: state/ beside the content folder].")
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
