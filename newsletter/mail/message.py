"""The complete message of an issue (``message.eml``), ready for delivery to personalise."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import urlsplit

from newsletter import headers as titles
from newsletter.mail import UNSUBSCRIBE_PLACEHOLDER, headers
from newsletter.model import Issue, Publication
from newsletter.render.map import InlineImage


def domain(publication: Publication) -> str:
    """The publication's domain, from its site URL."""
    host = urlsplit(publication.site_url).hostname or "localhost"
    try:  # Message-ID and List-Id are ASCII: an internationalised domain goes as Punycode
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return "localhost"


def message_id(publication: Publication, issue: Issue, recipient: str = "") -> str:
    """A Message-ID that is the same every time for this issue (and recipient, if given)."""
    local = f"{headers.atom(publication.short_name)}-{issue.ref}.{issue.id}"
    if recipient:
        local += "." + hashlib.sha256(recipient.lower().encode("utf-8")).hexdigest()[:24]
    return f"<{local}@{domain(publication)}>"


def subject(publication: Publication, issue: Issue, period: str) -> str:
    """The subject line from the configured format (the period is written by ``headers``)."""
    return headers.value("Subject", titles.subject(issue, publication))


def unsubscribe_base(publication: Publication) -> str:
    """Where unsubscribe links point: the list service when configured, else the set page."""
    if publication.subscriptions is not None:
        return publication.subscriptions.base_url.rstrip("/") + "/unsubscribe"
    return publication.email.unsubscribe_url or publication.site_url + "unsubscribe/"


def unsubscribe_mailto(publication: Publication) -> str:
    """The mailto: unsubscribe address, one-click for clients that use mail."""
    address = publication.email.unsubscribe_mailto or publication.sender.address
    headers.address("List-Unsubscribe", address)
    return f"mailto:{address}?subject=unsubscribe"


def build_message(
    publication: Publication,
    issue: Issue,
    period: str,
    html: str,
    text: str,
    pdf: tuple[str, bytes] | None,
    images: list[InlineImage],
) -> bytes:
    """Assemble the issue's message: text and HTML alternatives, inline images, the PDF."""
    msg = EmailMessage()
    # Every value goes through headers, which refuses line breaks and control characters.
    msg["Subject"] = subject(publication, issue, period)
    msg["From"] = headers.mailbox("From", publication.sender.name, publication.sender.address)
    msg["To"] = headers.mailbox("To", publication.title, publication.sender.address)
    published = issue.meta.published or issue.period.end
    msg["Date"] = format_datetime(dt.datetime.combine(published, dt.time(12), dt.UTC))
    msg["Message-ID"] = message_id(publication, issue)
    title = headers.value("List-Id", publication.title)
    msg["List-Id"] = f"{title} <{headers.atom(publication.short_name)}.{domain(publication)}>"
    msg["List-Unsubscribe"] = f"<{UNSUBSCRIBE_PLACEHOLDER}>, <{unsubscribe_mailto(publication)}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable keeps every line under SMTP's 998-octet limit, whatever MJML emits.
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if images:
        html_part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
        for image in images:
            maintype, subtype = image.mime_type.split("/")
            html_part.add_related(
                image.data,
                maintype=maintype,
                subtype=subtype,
                cid=f"<{image.content_id}>",
                filename=image.filename,
                disposition="inline",
            )
    if pdf is not None:
        name, data = pdf
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    # Fixed boundaries make the same issue produce the same bytes, so rebuilds change nothing.
    seed = hashlib.sha256(html.encode("utf-8") + text.encode("utf-8")).hexdigest()
    for index, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_{seed[:32]}_{index}")
    return msg.as_bytes(policy=SMTP)
