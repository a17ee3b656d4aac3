"""Run a core call for a command: its errors become messages and exit codes, never tracebacks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TypeVar

import click

from newsletter.errors import ContentError, NewsletterError

T = TypeVar("T")


def _located(exc: ContentError) -> Iterable[str]:
    return (problem.located() for problem in exc.problems)


class Runner:
    """Run a core call, reporting its errors the way editors need them."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    def __call__(
        self, call: Callable[[], T], show: Callable[[ContentError], Iterable[str]] = _located
    ) -> T:
        """Return what ``call`` returns; on a core error print it (``show`` writes the lines of
        a content error) and exit 1, or 130 on Ctrl-C. With ``--debug`` the error is raised."""
        try:
            return call()
        except ContentError as exc:
            if self.debug:
                raise
            for line in show(exc):
                click.echo(line, err=True)
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
