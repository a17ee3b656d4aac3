"""`newsletter send` on the store: the list it mails, bounces it records, two sends at once."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import SmtpServer
from store_databases import database_url, pg_url  # noqa: F401  (fixtures)
from synthetic import write_issue
from test_validation import edit

from newsletter.cli import main
from newsletter.subscribers.store import Store

SECRET = "a-test-secret-of-enough-length"


@pytest.fixture
def light(project: Path) -> Path:
    """The sample with the PDF linked, and a second issue (329) after it."""
    edit(project / "newsletter.yaml", "date_formats:", "email:\n  pdf: link\ndate_formats:")
    write_issue(project, 329, dt.date(2021, 11, 18), random.Random(329))
    return project


def env_for(port: int, url: str = "") -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        NEWSLETTER_SMTP_HOST="127.0.0.1",
        NEWSLETTER_SMTP_PORT=str(port),
        NEWSLETTER_SMTP_SECURITY="none",
        NEWSLETTER_UNSUBSCRIBE_SECRET=SECRET,
        NEWSLETTER_SMTP_GIVE_UP="30",
    )
    if url:
        env["NEWSLETTER_DATABASE_URL"] = url
    else:
        env.pop("NEWSLETTER_DATABASE_URL", None)
    return env


def readers(folder: Path, count: int) -> Path:
    path = folder / "subscribers.csv"
    rows = "".join(f"reader{i}@example.org,Reader {i}\n" for i in range(count))
    path.write_text("email,name\n" + rows, encoding="utf-8")
    return path


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_unsubscribed_and_refused_readers_are_not_mailed_the_next_issue(
    light: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    csv = readers(tmp_path, 6)
    with SmtpServer() as server:
        env = env_for(server.port)
        server.box.permanent = {"reader2@example.org"}  # 550 5.1.1 No such user
        first = cli(
            "send", "328", "--content", str(light), "--state", str(state),
            "--subscribers", str(csv), "--yes", env=env,
        )  # fmt: skip
        assert first.returncode == 1, first.stderr  # one failure
        assert "Sent 5, failed 1 (0 retries)." in first.stdout
        with Store.open(state) as store:
            assert store.status("reader2@example.org") == "bounced"
            assert store.history("reader2@example.org")[-1].how == "hard bounce"
            store.unsubscribe("reader4@example.org", "one-click", "2021-11-11")
        server.box.permanent = set()
        second = cli(
            "send", "329", "--content", str(light), "--state", str(state), "--yes", env=env,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert "Sent 4, failed 0 (0 retries)." in second.stdout
        by_issue: dict[str, set[str]] = {"328": set(), "329": set()}
        for recipient, ids in server.box.ids_by_recipient().items():
            for mid in ids:
                by_issue["329" if "-329." in mid else "328"].add(recipient)
    assert "reader2@example.org" not in by_issue["329"]
    assert "reader4@example.org" not in by_issue["329"]
    assert len(by_issue["329"]) == 4


def test_an_import_never_reactivates_an_unsubscribed_address(light: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.subscribe("reader1@example.org", source="import")
        store.unsubscribe("reader1@example.org", "link")
    with SmtpServer() as server:
        result = cli(
            "send", "328", "--content", str(light), "--state", str(state),
            "--subscribers", str(readers(tmp_path, 3)), "--yes", env=env_for(server.port),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert sorted(server.box.copies_by_recipient()) == [
            "reader0@example.org",
            "reader2@example.org",
        ]
    assert "kept suppressed: reader1@example.org" in result.stderr


def test_placeholders_stop_the_send_unless_forced(project: Path, tmp_path: Path) -> None:
    made = CliRunner().invoke(main, ["new", "--content", str(project)])
    assert made.exit_code == 0, made.output
    with SmtpServer() as server:
        env = env_for(server.port)
        args = ["send", "329", "--content", str(project), "--state", str(tmp_path / "state")]
        refused = cli(*args, "--subscribers", str(readers(tmp_path, 2)), "--yes", env=env)
        assert refused.returncode == 1
        lines = refused.stderr.splitlines()
        located = [line for line in lines if "still a placeholder" in line]
        assert located and all(
            line.split(":")[0].endswith(".yaml") and line.split(":")[1].isdigit()
            for line in located
        ), refused.stderr
        assert "give --force to send the issue as it is" in located[0]
        assert server.box.copies == []
        assert not (tmp_path / "state").exists()  # refused before the store was touched
        forced = cli(*args, "--subscribers", str(readers(tmp_path, 2)), "--yes", "--force", env=env)
        assert forced.returncode == 0, forced.stderr
        assert len(server.box.copies) == 2


def test_two_sends_of_one_issue_at_once_mail_everyone_once(
    light: Path,
    tmp_path: Path,
    database_url: str,  # noqa: F811
) -> None:
    # Two editors: each their own content copy and state folder (two machines); on PostgreSQL
    # both point at one database, on SQLite both use one state folder.
    url = "" if database_url.startswith("sqlite") else database_url
    csv = readers(tmp_path, 200)
    with SmtpServer() as server:
        env = env_for(server.port, url)
        runs = []
        for editor in ("a", "b"):
            state = tmp_path / ("state" if not url else f"state-{editor}")
            args = ["send", "328", "--content", str(light), "--state", str(state)]
            runs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "newsletter", *args, "--subscribers", str(csv), "--yes"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        outputs = [run.communicate(timeout=180) for run in runs]
        copies = server.box.copies_by_recipient()
    assert len(copies) == 200 and set(copies.values()) == {1}, outputs
    sent = [out for out, _ in outputs if "Sent " in out]
    assert sent, outputs
    for (out, err), run in zip(outputs, runs, strict=True):
        assert run.returncode == 0 or "another send is running" in err, (out, err)
