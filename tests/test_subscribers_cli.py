"""``newsletter subscribers`` as a user runs it: real processes on a real store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(tmp_path: Path, *args: str, url: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("NEWSLETTER_DATABASE_URL", None)
    if url:
        env["NEWSLETTER_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "newsletter", "subscribers", *args, "--state", str(tmp_path / "st")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_is_idempotent_and_never_reactivates(tmp_path: Path, database_url: str) -> None:
    url = "" if database_url.startswith("sqlite") else database_url
    write_csv(
        tmp_path,
        "email,name\nAnn@Example.org,Ann\nnot-an-address,Bad\nbob@example.org,Bob\n"
        "ANN@example.org,Again\n",
    )
    first = cli(tmp_path, "import", "list.csv", url=url)
    assert first.returncode == 0, first.stderr
    assert "2 added" in first.stdout
    assert 'list.csv:3: email: "not-an-address" is not a valid address' in first.stderr
    assert "list.csv:5: email: ann@example.org is already listed on line 2" in first.stderr
    again = cli(tmp_path, "import", "list.csv", url=url)
    assert "0 added, 0 activated, 2 already active" in again.stdout
    removed = cli(tmp_path, "remove", "bob@example.org", url=url)
    assert removed.stdout == "bob@example.org: unsubscribed (was active)\n"
    third = cli(tmp_path, "import", "list.csv", url=url)
    assert "1 kept suppressed" in third.stdout
    assert "kept suppressed: bob@example.org (unsubscribed)" in third.stderr
    assert cli(tmp_path, "count", url=url).stdout.splitlines()[:3] == [
        "pending: 0",
        "active: 1",
        "unsubscribed: 1",
    ]
    listed = cli(tmp_path, "list", "--status", "active", url=url).stdout
    assert listed == "Ann@example.org\tAnn\tactive\n"  # local part as written


def test_add_forget_and_reimport(tmp_path: Path) -> None:
    assert cli(tmp_path, "add", "Carol@Example.org", "--name", "Carol").returncode == 0
    forgot = cli(tmp_path, "forget", "carol@example.org")
    assert forgot.stdout == "Erased; the address is blocked for good.\n"
    write_csv(tmp_path, "email,name\ncarol@example.org,Carol\n")
    again = cli(tmp_path, "import", "list.csv")
    assert "kept suppressed: carol@example.org (erased at the person's request)" in again.stderr
    added = cli(tmp_path, "add", "carol@example.org")
    assert added.returncode == 1
    assert (
        added.stderr
        == "error: carol@example.org is erased at the person's request; it is not re-activated\n"
    )
    for path in (tmp_path / "st").iterdir():
        assert b"carol" not in path.read_bytes().lower(), path


def test_export_neutralises_formulas(tmp_path: Path) -> None:
    write_csv(tmp_path, 'email,name\nd@example.org,"=HYPERLINK(""x"")"\ne@example.org,+1\n')
    cli(tmp_path, "import", "list.csv")
    out = cli(tmp_path, "export")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "email,name,status,changed"
    assert lines[1].startswith('d@example.org,"\'=HYPERLINK(""x"")",active,')
    assert lines[2].startswith("e@example.org,'+1,active,")
    written = cli(tmp_path, "export", "--status", "active", "-o", "out.csv")
    assert written.returncode == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("\n") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "missing.csv"), "missing.csv: cannot read the subscriber list"),
        (("add", "not an address"), 'error: "not an address" is not a valid address'),
        (("bounces", "nowhere"), "error: nowhere: no such mailbox"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = cli(tmp_path, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    done = cli(tmp_path, "count", url="postgresql://u:pw@127.0.0.1:1/x?connect_timeout=2")
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot open the database postgresql+psycopg://u:***@")
    assert "pw" not in done.stderr and "Traceback" not in done.stderr
