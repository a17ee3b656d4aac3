"""Fill the subject and greeting templates: ``{field}`` names only, checked once, used everywhere.

``str.format`` would let a template reach attributes (``{title.__class__}``), index into
values, call ``__format__`` with any spec (``{number:>100000000}`` builds a 100 MB string) and
crash on a lone brace. This module parses a template with ``string.Formatter().parse`` and
accepts only the documented names, an optional width of at most 99 with an alignment, and
``{{``/``}}`` for braces. The loader checks the subject with it (so ``check`` reports the
setting's line) and the email and the send use it to fill both templates.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence

from newsletter.errors import NewsletterError

TITLE_FIELDS = ("short_name", "title", "number", "period")
# The subject may also name the lead story: the first takeaway's first headline clause.
SUBJECT_FIELDS = (*TITLE_FIELDS, "lead")
GREETING_FIELDS = ("name",)
MAX_WIDTH = 99

# An optional alignment (< left, > right, ^ centre) and a width of one or two digits.
_SPEC = re.compile(r"^([<>^]?)([0-9]{1,2})?$")
_FORMATTER = string.Formatter()


class TemplateError(NewsletterError):
    """A template given on the command line has a field that cannot be filled."""


def _names(allowed: Sequence[str]) -> str:
    return ", ".join("{" + name + "}" for name in allowed)


def parse_template(template: str, allowed: Sequence[str]) -> list[tuple[str, str | None, str]]:
    """Split ``template`` into (literal text, field name, spec); raise ValueError if unsafe."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        brace = "}" if "Single '}'" in str(exc) else "{"
        raise ValueError(
            f'the template has an unmatched "{brace}"; write {brace}{brace} for a brace itself'
        ) from None
    out: list[tuple[str, str | None, str]] = []
    for literal, name, spec, conversion in parts:
        if name is None:
            out.append((literal, None, ""))
            continue
        field = (
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
        )
        if name not in allowed:
            if re.match(r"^[A-Za-z_]\w*[.\[]", name):
                problem = "reaches into a field's attributes or items"
            elif not name or name.isdigit():
                problem = "is positional; name the field"
            else:
                problem = "is not a field"
            raise ValueError(f"{field} {problem}; expected one of: {_names(allowed)}")
        if conversion:
            raise ValueError(f"{field}: conversions (!{conversion}) are not allowed")
        if spec and not _SPEC.match(spec):
            raise ValueError(
                f"{field}: the only format allowed is an alignment and a width of at most "
                f"{MAX_WIDTH}, like {{{name}:>20}}"
            )
        out.append((literal, name, spec or ""))
    return out


def check_template(template: str, allowed: Sequence[str]) -> str:
    """Return ``template`` if it names only ``allowed`` fields safely; raise ValueError if not."""
    parse_template(template, allowed)
    return template


def fill(template: str, values: Mapping[str, object]) -> str:
    """Fill ``template`` with ``values``, refusing anything but the names in ``values``."""
    out: list[str] = []
    for literal, name, spec in parse_template(template, tuple(values)):
        out.append(literal)
        if name is None:
            continue
        text = str(values[name])
        match = _SPEC.match(spec)
        if match and match[2]:
            width = int(match[2])
            align = match[1] or ("<" if isinstance(values[name], str) else ">")
            pad = {"<": str.ljust, ">": str.rjust, "^": str.center}[align]
            text = pad(text, width)
        out.append(text)
    return "".join(out)


def check_greeting(greeting: str | None) -> None:
    """Refuse a ``--greeting`` that names anything but ``{name}`` (a one-line error)."""
    if greeting is None:
        return
    try:
        parse_template(greeting, GREETING_FIELDS)
    except ValueError as exc:
        raise TemplateError(f"--greeting: {exc}") from None
