"""``newsletter serve`` as an editor runs it: a real process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_validation import edit

from newsletter.serve import safe_file

IED = "issues/2021-11-11/ied.yaml"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def _until(predicate: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail("the preview did not change in time")


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


@pytest.fixture
def served(project: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``newsletter serve --port 0`` on the sample, and its URL once it answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--content", str(project), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once the first build is served
        assert line.startswith("Previewing at http://127.0.0.1:"), line
        url = line.split()[2]
        _until(lambda: _get(url)[0] == 200)
        yield process, url
    finally:
        process.terminate()
        process.communicate(timeout=20)  # and close its pipes


def test_serve_survives_a_crashing_rebuild_and_rebuilds_the_fix(
    served: tuple[subprocess.Popen[str], str], project: Path
) -> None:
    _, url = served
    edit(project / IED, "date: 2021-11-06", "date: 2021-11-31")  # an impossible date
    _until(lambda: 'class="error"' in _get(url)[1])
    assert "day is out of range for month" in _get(url)[1]
    edit(project / IED, "date: 2021-11-31", "date: 2021-11-06")
    _until(lambda: 'class="error"' not in _get(url)[1])
    status, page = _get(url + "site/issues/2021-11-11/index.html")
    assert status == 200 and "Jurf al-Sakhr" in page


def test_serve_idle_connections_cost_no_threads(served: tuple[subprocess.Popen[str], str]) -> None:
    process, url = served
    port = int(url.rsplit(":", 1)[1].strip("/"))
    before = _threads(process.pid)
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(300)]
    try:
        time.sleep(1)
        assert _threads(process.pid) <= before + 2
        assert _get(url + "__version")[0] == 200  # and the preview still answers
        idle[0].settimeout(20)
        assert idle[0].recv(1) == b""  # an idle connection is closed by the server
    finally:
        for sock in idle:
            sock.close()


def test_serve_never_serves_the_build_cache(served: tuple[subprocess.Popen[str], str]) -> None:
    _, url = served
    assert _get(url + "site/issues/2021-11-11/index.html")[0] == 200
    for path in (".newsletter/manifest.json", "site/../.newsletter/manifest.json", ".env"):
        assert _get(url + path)[0] == 404, path


def test_safe_file_refuses_dot_files_and_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "preview"
    (root / "site" / ".hidden").mkdir(parents=True)
    (root / "site" / "index.html").write_text("ok")
    (root / "site" / ".hidden" / "x.html").write_text("no")
    (tmp_path / "secret.txt").write_text("no")
    (root / "site" / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "site" / "out").symlink_to(tmp_path)
    assert safe_file(root, "/site/") == root / "site" / "index.html"
    for path in (
        "/site/.hidden/x.html",
        "/site/link.txt",
        "/site/out/secret.txt",
        "/../secret.txt",
    ):
        assert safe_file(root, path) is None, path


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsletter", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_on_a_busy_port_is_one_line_and_exit_1(project: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _serve("--content", str(project), "--port", str(port))
    assert done.returncode == 1
    assert done.stderr == (
        f"error: port {port} is already in use; stop what uses it or pick another with --port\n"
    )


def test_serve_on_an_impossible_port_is_a_usage_error(project: Path) -> None:
    done = _serve("--content", str(project), "--port", "99999")
    assert done.returncode == 2
    assert "Invalid value for '--port': 99999 is not in the range 0<=x<=65535." in done.stderr
    assert "Traceback" not in done.stderr
