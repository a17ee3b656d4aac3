"""Double opt-in: the signed, expiring confirmation link and the message that carries it."""

from __future__ import annotations

import logging
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid
from typing import Protocol
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

from newsletter.model import Publication, Sender
from newsletter.send.smtp import Mailer, Permanent, SmtpConfig, Temporary
from newsletter.theme import Theme

log = logging.getLogger(__name__)

# A salt per purpose: a token signed for one use is never valid for another.
CONFIRM_SALT = "newsletter.subscribers.confirm"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT)


def confirm_token(secret: str, email: str) -> str:
    """A token that proves, until it expires, that ``email`` asked to subscribe."""
    return _serializer(secret).dumps(email)


def read_confirm_token(secret: str, token: str, max_age: int) -> str | None:
    """The address in a genuine, unexpired token; None for anything else."""
    try:
        email = _serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired, its subclass
        return None
    return email if isinstance(email, str) else None


def confirm_url(base_url: str, secret: str, email: str) -> str:
    """The link in the confirmation message."""
    return f"{base_url.rstrip('/')}/confirm?token={confirm_token(secret, email)}"


def sender_of(publication: Publication) -> Sender:
    """Who confirmations come from: the service's sender, else the publication's."""
    subs = publication.subscriptions
    return subs.sender if subs is not None and subs.sender is not None else publication.sender


def confirmation_message(
    theme: Theme, publication: Publication, email: str, name: str, url: str, hours: int
) -> bytes:
    """The plain-text confirmation message."""
    sender = sender_of(publication)
    msg = EmailMessage()
    msg["Subject"] = f"Confirm your subscription to the {publication.short_name}"
    msg["From"] = formataddr((sender.name, sender.address))
    msg["To"] = formataddr((name, email)) if name else email
    msg["Date"] = formatdate(time.time(), usegmt=True)
    msg["Message-ID"] = make_msgid(domain=urlsplit(publication.site_url).hostname or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # no vacation replies to a confirmation
    body = theme.render("service/confirm.txt", pub=publication, reader=name, url=url, hours=hours)
    msg.set_content(body, cte="quoted-printable")
    return msg.as_bytes(policy=SMTP)


class Outbox(Protocol):
    """Anything that hands one message to a mail server (``smtp.Mailer`` fits)."""

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        """Deliver ``message`` or raise."""


class SmtpOutbox:
    """A fresh SMTP connection per message: confirmations are rare, idle connections die."""

    def __init__(self, config: SmtpConfig, attempts: int = 3, backoff: float = 2.0) -> None:
        self.config = config
        self.attempts = attempts
        self.backoff = backoff

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        """Send, retrying temporary failures a few times; raise the last failure."""
        for attempt in range(self.attempts):
            mailer = Mailer(self.config)
            try:
                mailer.send(message, sender, recipient)
                return
            except Temporary:
                if attempt == self.attempts - 1:
                    raise
                time.sleep(self.backoff * (2**attempt))
            except Permanent:
                raise
            finally:
                mailer.close()
