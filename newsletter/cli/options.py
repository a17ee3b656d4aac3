"""Options and value checks that several commands share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_HELP = "The content folder: newsletter.yaml and issues/."
STATE_HELP = (
    "Where the store lives [default: state/ beside the content folder]. "
    "NEWSLETTER_DATABASE_URL selects PostgreSQL instead."
)


def content_option(help: str = CONTENT_HELP) -> Callable[[F], F]:
    """The ``--content`` option (``content_dir``), with ``help`` for this command."""
    return click.option(
        "--content",
        "content_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("content"),
        show_default=True,
        help=help,
    )


def output_option(func: F) -> F:
    """The ``--output`` option (``output_dir``): where the editions are written."""
    return click.option(
        "--output",
        "output_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help="Where the editions are written.",
    )(func)


def state_option(help: str = STATE_HELP) -> Callable[[F], F]:
    """The ``--state`` option (``state_dir``): the store's folder, None for the default."""
    return click.option(
        "--state",
        "state_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help,
    )


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """Read an option's ``YYYY-MM-DD`` date (None when not given)."""
    if value is None:
        return None
    from newsletter.commands.new import parse_date as parse

    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
