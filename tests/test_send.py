"""Sending to subscribers through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import SmtpServer

from newsletter.cli import main
from newsletter.commands import send as sending
from newsletter.send import deliver as deliver_module
from newsletter.send.tokens import token, verify

SECRET = "a-test-secret-of-enough-length"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        monkeypatch.setenv("NEWSLETTER_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSLETTER_SMTP_PORT", str(server.port))
        monkeypatch.setenv("NEWSLETTER_SMTP_SECURITY", "none")
        monkeypatch.setenv("NEWSLETTER_UNSUBSCRIBE_SECRET", SECRET)
        yield server


def subscribers(folder: Path, count: int, extra: str = "") -> Path:
    path = folder / "subscribers.csv"
    rows = "".join(f"reader{i}@example.org,Reader {i}\n" for i in range(count))
    path.write_text("email,name\n" + rows + extra, encoding="utf-8")
    return path


def run_send(content: Path, csv: Path, state: Path, *extra: str) -> tuple[int, str]:
    args = [
        "send",
        "328",
        "--content",
        str(content),
        "--subscribers",
        str(csv),
        "--state",
        str(state),
        "--yes",
        *extra,
    ]
    result = CliRunner().invoke(main, args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def report(content: Path, state: Path, csv: Path) -> str:
    result = CliRunner().invoke(
        main,
        [
            "send",
            "328",
            "--report",
            "--content",
            str(content),
            "--state",
            str(state),
            "--subscribers",
            str(csv),
        ],
    )
    return result.output


def test_thousand_recipients_each_get_exactly_one_copy(
    smtp: SmtpServer, light: Path, tmp_path: Path
) -> None:
    csv = subscribers(tmp_path, 1000)
    code, output = run_send(light, csv, tmp_path / "state")
    assert code == 0, output
    assert "Sent 1000, failed 0 (0 retries)." in output
    copies = smtp.box.copies_by_recipient()
    assert len(copies) == 1000 and set(copies.values()) == {1}
    assert all(len(ids) == 1 for ids in smtp.box.ids_by_recipient().values())
    assert report(light, tmp_path / "state", csv) == (
        "sent: 1000\nfailed: 0\npending: 0\nsuppressed: 0\n"
    )
    # Running again sends nothing: everyone is confirmed.
    code, output = run_send(light, csv, tmp_path / "state")
    assert output.endswith(
        "Nothing to send: 0 to send, 1000 already done, 0 suppressed, 0 skipped.\n"
    )
    assert len(smtp.box.copies) == 1000


def test_temporary_failures_are_retried_and_permanent_ones_recorded(
    smtp: SmtpServer, light: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliver_module.time, "sleep", lambda _s: None)  # no backoff waits
    csv = subscribers(tmp_path, 20)
    smtp.box.temporary = {"reader3@example.org": 2, "reader7@example.org": 1}
    smtp.box.permanent = {"reader11@example.org"}
    code, output = run_send(light, csv, tmp_path / "state")
    assert code == 1
    assert "Sent 19, failed 1 (3 retries)." in output
    assert "failed reader11@example.org: 550 5.1.1 No such user" in output
    assert smtp.box.copies_by_recipient()["reader3@example.org"] == 1
    assert "reader11@example.org" not in smtp.box.copies_by_recipient()
    assert report(light, tmp_path / "state", csv) == (
        "sent: 19\nfailed: 1\npending: 0\nsuppressed: 0\n"
        "  failed reader11@example.org: 550 5.1.1 No such user\n"
    )


def test_a_connection_dropped_after_data_is_unknown_and_resent_next_run(
    smtp: SmtpServer, light: Path, tmp_path: Path
) -> None:
    csv = subscribers(tmp_path, 30)
    smtp.box.drop_at = {5, 17}  # the whole message is in, then the server hangs up
    code, output = run_send(light, csv, tmp_path / "state")
    assert code == 1, output
    assert "Sent 28, failed 0, unknown 2 (0 retries)." in output
    assert len(smtp.box.copies_by_recipient()) == 28  # never retried within the run
    code, output = run_send(light, csv, tmp_path / "state")
    assert code == 0, output
    assert "Sent 2, failed 0 (0 retries)." in output
    assert set(smtp.box.copies_by_recipient().values()) == {1}
    assert len(smtp.box.copies_by_recipient()) == 30


def test_killed_mid_send_and_run_again(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    csv = subscribers(tmp_path, 300)
    state = tmp_path / "state"
    command = [
        sys.executable,
        "-m",
        "newsletter",
        "send",
        "328",
        "--content",
        str(light),
        "--subscribers",
        str(csv),
        "--state",
        str(state),
        "--yes",
    ]
    process = subprocess.Popen(
        command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while len(smtp.box.copies) < 40 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    delivered_before = len(smtp.box.copies)
    assert 40 <= delivered_before < 300  # it really was cut off mid-send
    assert report(light, state, csv).splitlines()[2] != "pending: 0"
    rerun = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    by_recipient = smtp.box.ids_by_recipient()
    assert len(by_recipient) == 300  # nobody is missing
    assert all(len(ids) == 1 for ids in by_recipient.values())  # one distinct message each
    assert max(smtp.box.copies_by_recipient().values()) <= 2  # at most the in-flight one twice
    assert report(light, state, csv) == "sent: 300\nfailed: 0\npending: 0\nsuppressed: 0\n"


def test_invalid_duplicate_and_suppressed_addresses_are_skipped(
    smtp: SmtpServer, light: Path, tmp_path: Path
) -> None:
    csv = subscribers(tmp_path, 3, extra="not-an-address,X\nREADER1@example.org,Again\n")
    state = tmp_path / "state"
    state.mkdir()
    (state / "suppressed.csv").write_text(
        "email,reason\nreader2@example.org,unsubscribed\n", encoding="utf-8"
    )
    code, output = run_send(light, csv, state)
    assert code == 0, output
    lines = output.splitlines()
    assert (
        f'skipped: {csv}:5: email: "not-an-address" is not a valid address: '
        "An email address must have an @-sign." in lines
    )
    assert f"skipped: {csv}:6: email: reader1@example.org is already listed on line 3" in lines
    assert sorted(smtp.box.copies_by_recipient()) == ["reader0@example.org", "reader1@example.org"]


def test_dry_run_connects_to_nothing(
    light: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSLETTER_SMTP_PORT", "1")  # nothing listens there
    csv = subscribers(tmp_path, 5)
    code, output = run_send(
        light, csv, tmp_path / "state", "--dry-run", "--greeting", "Dear {name},"
    )
    assert code == 0, output
    assert output.startswith("Dry run: 5 to send, 0 already done, 0 suppressed, 0 skipped.")
    assert "To: Reader 0 <reader0@example.org>" in output
    assert "Dear Reader 0," in output
    from newsletter.subscribers.store import Store

    with Store.open(tmp_path / "state") as store:  # a dry run imports nothing
        assert store.count("active") == {"active": 0}


def test_test_message_is_not_logged(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "send",
            "328",
            "--content",
            str(light),
            "--test-to",
            "editor@example.org",
            "--state",
            str(tmp_path / "state"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert smtp.box.copies_by_recipient() == {"editor@example.org": 1}
    assert not (tmp_path / "state").exists()  # a proof opens no store


def test_confirmation_is_asked(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    csv = subscribers(tmp_path, 4)
    result = CliRunner().invoke(
        main,
        [
            "send",
            "328",
            "--content",
            str(light),
            "--subscribers",
            str(csv),
            "--state",
            str(tmp_path / "state"),
        ],
        input="n\n",
    )
    assert "Send 328 to 4 recipient(s)? [y/N]" in result.output
    assert result.exit_code == 1
    assert smtp.box.copies == []


def test_personal_message_headers_and_links(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    import email
    from email.policy import default

    from newsletter.loader import load_project

    csv = subscribers(tmp_path, 1)
    plan = sending.plan(light, "328", csv, tmp_path / "state")
    plan.message = sending.render_message(plan)
    data = sending.message_for(plan, plan.to_send[0], SECRET, "Dear {name},")
    msg = email.message_from_bytes(data, policy=default)
    expected_token = token(SECRET, "reader0@example.org")
    url = f"https://enablingpeace.org/ishm/unsubscribe/?email=reader0%40example.org&token={expected_token}"
    assert (
        msg["List-Unsubscribe"] == f"<{url}>, <mailto:ishm@enablingpeace.org?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert url.replace("&", "&amp;") in html
    assert '<p class="greeting">Dear Reader 0,</p>' in html
    assert verify(SECRET, "reader0@example.org", expected_token)
    assert not verify(SECRET, "reader1@example.org", expected_token)
    pub = load_project(light).publication
    assert msg["Message-ID"] == sending.message_id(pub, plan.issue, "reader0@example.org")


def test_secret_is_required_to_send(
    light: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_UNSUBSCRIBE_SECRET", raising=False)
    code, output = run_send(light, subscribers(tmp_path, 1), tmp_path / "state")
    assert code == 1
    assert output.splitlines()[-1] == (
        "error: set NEWSLETTER_UNSUBSCRIBE_SECRET (16 characters or more) to sign unsubscribe links"
    )


def test_password_is_never_printed_or_logged(
    smtp: SmtpServer,
    light: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from newsletter.send.smtp import config_from

    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "hunter2-very-secret")
    assert "hunter2" not in repr(config_from(None))
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(
            main,
            [
                "-v",
                "send",
                "328",
                "--content",
                str(light),
                "--subscribers",
                str(subscribers(tmp_path, 2)),
                "--state",
                str(tmp_path / "state"),
                "--yes",
            ],
        )
    assert "hunter2" not in result.output
    assert "hunter2" not in caplog.text


def test_a_second_send_waits_for_the_first(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    from newsletter.errors import NewsletterError
    from newsletter.subscribers.sendlog import SendLog

    csv = subscribers(tmp_path, 3)
    state = tmp_path / "state"
    first_plan = sending.plan(light, "328", csv, state)
    first_plan.message = sending.render_message(first_plan)
    holder = SendLog.open(state)
    holder.lock()  # a send in progress elsewhere
    try:
        with pytest.raises(NewsletterError) as caught:
            sending.deliver(first_plan)
        assert str(caught.value) == (
            f"another send is running with the database {state / 'newsletter.sqlite'}; "
            "wait for it to finish"
        )
    finally:
        holder.close()
    assert smtp.box.copies == []
    # A plan made before another run finished is re-checked against the log under the lock.
    stale = sending.plan(light, "328", csv, state)
    stale.message = first_plan.message
    assert sending.deliver(first_plan).sent == 3
    assert sending.deliver(stale).sent == 0
    assert len(smtp.box.copies) == 3


def test_stops_after_refusals_in_a_row(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    csv = subscribers(tmp_path, 30)
    smtp.box.permanent = {f"reader{i}@example.org" for i in range(3, 30)}
    code, output = run_send(light, csv, tmp_path / "state")
    assert code == 1
    assert output.splitlines()[-1] == (
        "error: the server refused 10 messages in a row (last: 550 5.1.1 No such user); stopped "
        "so the rest of the list is not marked as failed. Check the message and the SMTP "
        "settings, then run the same command again"
    )
    assert len(smtp.box.copies) == 3
    smtp.box.permanent = set()
    code, output = run_send(light, csv, tmp_path / "state")
    assert code == 0, output
    assert "Sent 27, failed 0 (0 retries)." in output
    assert set(smtp.box.copies_by_recipient().values()) == {1}


def test_each_proof_has_its_own_message_id(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    args = ["send", "328", "--content", str(light), "--state", str(tmp_path / "state")]
    for _ in range(2):
        result = CliRunner().invoke(main, [*args, "--test-to", "editor@example.org"])
        assert result.exit_code == 0, result.output
    ids = smtp.box.ids_by_recipient()["editor@example.org"]
    assert len(ids) == 2  # a corrected proof is not taken for a duplicate of the first
    code, _ = run_send(light, subscribers(tmp_path, 1, "editor@example.org,Ed\n"), tmp_path / "s")
    assert code == 0
    assert len(smtp.box.ids_by_recipient()["editor@example.org"]) == 3


def test_date_is_the_time_of_sending(smtp: SmtpServer, light: Path, tmp_path: Path) -> None:
    import datetime as dt
    import email
    from email.policy import default

    code, output = run_send(light, subscribers(tmp_path, 1), tmp_path / "state")
    assert code == 0, output
    plan = sending.plan(light, "328", None, tmp_path / "state")
    plan.message = sending.render_message(plan)
    data = sending.message_for(plan, sending.Subscriber("a@example.org"), SECRET, None)
    date = email.message_from_bytes(data, policy=default)["Date"].datetime
    assert abs(date - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_report_counts_suppressed_once_under_their_own_heading(
    smtp: SmtpServer, light: Path, tmp_path: Path
) -> None:
    csv = subscribers(tmp_path, 3)
    state = tmp_path / "state"
    code, output = run_send(light, csv, state)
    assert code == 0, output
    (state / "suppressed.csv").write_text("email,reason\nREADER1@example.org,unsubscribed\n")
    assert report(light, state, csv) == "sent: 2\nfailed: 0\npending: 0\nsuppressed: 1\n"


def test_dry_run_shows_headers_and_text_not_base64(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PORT", "1")
    code, output = run_send(project, subscribers(tmp_path, 2), tmp_path / "state", "--dry-run")
    assert code == 0, output
    assert "\nSubject: ISHM 328: " in output and "\nMessage-ID: <ishm-328." in output
    assert "Content-Transfer-Encoding: base64" not in output
    assert max(len(line) for line in output.splitlines()) < 400  # no encoded blobs
    assert "[application/pdf ishm-328.pdf, " in output
    assert "[text/html, " in output
