"""Read a bounce mailbox (mbox or Maildir): delivery reports and spam complaints.

Delivery status notifications (RFC 3464, and the many non-standard bounce formats) are read by
flufl.bounce, which tells temporary from permanent failures. Feedback-loop reports (RFC 5965,
ARF) are complaints. The issue a report is about comes from the returned original message: its
``X-Newsletter-Issue`` header when present, else its Message-ID, which ``newsletter send`` makes
as ``<{short_name}-{number}.{issue id}.{recipient hash}@{domain}>``.
"""

from __future__ import annotations

import email
import hashlib
import logging
import mailbox
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flufl.bounce import all_failures

from newsletter.errors import NewsletterError
from newsletter.subscribers.store import BOUNCED, Store

log = logging.getLogger(__name__)

ISSUE_HEADER = "X-Newsletter-Issue"
# newsletter/mail/message.py's message_id(): short name, number, issue id, recipient hash.
_MESSAGE_ID = re.compile(r"^<?[^.@\s]+-\d+\.(?P<issue>[^.@\s]+)(?:\.[0-9a-f]{24})?@[^>\s]+>?$")


@dataclass
class BounceResult:
    """What reading a mailbox did."""

    read: int = 0
    already: int = 0  # reports read by an earlier run
    ignored: int = 0  # messages that are neither a bounce nor a complaint
    hard: list[str] = field(default_factory=list)
    soft: list[str] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)  # addresses blocked by this run


def open_mailbox(path: Path) -> mailbox.Mailbox:
    """A Maildir folder or an mbox file, never created."""
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise NewsletterError(f"{path}: not a Maildir folder (no cur/ and new/ inside)")
        return mailbox.Maildir(path, factory=None, create=False)
    if path.is_file():
        return mailbox.mbox(path, create=False)
    raise NewsletterError(f"{path}: no such mailbox (an mbox file or a Maildir folder)")


def original_headers(report: Message) -> Message | None:
    """The headers of the returned original message, if the report includes them."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                return email.message_from_bytes(data)
    return None


def issue_of(original: Message | None) -> str | None:
    """The issue id a returned message belongs to, if it can be told."""
    if original is None:
        return None
    named = original.get(ISSUE_HEADER)
    if named:
        return str(named).strip()
    match = _MESSAGE_ID.match(str(original.get("Message-ID", "")).strip())
    return match.group("issue") if match else None


def is_complaint(report: Message) -> bool:
    """Whether the message is an ARF feedback report (RFC 5965)."""
    return (
        report.get_content_type() == "multipart/report"
        and str(report.get_param("report-type", "")).lower() == "feedback-report"
    )


def complainant(report: Message, original: Message | None) -> str | None:
    """The subscriber an ARF report is about: Original-Rcpt-To, List-Unsubscribe, or To."""
    for part in report.walk():
        if part.get_content_type() == "message/feedback-report":
            text = part.as_string()  # the fields, however the parser split them
            found = re.search(r"^Original-Rcpt-To:\s*<?([^>\s]+)>?", text, re.I | re.M)
            if found:
                return found.group(1)
    if original is None:
        return None
    for link in re.findall(r"<([^>]+)>", str(original.get("List-Unsubscribe", ""))):
        if link.startswith(("http://", "https://")):
            values = parse_qs(urlsplit(link).query).get("email")
            if values:
                return str(values[0])
    addresses = [a for _, a in getaddresses([str(original.get("To", ""))]) if "@" in a]
    return addresses[0] if addresses else None


def _report_id(report: Message, raw: bytes) -> str:
    given = str(report.get("Message-ID", "")).strip()
    return given or "sha256:" + hashlib.sha256(raw).hexdigest()


def read_bounces(store: Store, path: Path) -> BounceResult:
    """Record every new bounce and complaint of a mailbox; a rerun changes nothing."""
    box = open_mailbox(path)
    result = BounceResult()
    try:
        for key in sorted(
            box.keys()
        ):  # a Maildir lists in no set order: its names start with the time
            raw = box.get_bytes(key)
            report = email.message_from_bytes(raw)
            result.read += 1
            report_id = _report_id(report, raw)
            if store.processed(report_id):
                result.already += 1
                continue
            outcome = _record(store, report, result)
            store.mark_processed(report_id, outcome)
    finally:
        box.close()
    log.info(
        "%s: %d read, %d hard, %d soft, %d complaints, %d suppressed",
        path,
        result.read,
        len(result.hard),
        len(result.soft),
        len(result.complaints),
        len(result.suppressed),
    )
    return result


def _record(store: Store, report: Message, result: BounceResult) -> str:
    """Record one report; say what it was."""
    original = original_headers(report)
    issue = issue_of(original)
    if is_complaint(report):
        who = complainant(report, original)
        if who is None:
            result.ignored += 1
            return "complaint without a recipient"
        store.record_complaint(who, issue, "feedback report: " + str(report.get("Subject", "")))
        result.complaints.append(who)
        result.suppressed.append(who)
        return "complaint"
    try:
        temporary, permanent = all_failures(report)
    except Exception as exc:
        # flufl.bounce's heuristic detectors assume headers that any message in a mailbox may
        # lack (its Yale detector fails on a message without From:); one odd message must not
        # stop the rest of the mailbox from being read.
        log.warning("%s: not read as a bounce: %r", report.get("Message-ID", "a message"), exc)
        result.ignored += 1
        return f"unreadable: {exc!r}"
    if not temporary and not permanent:
        result.ignored += 1
        return "not a bounce"
    for hard, found, into in ((True, permanent, result.hard), (False, temporary, result.soft)):
        for address in sorted(found):
            who = address.decode("utf-8", "replace")
            before = store.status(who)
            after = store.record_bounce(who, issue, hard, "permanent" if hard else "temporary")
            into.append(who)
            if after == BOUNCED and before != BOUNCED:
                result.suppressed.append(who)
    return "bounce"
