"""Lists, state and options `newsletter send` must never misread: located errors, no traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer
from test_validation import edit

SECRET = "a-test-secret-of-enough-length"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


def cli(
    cwd: Path, port: int, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = os.environ.copy()
    full.update(
        NEWSLETTER_SMTP_HOST="127.0.0.1",
        NEWSLETTER_SMTP_PORT=str(port),
        NEWSLETTER_UNSUBSCRIBE_SECRET=SECRET,
        NEWSLETTER_SMTP_GIVE_UP="2",
        **(env or {}),
    )
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def send(light: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(light.parent, port, "send", "328", "--content", "content", "--yes", *extra)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


LIST = "email,name\nreader0@example.org,Zero\nreader1@example.org,One\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Email,Reason\nreader0@example.org,bounced\n", None),  # header case does not matter
        ("\ufeffemail,reason\nreader0@example.org,bounced\n", None),  # a BOM neither
        (
            "reader0@example.org,bounced\n",
            "state/suppressed.csv:1: email: the first row must name an email column "
            '(comma-separated); got "reader0@example.org,bounced"',
        ),
        (
            "email;reason\nreader0@example.org;bounced\n",
            "state/suppressed.csv:1: email: the first row must name an email column "
            '(comma-separated); got "email;reason"',
        ),
        (
            "email,reason\nreader0@example.org;bounced\n",
            'state/suppressed.csv:2: email: "reader0@example.org;bounced" is not an address: '
            "The part after the @-sign contains invalid characters: ';'.",
        ),
        (
            b"email,reason\nreader0@example.org,r\xe9sili\xe9\n",
            "state/suppressed.csv:2: the suppression list is not UTF-8 (byte 0xe9)",
        ),
    ],
    ids=["capitalised", "bom", "no-header", "semicolons", "semicolon-row", "latin-1"],
)
def test_the_suppression_list_is_never_misread(
    light: Path, server: FaultServer, text: str | bytes, message: str | None
) -> None:
    write(light.parent / "subscribers.csv", LIST)
    write(light.parent / "state" / "suppressed.csv", text)
    result = send(light, server.port, "--subscribers", "subscribers.csv")
    if message is None:
        assert result.returncode == 0, result.stderr
        assert sorted(server.copies_by_recipient()) == ["reader1@example.org"]
    else:
        assert result.returncode == 1
        assert result.stderr.splitlines()[0] == message
        assert server.copies == []
        assert not (light.parent / "state" / "newsletter.sqlite").exists()  # nothing created


def test_a_folder_as_the_suppression_list_stops_the_send(light: Path, server: FaultServer) -> None:
    write(light.parent / "subscribers.csv", LIST)
    (light.parent / "state" / "suppressed.csv").mkdir(parents=True)
    result = send(light, server.port, "--subscribers", "subscribers.csv")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "state/suppressed.csv: the suppression list is a folder, not a CSV file"
    )
    assert server.copies == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'email,name\nreader0@example.org,"Zero\nreader1@example.org,One\n',
            "subscribers.csv:2: a quoted field runs on to the end of the file (line 3); "
            "is a closing quote missing?",
        ),
        (
            'email,name\nreader0@example.org,"Zero\nreader1@example.org,One"\nr2@example.org,2\n',
            "subscribers.csv:2: a quoted field runs on to line 3; is a closing quote missing?",
        ),
        (
            "email,name,email\nreader0@example.org,Zero,x@example.org\n",
            "subscribers.csv:1: email: this column is named twice",
        ),
        ("email,name\nreader0@example.org,Ze\0ro\n", "subscribers.csv:2: contains a NUL character"),
        (
            "email,name\nreader0@example.org,Smith, J\n",
            "subscribers.csv:2: 3 fields, but the header names 2; quote a value that contains "
            "a comma",
        ),
        (
            "email,name\nreader0@example.org," + "x" * 140_000 + "\n",
            "subscribers.csv:2: a field is longer than 128 KB",
        ),
        (
            b"email,name\nreader0@example.org,Ren\xe9\n",
            "subscribers.csv:2: the subscriber list is not UTF-8 (byte 0xe9)",
        ),
        (
            "name\nZero\n",
            "subscribers.csv:1: email: the first row must name an email column "
            '(comma-separated); got "name"',
        ),
    ],
    ids=[
        "unterminated",
        "runs-on",
        "duplicate-column",
        "nul",
        "extra-field",
        "huge",
        "latin-1",
        "no-email",
    ],
)
def test_subscriber_list_quirks_are_located(
    light: Path, server: FaultServer, text: str | bytes, message: str
) -> None:
    write(light.parent / "subscribers.csv", text)
    result = send(light, server.port, "--subscribers", "subscribers.csv")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == message
    assert server.copies == []
    assert not (light.parent / "state").exists()


def test_a_name_with_a_line_break_is_skipped_not_injected(light: Path, server: FaultServer) -> None:
    write(
        light.parent / "subscribers.csv",
        'email,name\nreader0@example.org,"Zero\u2028Bcc: x@y.z"\nreader1@example.org,One\n',
    )
    result = send(light, server.port, "--subscribers", "subscribers.csv")
    assert result.returncode == 0, result.stderr
    assert (
        "skipped: subscribers.csv:2: name: 'Zero\\u2028Bcc: x@y.z' contains a line break (U+2028)"
        in result.stderr
    )
    assert sorted(server.copies_by_recipient()) == ["reader1@example.org"]


def test_test_to_cannot_inject_a_header(light: Path, server: FaultServer) -> None:
    result = send(light, server.port, "--test-to", "a@example.org\r\nBcc: x@y.z")
    assert result.returncode == 1
    assert last_line(result) == (
        "error: --test-to: 'a@example.org\\r\\nBcc: x@y.z' is not an email address: "
        "it contains a line break (U+000D)"
    )
    assert server.connections == 0


@pytest.mark.parametrize(
    ("setting", "value", "header"),
    [
        ("short_name: ISHM", 'short_name: "IS\\nBcc: x@y.z"', "Subject"),
        ("  name: Enabling Peace in Iraq Center", '  name: "EPIC\\nBcc: x@y.z"', "From"),
    ],
    ids=["short_name", "sender.name"],
)
def test_settings_cannot_inject_a_header(
    light: Path, server: FaultServer, setting: str, value: str, header: str
) -> None:
    edit(light / "newsletter.yaml", setting, value)
    result = send(light, server.port, "--test-to", "editor@example.org")
    assert result.returncode == 1
    # `send` refuses what `check` rejects (a control character in a text field, located), and
    # the header layer refuses the rest.
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: the {header} header would be unsafe: ") or (
        first.startswith("content/newsletter.yaml:") and "control character" in first
    ), result.stderr
    assert server.connections == 0


@pytest.mark.parametrize("short_name", ["مرصد", "IŞHM"])
def test_a_non_ascii_short_name_builds_and_sends(
    light: Path, server: FaultServer, short_name: str
) -> None:
    edit(light / "newsletter.yaml", "short_name: ISHM", f"short_name: {short_name}")
    built = cli(light.parent, server.port, "build", "--content", "content", "--output", "out")
    assert built.returncode == 0, built.stderr
    eml = next((light.parent / "out" / "email").glob("*/message.eml")).read_bytes()
    head = eml.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    proof = send(light, server.port, "--test-to", "editor@example.org")
    assert proof.returncode == 0, proof.stderr
    assert server.copies_by_recipient() == {"editor@example.org": 1}


def _logged(light: Path, server: FaultServer) -> Path:
    write(light.parent / "subscribers.csv", LIST)
    first = send(light, server.port, "--subscribers", "subscribers.csv")
    assert first.returncode == 0, first.stderr
    return light.parent / "state"


def test_a_read_only_state_folder(light: Path, server: FaultServer) -> None:
    state = _logged(light, server)
    write(light.parent / "subscribers.csv", LIST + "reader2@example.org,Two\n")
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    state.chmod(0o500)
    for child in state.iterdir():
        child.chmod(0o400)
    try:
        result = send(light, server.port, "--subscribers", "subscribers.csv")
    finally:
        state.chmod(0o700)
        for child in state.iterdir():
            child.chmod(0o600)
    if os.geteuid() == 0:  # root writes anyway: the point is then only "no traceback"
        assert "Traceback" not in result.stderr
        return
    assert result.returncode == 1
    assert last_line(result).startswith("error: state/newsletter.sqlite: ")
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "corrupt",
            "error: state/sends.sqlite: the send log cannot be used: file is not a database",
        ),
        ("truncated", "error: state/sends.sqlite: the send log cannot be used: "),
        (
            "foreign",
            "error: state/sends.sqlite: not a send log (it holds accounts); move it "
            "away or give another --state folder",
        ),
        ("folder", "error: state/sends.sqlite: a folder is where a file should be"),
        ("file", "error: state: the state folder is a file"),
    ],
)
def test_a_damaged_state_is_reported_and_left_alone(
    light: Path, server: FaultServer, damage: str, message: str
) -> None:
    write(light.parent / "subscribers.csv", LIST)
    state = light.parent / "state"
    log = state / "sends.sqlite"
    state.mkdir()
    if damage == "corrupt":
        log.write_bytes(b"this is not SQLite at all, but it is long enough" * 100)
    elif damage == "truncated":
        with sqlite3.connect(log) as db:
            db.execute("CREATE TABLE t (x)")
            db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
        log.write_bytes(log.read_bytes()[:5000])
    elif damage == "foreign":
        with sqlite3.connect(log) as db:
            db.execute("CREATE TABLE accounts (id INTEGER)")
        db.close()
    elif damage == "folder":
        log.mkdir()
    else:
        state.rmdir()
        state.write_text("not a folder")
    snapshot = sorted((p.name, p.stat().st_size) for p in state.iterdir()) if state.is_dir() else 0
    result = send(light, server.port, "--subscribers", "subscribers.csv")
    assert result.returncode == 1
    assert last_line(result).startswith(message)
    assert server.copies == []
    after = sorted((p.name, p.stat().st_size) for p in state.iterdir()) if state.is_dir() else 0
    assert after == snapshot


@pytest.mark.parametrize("rate", ["1e-300", "0", "-1", "nan", "inf"])
def test_impossible_rates_are_usage_errors(light: Path, server: FaultServer, rate: str) -> None:
    write(light.parent / "subscribers.csv", LIST)
    result = send(light, server.port, "--subscribers", "subscribers.csv", "--rate", rate)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Invalid value for '--rate': must be a number from 0.001 to 10000" in result.stderr
    assert server.connections == 0
