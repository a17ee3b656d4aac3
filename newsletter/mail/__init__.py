"""The email edition's parts: plain text, inlined CSS within Gmail's budget, the message."""

import re

from markupsafe import escape

# Delivery replaces this token, per recipient, with a signed unsubscribe URL. It is plain ASCII
# that no Markdown, MJML or HTML escaping changes, and that no real content contains.
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"

# Replaced per recipient by an optional greeting ("Dear Amal,"), or removed.
GREETING_PLACEHOLDER = "%%GREETING%%"
GREETING_HTML = f'<p class="greeting">{GREETING_PLACEHOLDER}</p>'
# css-inline adds a style attribute to the paragraph, so it is found by pattern.
_GREETING_PARAGRAPH = re.compile(
    r'<p class="greeting"[^>]*>' + re.escape(GREETING_PLACEHOLDER) + "</p>"
)

_GREETING_LINE = re.compile(re.escape(GREETING_PLACEHOLDER) + r"((?:\r?\n){2})")


def is_html(body: str) -> bool:
    """Whether ``fill`` treats a body as HTML: it holds the greeting paragraph."""
    return _GREETING_PARAGRAPH.search(body) is not None


def fill(body: str, greeting: str, unsubscribe: str, html: bool | None = None) -> str:
    """Fill the placeholders of an HTML or text body; an empty greeting removes its line.

    ``html`` says which the body is; by default, ``is_html(body)``.
    """
    if html is None:
        html = is_html(body)
    if html:
        replacement = f'<p class="greeting">{escape(greeting)}</p>' if greeting else ""
        body = _GREETING_PARAGRAPH.sub(lambda _: replacement, body)
        unsubscribe = str(escape(unsubscribe))
    else:
        # The text part may come back from a parsed message with CRLF line ends.
        body = _GREETING_LINE.sub(lambda m: greeting + m[1] if greeting else "", body)
    return body.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe)


def holes(body: str, html: bool) -> list[tuple[int, int]]:
    """The spans of ``body`` that ``fill`` may change, in order and merged where they touch."""
    greeting = _GREETING_PARAGRAPH if html else _GREETING_LINE
    spans = [m.span() for m in greeting.finditer(body)]
    spans += [m.span() for m in re.finditer(re.escape(UNSUBSCRIBE_PLACEHOLDER), body)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
