"""``newsletter send``: deliver an issue to its subscribers, exactly once as far as SMTP allows.

For each recipient the send log first records, durably, that an attempt starts; then the
message goes to the server; then the log records the answer. Run again after a crash, Ctrl-C
or ``kill -9``, the command sends only to those not confirmed. A message whose attempt was
recorded without an outcome may have been accepted just before the crash: it is sent again
with the same Message-ID (stable per issue and recipient), so a mail store that already holds
it keeps one copy, and nobody is skipped.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsletter import paths
from newsletter.commands.build import templates_for
from newsletter.errors import NewsletterError, Problem
from newsletter.loader import Project, load_project, select
from newsletter.mail.message import message_id, unsubscribe_base
from newsletter.model import Issue
from newsletter.render.issue import render_issue
from newsletter.send import log as sendlog
from newsletter.send.personalise import Template
from newsletter.send.smtp import Mailer, Permanent, Temporary, config_from
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
    statuses: dict[str, str] = {}
    if (state / "sends.sqlite").exists():
        book = sendlog.SendLog(state)
        statuses = book.statuses(issue.id)
        book.close()
    settled = {sendlog.SENT, sendlog.PERMANENT}
    to_send, suppressed, already = [], [], 0
    for person in subscribers:
        if person.email in suppressed_list:
            suppressed.append(person.email)
        elif statuses.get(person.email) in settled:
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
    send_plan: SendPlan, person: Subscriber, secret: str, greeting: str | None, prefix: str = ""
) -> bytes:
    """One subscriber's message."""
    pub = send_plan.project.publication
    base = unsubscribe_base(pub)
    return Template(send_plan.message).render(
        to=person.email,
        name=person.name,
        message_id=message_id(pub, send_plan.issue, person.email),
        unsubscribe=unsubscribe_url(base, secret, person.email),
        greeting=greeting,
        subject_prefix=prefix,
    )


def sample(send_plan: SendPlan, greeting: str | None) -> bytes:
    """The first recipient's message, for a dry run."""
    person = (
        send_plan.to_send[0] if send_plan.to_send else Subscriber("someone@example.org", "A Reader")
    )
    return message_for(send_plan, person, _secret(False), greeting)


def send_test(send_plan: SendPlan, address: str, greeting: str | None) -> None:
    """Send a proof to one address; it is not recorded in the send log."""
    pub = send_plan.project.publication
    mailer = Mailer(config_from(pub.smtp))
    try:
        data = message_for(
            send_plan, Subscriber(address, "Test"), _secret(False), greeting, "[TEST] "
        )
        mailer.send(data, pub.sender.address, address)
    except (Temporary, Permanent) as exc:
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
    book = sendlog.SendLog(send_plan.state_dir)
    mailer = Mailer(config_from(pub.smtp), rate)
    result = SendResult()
    base = unsubscribe_base(pub)
    refused: list[str] = []  # permanent refusals in a row
    try:
        book.lock()
        # Another run may have finished between planning and locking: trust only the log now.
        settled = {
            email
            for email, status in book.statuses(issue.id).items()
            if status in (sendlog.SENT, sendlog.PERMANENT)
        }
        for person in send_plan.to_send:
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
            for attempt in range(retries + 1):
                book.attempt(issue.id, person.email, mid)
                try:
                    mailer.send(data, pub.sender.address, person.email)
                except Temporary as exc:
                    book.outcome(issue.id, person.email, sendlog.TEMPORARY, str(exc))
                    if attempt == retries:
                        result.failed.append((person.email, str(exc)))
                        break
                    result.retried += 1
                    time.sleep(backoff * (2**attempt))
                    continue
                except Permanent as exc:
                    book.outcome(issue.id, person.email, sendlog.PERMANENT, str(exc))
                    result.failed.append((person.email, str(exc)))
                    refused.append(person.email)
                    if len(refused) >= MAX_REFUSED_IN_A_ROW:
                        _stop_refusals(book, issue.id, refused, str(exc))
                    break
                refused.clear()
                book.outcome(issue.id, person.email, sendlog.SENT)
                result.sent += 1
                break
            if progress:
                progress(1)
    finally:
        mailer.close()
        book.close()
    log.info("sent %d, failed %d, retried %d", result.sent, len(result.failed), result.retried)
    return result


def report(
    content_dir: Path, issue_name: str, state_dir: Path | None, subscribers_csv: Path | None
) -> sendlog.Report:
    """Sent, failed and pending for an issue (pending counts the subscriber list if given)."""
    project = load_project(content_dir, [issue_name])
    issue = select(project, [issue_name])[0]
    state = state_for(content_dir, state_dir)
    expected = None
    if subscribers_csv is not None:
        subscribers, _ = read_subscribers(subscribers_csv)
        suppressed = read_suppressed(state / "suppressed.csv")
        expected = [s.email for s in subscribers if s.email not in suppressed]
    book = sendlog.SendLog(state)
    try:
        return book.report(issue.id, expected)
    finally:
        book.close()
