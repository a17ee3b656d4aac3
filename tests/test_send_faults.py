"""`newsletter send` against servers that misbehave, driven as a user would: real processes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import Behaviour, FaultServer
from smtp_server import SmtpServer
from test_send import subscribers

SECRET = "a-test-secret-of-enough-length"


def env_for(port: int, **extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        NEWSLETTER_SMTP_HOST="127.0.0.1",
        NEWSLETTER_SMTP_PORT=str(port),
        NEWSLETTER_SMTP_SECURITY="none",
        NEWSLETTER_UNSUBSCRIBE_SECRET=SECRET,
        NEWSLETTER_SMTP_TIMEOUT="2",
        NEWSLETTER_SMTP_GIVE_UP="1.5",
    )
    env.update(extra)
    return env


def command(content: Path, csv: Path | None, state: Path, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "newsletter", "send", "328", "--content", str(content)]
    if csv is not None:
        args += ["--subscribers", str(csv)]
    return [*args, "--state", str(state), "--yes", *extra]


def send(
    content: Path, csv: Path | None, state: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(content, csv, state, *extra), env=env, capture_output=True, text=True, timeout=120
    )


def report(content: Path, csv: Path, state: Path, env: dict[str, str]) -> str:
    args = command(content, csv, state, "--report")
    args.remove("--yes")
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def closed_port() -> Iterator[int]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])  # bound, never listening: connections are refused


def test_data_dropped_before_the_reply_is_sent_once_then_once_more_next_run(
    light: Path, tmp_path: Path
) -> None:
    csv = subscribers(tmp_path, 5)
    state = tmp_path / "state"
    with FaultServer(Behaviour(after_data="drop")) as server:
        env = env_for(server.port)
        first = send(light, csv, state, env)
        assert first.returncode == 1, first.stderr
        assert "Sent 0, failed 0, unknown 5 (0 retries)." in first.stdout
        assert "The next run sends each once more, with the same Message-ID." in first.stderr
        assert set(server.copies_by_recipient().values()) == {1}  # never twice in one run
        assert len(server.copies_by_recipient()) == 5
        assert report(light, csv, state, env).startswith(
            "sent: 0\nfailed: 0\nunknown: 5\npending: 0\nsuppressed: 0\n"
        )
        second = send(light, csv, state, env)
        assert second.returncode == 1
        third = send(light, csv, state, env)
        assert third.returncode == 0, third.stderr
        assert "Nothing to send: 0 to send, 5 already done" in third.stdout
    assert set(server.copies_by_recipient().values()) == {2}  # at most one more, ever
    assert all(len(ids) == 1 for ids in server.ids_by_recipient().values())  # same Message-ID


def test_an_unknown_outcome_is_confirmed_by_the_next_run(light: Path, tmp_path: Path) -> None:
    csv = subscribers(tmp_path, 3)
    state = tmp_path / "state"
    with FaultServer(Behaviour(after_data="drop")) as server:
        assert send(light, csv, state, env_for(server.port)).returncode == 1
        server.behaviour.after_data = "250"
        rerun = send(light, csv, state, env_for(server.port))
        assert rerun.returncode == 0, rerun.stderr
        assert "Sent 3, failed 0 (0 retries)." in rerun.stdout
    assert set(server.copies_by_recipient().values()) == {2}
    assert all(len(ids) == 1 for ids in server.ids_by_recipient().values())
    assert report(light, csv, state, env_for(server.port)).startswith(
        "sent: 3\nfailed: 0\npending: 0\n"
    )


def test_a_reply_slower_than_the_timeout_is_unknown_not_retried(
    light: Path, tmp_path: Path
) -> None:
    csv = subscribers(tmp_path, 2)
    with FaultServer(Behaviour(after_data="silent")) as server:
        env = env_for(server.port, NEWSLETTER_SMTP_DATA_TIMEOUT="0.5", NEWSLETTER_SMTP_GIVE_UP="30")
        started = time.monotonic()
        result = send(light, csv, tmp_path / "state", env)
        assert result.returncode == 1
        assert "Sent 0, failed 0, unknown 2 (0 retries)." in result.stdout
        assert "unknown reader0@example.org: the server took the whole message but never" in (
            result.stderr
        )
        assert time.monotonic() - started < 20
    assert server.copies_by_recipient() == {"reader0@example.org": 1, "reader1@example.org": 1}


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (Behaviour(greeting="421 4.3.2 too busy"), "refused the session for now: 421 4.3.2 too"),
        (Behaviour(rcpt="421 4.7.0 closing"), "the server closed the session: 421 4.7.0 closing"),
    ],
    ids=["greeting-421", "rcpt-421"],
)
def test_a_server_refusing_sessions_stops_the_run_in_bounded_time(
    light: Path, tmp_path: Path, behaviour: Behaviour, reason: str
) -> None:
    csv = subscribers(tmp_path, 5)
    state = tmp_path / "state"
    with FaultServer(behaviour) as server:
        started = time.monotonic()
        result = send(light, csv, state, env_for(server.port))
        elapsed = time.monotonic() - started
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1
        assert lines[-1].startswith("error: no message accepted for 2 s (last: ")
        assert reason in lines[-1]
        assert lines[-1].endswith(
            "stopped, 5 recipient(s) left pending. Check the SMTP server and settings, "
            "then run the same command again"
        )
        assert elapsed < 15
        assert server.copies == []
        assert report(light, csv, state, env_for(server.port)).startswith(
            "sent: 0\nfailed: 0\npending: 5\n"
        )


def test_a_554_greeting_stops_at_once(light: Path, tmp_path: Path) -> None:
    csv = subscribers(tmp_path, 5)
    state = tmp_path / "state"
    with FaultServer(Behaviour(greeting="554 5.7.1 no service for you")) as server:
        env = env_for(server.port, NEWSLETTER_SMTP_GIVE_UP="60")
        started = time.monotonic()
        result = send(light, csv, state, env)
        assert time.monotonic() - started < 15
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1] == (
            f"error: 127.0.0.1:{server.port} refused the session: 554 5.7.1 no service for you; "
            "stopped, 5 recipient(s) left pending"
        )
        assert server.connections == 1
        assert report(light, csv, state, env).startswith("sent: 0\nfailed: 0\npending: 5\n")


def test_no_server_at_all_stops_the_run_in_bounded_time(
    light: Path, tmp_path: Path, closed_port: int
) -> None:
    csv = subscribers(tmp_path, 100)
    started = time.monotonic()
    result = send(light, csv, tmp_path / "state", env_for(closed_port))
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: no message accepted for 2 s (last: cannot connect to 127.0.0.1")
    assert "stopped, 100 recipient(s) left pending" in last


def test_non_ascii_address_uses_smtputf8_or_fails_alone(light: Path, tmp_path: Path) -> None:
    csv = subscribers(tmp_path, 2, extra="josé@example.org,José\nreader9@example.org,Nine\n")
    with FaultServer() as plain:
        result = send(light, csv, tmp_path / "state", env_for(plain.port))
        assert result.returncode == 1
        assert "Sent 3, failed 1 (0 retries)." in result.stdout
        assert (
            "failed josé@example.org: the address is not ASCII and the server does not offer "
            "SMTPUTF8" in result.stderr
        )
        assert sorted(plain.copies_by_recipient()) == [
            "reader0@example.org",
            "reader1@example.org",
            "reader9@example.org",
        ]
    with FaultServer(Behaviour(smtputf8=True)) as modern:
        result = send(light, csv, tmp_path / "state2", env_for(modern.port))
        assert result.returncode == 0, result.stderr
        assert modern.copies_by_recipient()["josé@example.org"] == 1


def _in_flight(state: Path) -> list[str]:
    with sqlite3.connect(state / "newsletter.sqlite") as db:  # the store's send log
        rows = db.execute("SELECT email FROM sends WHERE status = 'attempted'").fetchall()
    return [email for (email,) in rows]


def test_kill_nine_at_random_moments_costs_at_most_one_copy_per_kill(
    light: Path, tmp_path: Path
) -> None:
    rng = random.Random(328)
    csv = subscribers(tmp_path, 300)
    state = tmp_path / "state"
    in_flight: Counter[str] = Counter()
    kills = 0
    with SmtpServer() as server:
        env = env_for(server.port, NEWSLETTER_SMTP_GIVE_UP="30")
        for _cycle in range(5):
            for _kill in range(2):
                process = subprocess.Popen(
                    command(light, csv, state),
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                target = len(server.box.copies) + rng.randint(1, 20)
                deadline = time.monotonic() + 60
                while (
                    len(server.box.copies) < target
                    and process.poll() is None
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.002)
                time.sleep(rng.uniform(0, 0.01))
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                in_flight.update(_in_flight(state))
        final = send(light, csv, state, env)
        assert final.returncode == 0, final.stderr
        copies = server.box.copies_by_recipient()
        ids = server.box.ids_by_recipient()
    assert kills == 10
    assert len(copies) == 300  # nobody is missed
    assert all(len(found) == 1 for found in ids.values())  # one Message-ID per recipient
    over = {r: n for r, n in copies.items() if n > 1 + in_flight[r]}
    assert over == {}
    extra = sum(copies.values()) - 300
    assert extra <= kills
    print(f"kill -9 x{kills}: {extra} extra copies, {sum(in_flight.values())} kills in flight")
