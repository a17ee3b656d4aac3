"""Turn the issue's message into one subscriber's message."""

from __future__ import annotations

import binascii
import datetime as dt
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime

from newsletter.fields import fill as fill_fields
from newsletter.mail import UNSUBSCRIBE_PLACEHOLDER, fill, headers

HEADERS = SMTP.clone(max_line_length=998)


def now() -> dt.datetime:
    """The time of sending, in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def parse(message: bytes) -> EmailMessage:
    """Parse the issue's message once; every recipient's copy starts from it."""
    parsed = message_from_bytes(message, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


_TO = "newsletter-recipient@placeholder.invalid"
_ID = "<newsletter-message-id@placeholder.invalid>"
_DATE = "Thu, 01 Jan 1970 00:00:00 -0000"  # unique: a real Date is never the epoch, unzoned
_TEXT = "NEWSLETTERTEXTBODYPLACEHOLDER"
_HTML = "NEWSLETTERHTMLBODYPLACEHOLDER"


def _qp(body: str) -> bytes:
    """Quoted-printable with CRLF line ends, by the C encoder (76-character lines)."""
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


class Template:
    """The issue's message serialised once, with holes for what differs per recipient.

    Serialising a whole MIME message costs about 10 ms; filling these holes costs well under
    one, because the attachments are encoded once and only the two text parts are re-encoded.
    """

    def __init__(self, message: bytes) -> None:
        base = parse(message)
        self.text = self.html = ""
        for part in base.walk():
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and not part.is_attachment():
                if kind == "text/plain":
                    self.text = part.get_content()
                else:
                    self.html = part.get_content()
                marker = _TEXT if kind == "text/plain" else _HTML
                part.set_content(marker, subtype=kind.split("/")[1], cte="quoted-printable")
                del part["MIME-Version"]
        base.replace_header("To", _TO)
        base.replace_header("Message-ID", _ID)
        base.replace_header("Date", _DATE)  # the time of sending, not the date
        listed = " ".join(str(base["List-Unsubscribe"]).split())
        base.replace_header("List-Unsubscribe", listed)
        self.skeleton = base.as_bytes(policy=HEADERS)
        for hole in (_TO, _ID, _DATE, _TEXT, _HTML, UNSUBSCRIBE_PLACEHOLDER):
            assert self.skeleton.count(hole.encode("ascii")) == 1, hole

    def render(
        self,
        to: str,
        name: str,
        message_id: str,
        unsubscribe: str,
        greeting: str | None,
        subject_prefix: str = "",
        date: dt.datetime | None = None,
    ) -> bytes:
        """One recipient's message, as bytes ready for SMTP."""
        hello = fill_fields(greeting, {"name": name}) if greeting and name else ""
        # Every per-recipient header value is checked where it is put into the message.
        address = headers.mailbox("To", name, to).encode("utf-8")  # UTF-8 only under SMTPUTF8
        message_id = headers.value("Message-ID", message_id)
        unsubscribe = headers.value("List-Unsubscribe", unsubscribe)
        skeleton = self.skeleton
        if subject_prefix:
            prefix = headers.value("Subject", subject_prefix).encode("utf-8")
            skeleton = skeleton.replace(b"\r\nSubject: ", b"\r\nSubject: " + prefix, 1)
            if skeleton.startswith(b"Subject: "):
                skeleton = b"Subject: " + prefix + skeleton[len(b"Subject: ") :]
        return (
            skeleton.replace(_TO.encode("ascii"), address)
            .replace(_ID.encode("ascii"), message_id.encode("ascii"))
            .replace(_DATE.encode("ascii"), format_datetime(date or now(), usegmt=True).encode())
            .replace(UNSUBSCRIBE_PLACEHOLDER.encode("ascii"), unsubscribe.encode("ascii"))
            .replace(_TEXT.encode("ascii") + b"\r\n", _qp(fill(self.text, hello, unsubscribe)))
            .replace(_HTML.encode("ascii") + b"\r\n", _qp(fill(self.html, hello, unsubscribe)))
        )
