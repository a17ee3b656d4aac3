"""Reading the pre-store files: ``state/sends.sqlite`` and ``state/suppressed.csv``."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.errors import display_path
from newsletter.send.subscribers import read_suppressed
from newsletter.subscribers.common import StateError

_OLD_LOG_COLUMNS = {"issue", "email", "message_id", "status", "attempts", "detail", "updated"}


@dataclass
class _Legacy:
    """What the old files hold, read (and checked) before the store is created or changed."""

    send_rows: list[tuple[Any, ...]] = field(default_factory=list)
    send_stamp: str = ""
    suppressed: dict[str, str] = field(default_factory=dict)
    suppressed_digest: str = ""


def _read_legacy(state_dir: Path, url: str) -> _Legacy:
    """Check the state folder and read the old files, before anything is created or changed."""
    legacy = _Legacy()
    if state_dir.exists() and not state_dir.is_dir():
        raise StateError(f"{display_path(state_dir)}: the state folder is a file")
    if url.startswith("sqlite:///"):
        database = Path(url[len("sqlite:///") :])
        if database.is_dir():
            raise StateError(f"{display_path(database)}: a folder is where a file should be")
    old_log = state_dir / "sends.sqlite"
    if old_log.is_dir():
        raise StateError(f"{display_path(old_log)}: a folder is where a file should be")
    if old_log.is_file():
        stat = old_log.stat()
        legacy.send_stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        legacy.send_rows = _read_old_log(old_log)
    # The one strict reader of the lists: a misread row stops here, located, nothing changed.
    legacy.suppressed = read_suppressed(state_dir / "suppressed.csv")
    if legacy.suppressed:
        data = (state_dir / "suppressed.csv").read_bytes()
        legacy.suppressed_digest = hashlib.sha256(data).hexdigest()
    return legacy


def _read_old_log(path: Path) -> list[tuple[Any, ...]]:
    """The rows of the old send log (``state/sends.sqlite``), opened read-only and checked."""
    shown = display_path(path)
    try:
        old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if old.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            tables = {row[0] for row in old.execute("SELECT name FROM sqlite_master")}
            if not tables:
                return []
            if "sends" not in tables:
                raise StateError(
                    f"{shown}: not a send log (it holds {', '.join(sorted(tables))}); "
                    "move it away or give another --state folder"
                )
            columns = {row[1] for row in old.execute("PRAGMA table_info(sends)")}
            if not columns >= _OLD_LOG_COLUMNS:
                raise StateError(
                    f"{shown}: not a send log (its sends table has the columns "
                    f"{', '.join(sorted(columns))})"
                )
            unknowns = "unknowns" if "unknowns" in columns else "0"
            return old.execute(
                "SELECT issue, email, message_id, status, attempts, detail, updated, "
                f"{unknowns} FROM sends"
            ).fetchall()
        finally:
            old.close()
    except sqlite3.Error as exc:
        raise StateError(f"{shown}: the send log cannot be used: {exc}") from None
    except OSError as exc:
        raise StateError(f"{shown}: {exc.strerror or exc}") from None
