"""The email edition: Jinja2 renders MJML, mjml-python turns it into client-proof HTML."""

from __future__ import annotations

from typing import Any

import mjml

from newsletter.errors import RenderError
from newsletter.theme import Theme


def render_mjml(theme: Theme, context: dict[str, Any]) -> str:
    """Render the issue's MJML source."""
    return theme.render("email/issue.mjml", **context)


def render_email_html(theme: Theme, context: dict[str, Any]) -> str:
    """Render the issue as email HTML."""
    source = render_mjml(theme, context)
    try:
        html: str = mjml.mjml2html(source, disable_comments=True)
    except Exception as exc:  # mjml-python raises plain exceptions from its Rust core
        raise RenderError(f"MJML could not render the email: {exc}") from exc
    return html
