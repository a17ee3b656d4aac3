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


def _folder_option(flag: str, name: str, default: Path | None, help: str) -> Callable[[F], F]:
    return click.option(
        flag,
        name,
        type=click.Path(file_okay=False, path_type=Path),
        default=default,
        show_default=default is not None,
        help=help,
    )


def content_option(help: str = CONTENT_HELP) -> Callable[[F], F]:
    """The ``--content`` option (``content_dir``), with ``help`` for this command."""
    return _folder_option("--content", "content_dir", Path("content"), help)


def output_option(func: F) -> F:
    """The ``--output`` option (``output_dir``): where the editions are written."""
    return _folder_option(
        "--output", "output_dir", Path("output"), "Where the editions are written."
    )(func)


def state_option(help: str = STATE_HELP) -> Callable[[F], F]:
    """The ``--state`` option (``state_dir``): the store's folder, None for the default."""
    return _folder_option("--state", "state_dir", None, help)


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """Read an option's ``YYYY-MM-DD`` date (None when not given)."""
    if value is None:
        return None
    from newsletter.commands.new import parse_date as parse

    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
