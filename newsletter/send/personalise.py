"""Turn the issue's message into one subscriber's message."""

from __future__ import annotations

import copy
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import formataddr

from newsletter.mail import UNSUBSCRIBE_PLACEHOLDER, fill

HEADERS = SMTP.clone(max_line_length=998)


def parse(message: bytes) -> EmailMessage:
    """Parse the issue's message once; every recipient's copy starts from it."""
    parsed = message_from_bytes(message, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def personalise(
    base: EmailMessage,
    to: str,
    name: str,
    message_id: str,
    unsubscribe: str,
    greeting: str | None,
    subject_prefix: str = "",
) -> bytes:
    """One recipient's message: To, Message-ID, unsubscribe link and greeting filled in."""
    msg = copy.deepcopy(base)
    msg.replace_header("To", formataddr((name, to)) if name else to)
    msg.replace_header("Message-ID", message_id)
    # Parsed headers keep their original folding (a leading space): rebuild from the words.
    listed = " ".join(str(msg["List-Unsubscribe"]).split())
    msg.replace_header("List-Unsubscribe", listed.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe))
    if subject_prefix:
        msg.replace_header("Subject", subject_prefix + str(msg["Subject"]))
    hello = greeting.format(name=name) if greeting and name else ""
    for part in msg.walk():
        if part.get_content_type() in ("text/plain", "text/html") and not part.is_attachment():
            body = fill(part.get_content(), hello, unsubscribe)
            subtype = "html" if part.get_content_type() == "text/html" else "plain"
            part.set_content(body, subtype=subtype, cte="quoted-printable")
            del part["MIME-Version"]  # set_content adds it; only the top level needs it
    # Long lines allowed in headers, so the unsubscribe URL is never split into encoded-words
    # that List-Unsubscribe parsers would not understand.
    return msg.as_bytes(policy=HEADERS)
