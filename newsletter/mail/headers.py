"""Every header value and address that reaches a message or an SMTP command passes here.

A line break in a header value starts a new header (``Bcc:``), and in an envelope address a new
SMTP command, so control characters are refused in every value, whatever field it came from
(the test address, a subscriber's name, ``short_name``, ``sender.name``...).
"""

from __future__ import annotations

import re
import unicodedata
from email.utils import formataddr

from email_validator import EmailNotValidError, validate_email

from newsletter.errors import NewsletterError

# C0 controls (CR and LF among them), DEL, C1 controls, and the Unicode line separators.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


class HeaderError(NewsletterError):
    """A value cannot go into a message header or an SMTP command."""


def problem(value: str) -> str | None:
    """Why ``value`` cannot be a header value, or None when it can."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    char = found[0]
    name = "a line break" if char in "\r\n\u2028\u2029" else "a control character"
    return f"contains {name} (U+{ord(char):04X})"


def value(field: str, text: str) -> str:
    """Return ``text`` for the ``field`` header, or raise HeaderError."""
    reason = problem(text)
    if reason:
        raise HeaderError(f"the {field} header would be unsafe: {text!r} {reason}")
    return text


def address(field: str, text: str) -> str:
    """Return a checked email address (syntax only) for ``field``, or raise HeaderError."""
    reason = problem(text)
    if reason:
        raise HeaderError(f"{field}: {text!r} is not an email address: it {reason}")
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise HeaderError(f"{field}: {text!r} is not an email address: {exc}") from None
    return text


def mailbox(field: str, name: str, email: str) -> str:
    """``Name <address>`` for ``field``, both checked; non-ASCII names RFC 2047-encoded."""
    value(field, name)
    address(field, email)
    if not name:
        return email
    # formataddr quotes or encodes the name but refuses a non-ASCII address (SMTPUTF8's).
    shown = formataddr((name, "x@x.invalid"), charset="utf-8")
    return shown.replace("<x@x.invalid>", f"<{email}>")


_ATEXT = re.compile(r"[^a-z0-9!#$%&'*+/=?^_`{|}~.-]")


def atom(text: str) -> str:
    """An ASCII dot-atom made from ``text`` (for Message-ID and List-Id), the same every time.

    ASCII names are kept as they are (so existing Message-IDs do not change); others are
    folded to ASCII where they decompose (IŞHM -> ishm), else written as Punycode.
    """
    lowered = text.lower()
    if not _ATEXT.search(lowered):
        return lowered
    folded = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    folded = _ATEXT.sub("", folded)
    if not folded or len(folded) < len([c for c in lowered if c.isalnum()]) // 2:
        folded = _ATEXT.sub("", lowered.encode("punycode").decode("ascii"))
    return folded.strip(".") or "newsletter"
