"""``newsletter send``: deliver an issue to its subscribers, exactly once as far as SMTP allows.

For each recipient the send log first records, durably, that an attempt starts; then the
message goes to the server; then the log records the answer. Run again after a crash, Ctrl-C
or ``kill -9``, the command sends only to those not confirmed. A message whose attempt was
recorded without an outcome may have been accepted just before the crash: it is sent again
with the same Message-ID (stable per issue and recipient), so a mail store that already holds
it keeps one copy, and nobody is skipped.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsletter import paths
from newsletter.commands.build import templates_for
from newsletter.errors import NewsletterError, Problem
from newsletter.loader import Project, load_project, select
from newsletter.mail import headers
from newsletter.mail.message import message_id, unsubscribe_base
from newsletter.model import Issue
from newsletter.render.issue import render_issue
from newsletter.send import log as sendlog
from newsletter.send.personalise import Template, parse
from newsletter.send.smtp import (
    Mailer,
    Permanent,
    Refused,
    Temporary,
    Unknown,
    Unreachable,
    Unsendable,
    config_from,
)
from newsletter.send.subscribers import Subscriber, read_subscribers, read_suppressed
from newsletter.send.tokens import SECRET_VARIABLE, unsubscribe_url
from newsletter.theme import make_theme

log = logging.getLogger(__name__)


@dataclass
class SendPlan:
    """Who will receive the issue, who is skipped and why."""

    project: Project
    issue: Issue
    state_dir: Path
    to_send: list[Subscriber]
    already: int
    suppressed: list[str]
    skipped: list[Problem]
    message: bytes = b""


@dataclass
class SendResult:
    """What a run did."""

    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    retried: int = 0
    unknown: list[tuple[str, str]] = field(default_factory=list)


def state_for(content_dir: Path, state_dir: Path | None) -> Path:
    """The state folder: ``state/`` beside the content folder unless given."""
    return state_dir or content_dir.resolve().parent / "state"


def plan(
    content_dir: Path, issue_name: str, subscribers_csv: Path | None, state_dir: Path | None = None
) -> SendPlan:
    """Load everything a send needs and work out who is still to receive the issue."""
    project = load_project(content_dir, [issue_name])
    chosen = select(project, [issue_name])
    issue = chosen[0]
    state = state_for(content_dir, state_dir)
    subscribers, skipped = read_subscribers(subscribers_csv) if subscribers_csv else ([], [])
    suppressed_list = read_suppressed(state / "suppressed.csv")
    settled: set[str] = set()
    if (state / "sends.sqlite").exists() or state.is_file():
        book = sendlog.SendLog(state)
        try:
            settled = book.settled(issue.id)
        finally:
            book.close()
    to_send, suppressed, already = [], [], 0
    for person in subscribers:
        if person.email in suppressed_list:
            suppressed.append(person.email)
        elif person.email in settled:
            already += 1
        else:
            to_send.append(person)
    return SendPlan(project, issue, state, to_send, already, suppressed, skipped)


def render_message(send_plan: SendPlan) -> bytes:
    """Render the issue's message in memory, from the content (never from output/)."""
    theme = make_theme(templates_for(send_plan.project.content_dir))
    rendered = render_issue(theme, send_plan.project, send_plan.issue, ("email",))
    return rendered.files[paths.email_file(send_plan.issue, "message.eml")]


def _secret(required: bool) -> str:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if required and len(secret) < 16:
        raise NewsletterError(
            f"set {SECRET_VARIABLE} (16 characters or more) to sign unsubscribe links"
        )
    return secret or "dry-run-secret-not-for-sending"


def message_for(
    send_plan: SendPlan,
    person: Subscriber,
    secret: str,
    greeting: str | None,
    prefix: str = "",
    mid: str | None = None,
) -> bytes:
    """One subscriber's message (with its stable Message-ID unless ``mid`` is given)."""
    pub = send_plan.project.publication
    base = unsubscribe_base(pub)
    return Template(send_plan.message).render(
        to=person.email,
        name=person.name,
        message_id=mid or message_id(pub, send_plan.issue, person.email),
        unsubscribe=unsubscribe_url(base, secret, person.email),
        greeting=greeting,
        subject_prefix=prefix,
    )


def sample(send_plan: SendPlan, greeting: str | None) -> str:
    """The first recipient's message as a reader checks it: headers, text part, other parts."""
    person = (
        send_plan.to_send[0] if send_plan.to_send else Subscriber("someone@example.org", "A Reader")
    )
    data = message_for(send_plan, person, _secret(False), greeting)
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").replace("\r\n", "\n")
    text, others = "", []
    for part in parse(data).walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not text and not part.is_attachment():
            text = part.get_content()
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        name = part.get_filename()
        others.append(f"[{kind}{' ' + name if name else ''}, {size:,} bytes]")
    return "\n".join([head, "", text.replace("\r\n", "\n").rstrip("\n"), "", *others])


def send_test(send_plan: SendPlan, address: str, greeting: str | None) -> None:
    """Send a proof to one address; it is not recorded in the send log.

    Each proof has a Message-ID of its own, so a corrected proof is never taken for a
    duplicate of the previous one (and never for the subscribers' copy).
    """
    pub = send_plan.project.publication
    headers.address("--test-to", address)
    stable = message_id(pub, send_plan.issue, address)
    proof = stable.replace("@", f".proof-{uuid.uuid4().hex[:16]}@", 1)
    mailer = Mailer(config_from(pub.smtp))
    try:
        data = message_for(
            send_plan, Subscriber(address, "Test"), _secret(False), greeting, "[TEST] ", proof
        )
        mailer.send(data, pub.sender.address, address)
    except (Temporary, Permanent, Unreachable, Refused, Unknown) as exc:
        raise NewsletterError(f"the test message to {address} was not accepted: {exc}") from None
    finally:
        mailer.close()


# A server that refuses this many messages in a row is refusing the message or the sender, not
# the recipients: stop, rather than mark the whole list as failed for good.
MAX_REFUSED_IN_A_ROW = 10


def _stop_refusals(book: sendlog.SendLog, issue_id: str, refused: list[str], last: str) -> None:
    for email in refused:  # they are retried on the next run
        book.outcome(issue_id, email, sendlog.TEMPORARY, f"stopped after refusals in a row: {last}")
    raise NewsletterError(
        f"the server refused {len(refused)} messages in a row (last: {last}); stopped so the rest "
        "of the list is not marked as failed. Check the message and the SMTP settings, then run "
        "the same command again"
    )


class Patience:
    """How long a run keeps trying without any message accepted before it stops.

    Without it, a server that is absent or refuses every session costs each recipient its
    whole backoff (days for a large list); with it, the run stops after ``give_up`` seconds
    and everyone not yet confirmed stays pending for the next run.
    """

    def __init__(self, give_up: float, backoff: float) -> None:
        self.give_up = give_up
        self.backoff = backoff
        self.since = time.monotonic()
        self.failures = 0

    def good(self) -> None:
        """A message was accepted: start counting again."""
        self.since = time.monotonic()
        self.failures = 0

    def check(self, last: str, left: int) -> float:
        """Raise NewsletterError when patience has run out; return the seconds waited so far."""
        waited = time.monotonic() - self.since
        if waited >= self.give_up:
            raise NewsletterError(
                f"no message accepted for {waited:.0f} s (last: {last}); stopped, {left} "
                "recipient(s) left pending. Check the SMTP server and settings, then run the "
                "same command again"
            )
        return waited

    def wait(self, last: str, left: int) -> None:
        """Sleep before the next try, or raise NewsletterError when patience has run out."""
        waited = self.check(last, left)
        time.sleep(min(self.backoff * 2**self.failures, 60.0, self.give_up - waited))
        self.failures += 1


def deliver(
    send_plan: SendPlan,
    greeting: str | None = None,
    rate: float = 0.0,
    retries: int = 4,
    backoff: float = 2.0,
    progress: Callable[[int], None] | None = None,
) -> SendResult:
    """Send to everyone in the plan, recording each attempt and outcome durably."""
    secret = _secret(True)
    pub = send_plan.project.publication
    issue = send_plan.issue
    template = Template(send_plan.message)
    config = config_from(pub.smtp)
    book = sendlog.SendLog(send_plan.state_dir)
    mailer = Mailer(config, rate)
    result = SendResult()
    base = unsubscribe_base(pub)
    refused: list[str] = []  # permanent refusals in a row
    patience = Patience(config.give_up, backoff)
    try:
        book.lock()
        # Another run may have finished between planning and locking: trust only the log now.
        settled = book.settled(issue.id)
        for index, person in enumerate(send_plan.to_send):
            if person.email in settled:
                if progress:
                    progress(1)
                continue
            mid = message_id(pub, issue, person.email)
            data = template.render(
                person.email,
                person.name,
                mid,
                unsubscribe_url(base, secret, person.email),
                greeting,
            )
            tries = 0
            while True:
                book.attempt(issue.id, person.email, mid)
                try:
                    mailer.send(data, pub.sender.address, person.email)
                except Unknown as exc:
                    # Maybe delivered: never again in this run; the next run may once more.
                    book.outcome(issue.id, person.email, sendlog.UNKNOWN, str(exc))
                    result.unknown.append((person.email, str(exc)))
                    patience.check(str(exc), len(send_plan.to_send) - index - 1)
                    break
                except (Unreachable, Refused) as exc:
                    book.outcome(issue.id, person.email, sendlog.TEMPORARY, str(exc))
                    if isinstance(exc, Refused):
                        raise NewsletterError(
                            f"{exc}; stopped, {len(send_plan.to_send) - index} recipient(s) "
                            "left pending"
                        ) from None
                    patience.wait(str(exc), len(send_plan.to_send) - index)
                    result.retried += 1
                    continue
                except Temporary as exc:
                    book.outcome(issue.id, person.email, sendlog.TEMPORARY, str(exc))
                    if tries == retries:
                        result.failed.append((person.email, str(exc)))
                        break
                    patience.wait(str(exc), len(send_plan.to_send) - index)
                    tries += 1
                    result.retried += 1
                    continue
                except Permanent as exc:
                    book.outcome(issue.id, person.email, sendlog.PERMANENT, str(exc))
                    result.failed.append((person.email, str(exc)))
                    if not isinstance(exc, Unsendable):  # the address's fault, not the server's
                        refused.append(person.email)
                        if len(refused) >= MAX_REFUSED_IN_A_ROW:
                            _stop_refusals(book, issue.id, refused, str(exc))
                    break
                refused.clear()
                patience.good()
                book.outcome(issue.id, person.email, sendlog.SENT)
                result.sent += 1
                break
            if progress:
                progress(1)
    finally:
        mailer.close()
        book.close()
    log.info(
        "sent %d, failed %d, unknown %d, retried %d",
        result.sent,
        len(result.failed),
        len(result.unknown),
        result.retried,
    )
    return result


def report(
    content_dir: Path, issue_name: str, state_dir: Path | None, subscribers_csv: Path | None
) -> sendlog.Report:
    """Sent, failed, unknown, pending and suppressed for an issue (from the list if given).

    A suppressed subscriber is counted once, as suppressed, whatever the log says of them.
    """
    project = load_project(content_dir, [issue_name])
    issue = select(project, [issue_name])[0]
    state = state_for(content_dir, state_dir)
    expected = None
    suppressed_count = 0
    if subscribers_csv is not None:
        subscribers, _ = read_subscribers(subscribers_csv)
        suppressed = read_suppressed(state / "suppressed.csv")
        expected = [s.email for s in subscribers if s.email not in suppressed]
        suppressed_count = len(subscribers) - len(expected)
    if not (state / "sends.sqlite").exists() and not state.is_file():  # nothing sent yet
        return sendlog.Report(0, 0, len(expected or []), [], suppressed=suppressed_count)
    book = sendlog.SendLog(state)
    try:
        return dataclasses.replace(book.report(issue.id, expected), suppressed=suppressed_count)
    finally:
        book.close()
