"""The email edition: Jinja2 renders MJML, mjml-python makes client-proof HTML, css-inline inlines.

The same content also yields the plain-text part. When the full issue would be clipped by Gmail
(about 102 KB), the email falls back to a short edition: takeaways, IED table, links.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import mjml
from markupsafe import Markup

from newsletter.errors import RenderError
from newsletter.mail import GREETING_HTML, GREETING_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER
from newsletter.mail.inline import Size, inline_css, measure
from newsletter.mail.text import markdown_to_text, text_table, wrap
from newsletter.render.map import CREDITS, MAX_NUMBERED
from newsletter.render.mapvariants import email_map_size
from newsletter.theme import Theme

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailEdition:
    """The rendered email: HTML, plain text, the HTML's size, and whether it is the short one."""

    html: str
    text: str
    size: Size
    short: bool


def _rule(title: str) -> str:
    wrapped = wrap(title)
    return wrapped + "\n" + "=" * min(72, max(len(line) for line in wrapped.splitlines()))


def _ied_text_table(context: dict[str, Any]) -> str:
    issue, ied, table_date = context["issue"], context["ied"], context["table_date"]
    rows = [["Date", "Location", "Deaths", "Injuries"]]
    for row in issue.ied.incidents:
        place = f"{row.location}, " if row.location else ""
        kind = f" ({row.type})" if row.type != "IED" else ""
        rows.append(
            [
                table_date(row.date),
                f"{place}{row.province} province{kind}",
                str(row.deaths),
                str(row.injuries),
            ]
        )
    noun = "incident" if ied.totals.incidents == 1 else "incidents"
    rows.append(
        [
            "Total",
            f"{ied.totals.incidents} {noun}",
            str(ied.totals.deaths),
            str(ied.totals.injuries),
        ]
    )
    return text_table(rows, right=(2, 3))


def email_context(context: dict[str, Any], short: bool = False) -> dict[str, Any]:
    """Add what only the email templates need to an issue's context."""
    settings = context["pub"].email
    figure = context["ied_map"]
    return {
        **context,
        "short": short,
        # The email's own map (drawn for a phone): its size for the <img>, its credits as text.
        "email_map_size": email_map_size(figure.located) if figure else None,
        "map_credits": CREDITS,
        "map_grouped": bool(figure) and len(figure.located) > MAX_NUMBERED,
        "pdf_attached": settings.pdf == "attach",
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "greeting": GREETING_PLACEHOLDER,
        "greeting_html": Markup(GREETING_HTML),
        "wrap": wrap,
        "md_text": markdown_to_text,
        "rule": _rule,
        "ied_text_table": _ied_text_table(context),
    }


def render_mjml(theme: Theme, context: dict[str, Any]) -> str:
    """Render the issue's MJML source."""
    return theme.render("email/issue.mjml", **context)


def _to_html(theme: Theme, context: dict[str, Any]) -> str:
    source = render_mjml(theme, context)
    try:
        html: str = mjml.mjml2html(source, disable_comments=True)
    except Exception as exc:  # mjml-python raises plain exceptions from its Rust core
        raise RenderError(f"MJML could not render the email: {exc}") from exc
    return inline_css(html)


def render_email(theme: Theme, context: dict[str, Any]) -> EmailEdition:
    """Render the email's HTML and text, falling back to the short edition over budget."""
    settings = context["pub"].email
    max_html, max_style = settings.max_html_kb * 1024, settings.max_style_kb * 1024
    full = email_context(context)
    html = _to_html(theme, full)
    size = measure(html)
    short = not size.within(max_html, max_style)
    if short:
        log.info("email of %s is %d bytes; sending the short edition", context["title"], size.html)
        full = email_context(context, short=True)
        html = _to_html(theme, full)
        size = measure(html)
        if not size.within(max_html, max_style):
            # Still better to send a clipped email than to fail the PDF and web editions too.
            log.warning(
                "%s: even the short email is %d bytes (%d of style), over the budget of %d "
                "(%d); Gmail will clip it",
                context["title"],
                size.html,
                size.style,
                max_html,
                max_style,
            )
    text = theme.render("email/issue.txt", **full)
    return EmailEdition(html=html, text=text, size=size, short=short)


def render_email_html(theme: Theme, context: dict[str, Any]) -> str:
    """Render the issue as email HTML."""
    return render_email(theme, context).html
