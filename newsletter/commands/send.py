"""``newsletter send``: deliver an issue to the store's active subscribers, exactly once as far
as SMTP allows.

This module plans (who is still to receive the issue, from the store's list and send log) and
renders; ``newsletter/send/deliver.py`` runs the delivery loop under the store's send lock.
``--subscribers FILE.csv`` is the store's import followed by the send.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from newsletter import paths
from newsletter.commands.build import templates_for
from newsletter.commands.check import check
from newsletter.errors import ContentError, NewsletterError, Problem
from newsletter.lint import placeholders
from newsletter.loader import Project, select
from newsletter.mail import headers
from newsletter.mail.message import message_id, unsubscribe_base
from newsletter.model import Issue
from newsletter.render.issue import render_issue
from newsletter.send.deliver import Delivery, SendResult
from newsletter.send.deliver import deliver as run_delivery
from newsletter.send.personalise import Template, parse
from newsletter.send.smtp import (
    Mailer,
    Permanent,
    Refused,
    Temporary,
    Unknown,
    Unreachable,
    config_from,
)
from newsletter.send.subscribers import Subscriber, read_subscribers
from newsletter.send.tokens import SECRET_VARIABLE, unsubscribe_url
from newsletter.statedir import state_for
from newsletter.subscribers.commands import import_csv
from newsletter.subscribers.common import key_of
from newsletter.subscribers.sendlog import PERMANENT, Report, SendLog
from newsletter.subscribers.store import Store
from newsletter.theme import make_theme

__all__ = ["SendPlan", "SendResult", "Subscriber", "deliver", "message_id", "plan", "report"]


@dataclass
class SendPlan:
    """Who will receive the issue, who is skipped and why, and what stops it being sent."""

    project: Project
    issue: Issue
    state_dir: Path
    to_send: list[Subscriber]
    already: int
    suppressed: list[str]
    skipped: list[Problem]
    not_ready: list[Problem] = field(default_factory=list)  # placeholders: refused unless --force
    message: bytes = b""


@contextmanager
def _send_log(state: Path) -> Iterator[SendLog]:
    book = SendLog.open(state)
    try:
        yield book
    finally:
        book.close()


def _load(content_dir: Path, issue_name: str) -> tuple[Project, Issue, list[Problem]]:
    """The project as ``check`` sees it (errors stop here) and the issue's placeholders."""
    project = check(content_dir, [issue_name])
    issue = select(project, [issue_name])[0]
    return project, issue, placeholders(project.warnings)


def plan(
    content_dir: Path,
    issue_name: str,
    subscribers_csv: Path | None,
    state_dir: Path | None = None,
    *,
    dry_run: bool = False,
    proof: bool = False,
    force: bool = False,
) -> SendPlan:
    """Load the issue, import ``subscribers_csv`` (not on a dry run), and plan from the store.

    An issue ``check`` rejects stops here (ContentError, located), and so does one that still
    holds placeholders unless ``force``, a dry run or a proof: before the store is touched.
    A proof (``--test-to``) needs no store and opens none.
    """
    project, issue, not_ready = _load(content_dir, issue_name)
    if not_ready and not (force or dry_run or proof):
        raise ContentError(
            [
                dataclasses.replace(
                    p,
                    severity="error",
                    message=f"{p.message}; fill it in, or give --force to send the issue as it is",
                )
                for p in not_ready
            ]
        )
    state = state_for(content_dir, state_dir)
    if proof:
        return SendPlan(project, issue, state, [], 0, [], [], not_ready)
    skipped: list[Problem] = []
    suppressed: list[str] = []
    if subscribers_csv is not None:
        read_subscribers(subscribers_csv)  # a misread list stops here, before any state exists
    with _send_log(state) as book:
        store = book.store
        if subscribers_csv is not None and not dry_run:
            imported = import_csv(store, subscribers_csv)
            skipped = imported.skipped
            suppressed = [email for email, _ in imported.blocked]
        people = [Subscriber(s.email, s.name) for s in store.active()]
        if subscribers_csv is not None and dry_run:  # what the import would add, not done
            people, skipped, suppressed = _preview(store, people, subscribers_csv)
        settled = book.settled(issue.id)
    to_send = [p for p in people if key_of(p.email) not in settled]
    return SendPlan(
        project, issue, state, to_send, len(people) - len(to_send), suppressed, skipped, not_ready
    )


def _preview(
    store: Store, people: list[Subscriber], csv: Path
) -> tuple[list[Subscriber], list[Problem], list[str]]:
    """The active list as importing ``csv`` would leave it, without importing it."""
    listed, skipped = read_subscribers(csv)
    known = {key_of(p.email) for p in people}
    suppressed = []
    for person in listed:
        if key_of(person.email) in known:
            continue
        if store.is_blocked(person.email):
            suppressed.append(person.email)
        elif store.status(person.email) is None or store.status(person.email) == "pending":
            people.append(person)
    return people, skipped, suppressed


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
    return Template(send_plan.message).render(
        to=person.email,
        name=person.name,
        message_id=mid or message_id(pub, send_plan.issue, person.email),
        unsubscribe=unsubscribe_url(unsubscribe_base(pub), secret, person.email),
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


def deliver(
    send_plan: SendPlan,
    greeting: str | None = None,
    rate: float = 0.0,
    retries: int = 4,
    backoff: float = 2.0,
    progress: Callable[[int], None] | None = None,
) -> SendResult:
    """Send to everyone in the plan, under the store's send lock, recording each step."""
    job = Delivery(
        send_plan.project.publication,
        send_plan.issue,
        send_plan.message,
        send_plan.to_send,
        _secret(True),
        greeting,
        rate,
        retries,
        backoff,
        progress,
    )
    with _send_log(send_plan.state_dir) as book:
        return run_delivery(book, job)


def report(
    content_dir: Path, issue_name: str, state_dir: Path | None, subscribers_csv: Path | None
) -> Report:
    """Sent, failed, unknown, pending and suppressed for an issue.

    Expected: the list's addresses if given (a suppressed one counted once, as suppressed,
    whatever the log says, unless this issue's send was refused for it: then failed), else
    the store's active subscribers and everyone in the log.
    """
    _project, issue, _ = _load(content_dir, issue_name)
    with _send_log(state_for(content_dir, state_dir)) as book:
        store = book.store
        suppressed = 0
        if subscribers_csv is not None:
            listed, _ = read_subscribers(subscribers_csv)
            # Refused by this issue's send (and so bounced since): a failure of this issue.
            refused = {key_of(e) for e, s in book.statuses(issue.id).items() if s == PERMANENT}
            expected = [
                s.email
                for s in listed
                if key_of(s.email) in refused or not store.is_blocked(s.email)
            ]
            suppressed = len(listed) - len(expected)
        else:
            expected = [s.email for s in store.active()] + list(book.statuses(issue.id))
        found = book.report(issue.id, expected)
    return Report(
        found.sent,
        found.failed,
        found.pending,
        found.failures,
        found.unknown,
        found.unknowns,
        suppressed,
    )
