"""``newsletter subscribers bounces``: DSNs and ARF complaints from an mbox or a Maildir."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from email import message_from_string
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from newsletter.subscribers.bounces import issue_of
from newsletter.subscribers.store import Store

HASH = "0123456789abcdef01234567"


def original(to: str, issue: str) -> EmailMessage:
    """The issue's message as `newsletter send` sent it (Message-ID from mail/message.py)."""
    sent = EmailMessage()
    sent["From"] = "ISHM <ishm@example.org>"
    sent["To"] = to
    sent["Subject"] = "ISHM 328"
    sent["Message-ID"] = f"<ishm-328.{issue}.{HASH}@example.org>"
    sent["List-Unsubscribe"] = (
        f"<https://example.org/unsubscribe/?email={to.replace('@', '%40')}&token=t>, "
        "<mailto:ishm@example.org?subject=unsubscribe>"
    )
    sent.set_content("The issue.")
    return sent


def report_message(
    report_type: str, headers: dict[str, str], parts: list[tuple[str, str]]
) -> Message:
    """A multipart/report, written out as a mail server sends it, then parsed."""
    boundary = "=_report_boundary"
    lines = [f"{name}: {value}" for name, value in headers.items()]
    lines += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"',
        "",
    ]
    for kind, body in parts:
        lines += [f"--{boundary}", f"Content-Type: {kind}", "", body.rstrip("\n"), ""]
    lines.append(f"--{boundary}--")
    return message_from_string("\n".join(lines) + "\n")


def dsn(to: str, issue: str, *, hard: bool, report_id: str) -> Message:
    """A delivery status notification (RFC 3464): 550 failed, or 452 delayed."""
    action, code, text = (
        ("failed", "5.1.1", "550 5.1.1 no such user")
        if hard
        else ("delayed", "4.2.2", "452 4.2.2 mailbox full")
    )
    status = (
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {to}\nAction: {action}\nStatus: {code}\n"
        f"Diagnostic-Code: smtp; {text}\n"
    )
    return report_message(
        "delivery-status",
        {
            "From": "MAILER-DAEMON@mx.example.net",
            "To": "bounces@example.org",
            "Subject": "Undelivered Mail Returned to Sender",
            "Message-ID": report_id,
        },
        [
            ("text/plain", "Your message could not be delivered."),
            ("message/delivery-status", status),
            ("message/rfc822", original(to, issue).as_string()),
        ],
    )


def arf(to: str, issue: str, report_id: str) -> Message:
    """A feedback-loop complaint (RFC 5965) without Original-Rcpt-To."""
    complained = original("ISHM <ishm@example.org>", issue)  # To is often the list itself
    del complained["List-Unsubscribe"]
    complained["List-Unsubscribe"] = (
        f"<https://example.org/unsubscribe/?email={to.replace('@', '%40')}&token=t>"
    )
    return report_message(
        "feedback-report",
        {
            "From": "fbl@isp.example.net",
            "To": "abuse@example.org",
            "Subject": "Complaint about message",
            "Message-ID": report_id,
        },
        [
            ("text/plain", "This is an email abuse report."),
            ("message/feedback-report", "Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1"),
            ("message/rfc822", complained.as_string()),
        ],
    )


def reports() -> list[Message]:
    return [
        dsn("hard@example.org", "2021-11-11", hard=True, report_id="<r1@mx.example.net>"),
        dsn("soft@example.org", "2021-11-11", hard=False, report_id="<r2@mx.example.net>"),
        arf("spam@example.org", "2021-11-11", "<r3@isp.example.net>"),
        EmailMessage(),  # not a report at all: no Message-ID, no From (flufl.bounce chokes)
    ]


def fill(kind: str, path: Path) -> Path:
    box: mailbox.Mailbox = mailbox.mbox(path) if kind == "mbox" else mailbox.Maildir(path)
    for message in reports():
        box.add(message)
    box.close()
    return path


def run_bounces(tmp_path: Path, where: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_DATABASE_URL"}
    state = str(tmp_path / "state")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "newsletter",
            "subscribers",
            "bounces",
            str(where),
            "--state",
            state,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("kind", ["mbox", "maildir"])
def test_bounces_and_complaints(tmp_path: Path, kind: str) -> None:
    store = Store.open(tmp_path / "state")
    for who in ("hard", "soft", "spam"):
        store.subscribe(f"{who}@example.org", source="import")
    store.close()
    where = fill(kind, tmp_path / "box")
    done = run_bounces(tmp_path, where)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "suppressed: hard@example.org",
        "suppressed: spam@example.org",
        "Read 4 message(s): 1 hard bounce(s), 1 soft, 1 complaint(s), 1 other, 0 already read; "
        "2 address(es) suppressed.",
    ]
    store = Store.open(tmp_path / "state")
    assert store.status("hard@example.org") == "bounced"
    assert store.status("soft@example.org") == "active"  # one soft bounce is not enough
    assert store.status("spam@example.org") == "complained"
    assert store.history("hard@example.org")[-1].issue == "2021-11-11"
    assert store.history("spam@example.org")[-1].issue == "2021-11-11"
    store.close()
    again = run_bounces(tmp_path, where)
    assert again.stdout.splitlines()[-1] == (
        "Read 4 message(s): 0 hard bounce(s), 0 soft, 0 complaint(s), 0 other, 4 already read; "
        "0 address(es) suppressed."
    )


def test_soft_bounces_on_three_issues_suppress(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "box")
    for n, issue in enumerate(("2021-11-04", "2021-11-11", "2021-11-18")):
        box.add(dsn("soft@example.org", issue, hard=False, report_id=f"<s{n}@mx.example.net>"))
    box.close()
    done = run_bounces(tmp_path, tmp_path / "box")
    assert "suppressed: soft@example.org" in done.stdout
    store = Store.open(tmp_path / "state")
    assert store.status("soft@example.org") == "bounced"
    store.close()


def test_issue_from_header_or_message_id() -> None:
    sent = original("a@example.org", "2021-11-11")
    assert issue_of(sent) == "2021-11-11"
    sent["X-Newsletter-Issue"] = "2021-11-18"
    assert issue_of(sent) == "2021-11-18"
    assert issue_of(None) is None
