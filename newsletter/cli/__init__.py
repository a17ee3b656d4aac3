"""The command line: parse options, call the core, turn its errors into messages and exit codes.

One module per verb group (``build.py``, ``check.py``, ``new.py``, ``importing.py``,
``serve.py``, ``send.py``, ``subscribers.py``); ``runner.py`` turns core errors into messages
and exit codes, ``options.py`` holds the options several verbs share.
"""

from __future__ import annotations

import logging

import click

from newsletter import __version__
from newsletter.cli.build import build
from newsletter.cli.check import check
from newsletter.cli.importing import import_
from newsletter.cli.new import new
from newsletter.cli.runner import Runner
from newsletter.cli.send import send
from newsletter.cli.serve import serve
from newsletter.cli.subscribers import subscribers

__all__ = ["Runner", "main"]


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


for command in (build, check, new, import_, serve, send, subscribers):
    main.add_command(command)
