"""The delivery loop: each recipient's attempt, message and outcome, in that order, durably.

For each recipient the store's send log first commits that an attempt starts; then the
message goes to the server; then the log records the answer (a message the server took in
the same commit as the next attempt: one commit a message). A rerun after a crash sends only
to those not settled, with the same Message-ID, so each crash costs at most one extra copy to
the one recipient whose message was in flight. A refusal of a recipient (5xx) is a hard bounce
in the list, a 4xx that outlasts the run's retries a soft one: the store decides when an
address stops being mailed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from newsletter.errors import NewsletterError
from newsletter.mail.message import message_id, unsubscribe_base
from newsletter.model import Issue, Publication
from newsletter.send.personalise import Template
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
from newsletter.send.subscribers import Subscriber
from newsletter.send.tokens import unsubscribe_url
from newsletter.subscribers.common import key_of
from newsletter.subscribers.sendlog import PERMANENT, SENT, TEMPORARY, UNKNOWN, SendLog

log = logging.getLogger(__name__)

# A server that refuses this many messages in a row is refusing the message or the sender, not
# the recipients: stop, rather than mark the whole list as failed (and bounced) for good.
MAX_REFUSED_IN_A_ROW = 10
# How often a long run re-reads who is still active: an unsubscribe mid-run is honoured then.
REFRESH_SECONDS = 30.0


@dataclass
class SendResult:
    """What a run did."""

    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    retried: int = 0
    unknown: list[tuple[str, str]] = field(default_factory=list)


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


@dataclass
class Delivery:
    """One run: the issue's message, its recipients and how to pace them."""

    publication: Publication
    issue: Issue
    message: bytes
    recipients: Sequence[Subscriber]
    secret: str
    greeting: str | None = None
    rate: float = 0.0
    retries: int = 4
    backoff: float = 2.0
    progress: Callable[[int], None] | None = None


class _Run:
    """The state of one run: the log, the connection, the refusals in a row, patience."""

    def __init__(self, book: SendLog, job: Delivery) -> None:
        self.book = book
        self.job = job
        config = config_from(job.publication.smtp)
        self.mailer = Mailer(config, job.rate)
        self.patience = Patience(config.give_up, job.backoff)
        self.result = SendResult()
        self.refused: list[tuple[str, str]] = []  # permanent refusals in a row, not yet bounced
        self.template = Template(job.message)
        self.base = unsubscribe_base(job.publication)

    def bounce_refused(self) -> None:
        """The refusals were the addresses' own: record them as hard bounces."""
        for email, detail in self.refused:
            self.book.bounce(self.job.issue.id, email, True, detail)
        self.refused.clear()

    def one(self, person: Subscriber, left: int) -> None:
        """Deliver to one recipient, recording the attempt first and the outcome after."""
        issue, pub = self.job.issue, self.job.publication
        mid = message_id(pub, issue, person.email)
        url = unsubscribe_url(self.base, self.job.secret, person.email)
        data = self.template.render(person.email, person.name, mid, url, self.job.greeting)
        tries = 0
        while True:
            self.book.attempt(issue.id, person.email, mid)
            try:
                self.mailer.send(data, pub.sender.address, person.email)
            except Unknown as exc:
                # Maybe delivered: never again in this run; the next run may once more.
                self.book.outcome(issue.id, person.email, UNKNOWN, str(exc))
                self.result.unknown.append((person.email, str(exc)))
                self.patience.check(str(exc), left - 1)
                return
            except (Unreachable, Refused) as exc:
                self.book.outcome(issue.id, person.email, TEMPORARY, str(exc))
                if isinstance(exc, Refused):
                    raise NewsletterError(
                        f"{exc}; stopped, {left} recipient(s) left pending"
                    ) from None
                self.patience.wait(str(exc), left)
                self.result.retried += 1
                continue
            except Temporary as exc:
                self.book.outcome(issue.id, person.email, TEMPORARY, str(exc))
                if tries == self.job.retries:
                    self.result.failed.append((person.email, str(exc)))
                    self.book.bounce(issue.id, person.email, False, str(exc))
                    return
                self.patience.wait(str(exc), left)
                tries += 1
                self.result.retried += 1
                continue
            except Permanent as exc:
                self.book.outcome(issue.id, person.email, PERMANENT, str(exc))
                self.result.failed.append((person.email, str(exc)))
                if not isinstance(exc, Unsendable):  # the address's fault, not the server's
                    self.refused.append((person.email, str(exc)))
                    if len(self.refused) >= MAX_REFUSED_IN_A_ROW:
                        self.stop_refusals(str(exc))
                return
            self.bounce_refused()  # a message went through: the refusals were the addresses'
            self.patience.good()
            # Committed with the next attempt: one commit a message (see SendLog.outcome).
            self.book.outcome(issue.id, person.email, SENT, defer=True)
            self.result.sent += 1
            return

    def stop_refusals(self, last: str) -> None:
        """Stop: the server refuses the message or the sender, not these recipients."""
        for email, _ in self.refused:  # retried on the next run, and not bounced
            detail = f"stopped after refusals in a row: {last}"
            self.book.outcome(self.job.issue.id, email, TEMPORARY, detail)
        count = len(self.refused)
        self.refused.clear()
        raise NewsletterError(
            f"the server refused {count} messages in a row (last: {last}); stopped so the rest "
            "of the list is not marked as failed. Check the message and the SMTP settings, then "
            "run the same command again"
        )


def deliver(book: SendLog, job: Delivery) -> SendResult:
    """Send to every recipient not yet settled, under the send lock of the store.

    The lock is taken first and the log and the list are re-read under it, so a plan made
    before another run finished (on this machine or another) never mails anyone twice, and
    nobody who left the list since is mailed.
    """
    book.lock()
    run = _Run(book, job)
    try:
        settled = book.settled(job.issue.id)
        active = book.store.active_keys()
        refreshed = time.monotonic()
        total = len(job.recipients)
        for index, person in enumerate(job.recipients):
            if time.monotonic() - refreshed > REFRESH_SECONDS:
                active, refreshed = book.store.active_keys(), time.monotonic()
            key = key_of(person.email)
            if key not in settled and key in active:
                run.one(person, total - index)
            if job.progress:
                job.progress(1)
        run.bounce_refused()
    finally:
        run.mailer.close()
        book.flush()  # the last message's outcome
        with contextlib.suppress(NewsletterError):  # stopped otherwise: still the addresses'
            run.bounce_refused()
    result = run.result
    log.info(
        "sent %d, failed %d, unknown %d, retried %d",
        result.sent,
        len(result.failed),
        len(result.unknown),
        result.retried,
    )
    return result
