"""The one module that writes files. Everything is gathered first, then written atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from newsletter.errors import OutputError

log = logging.getLogger(__name__)


@dataclass
class Output:
    """Files to write under one output folder, keyed by their relative path."""

    root: Path
    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, relative: str, data: str | bytes) -> None:
        """Queue ``data`` for ``relative``; refuse paths that escape the root or repeat."""
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise OutputError(f"refusing to write outside the output folder: {relative}")
        key = pure.as_posix()
        if key in self.files:
            raise OutputError(f"two outputs want the same path: {key}")
        self.files[key] = data.encode("utf-8") if isinstance(data, str) else data

    def commit(self) -> list[Path]:
        """Write every queued file atomically; skip files whose bytes are unchanged."""
        root = self.root.resolve()
        written: list[Path] = []
        for relative, data in sorted(self.files.items()):
            target = root / relative
            if not target.resolve().is_relative_to(root):
                raise OutputError(f"refusing to write outside the output folder: {relative}")
            try:
                if target.is_file() and target.read_bytes() == data:
                    continue
                atomic_write(target, data)
            except OSError as exc:
                raise OutputError(f"cannot write {target}: {exc.strerror}") from exc
            written.append(target)
        log.info("wrote %d file(s), %d unchanged", len(written), len(self.files) - len(written))
        return written


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def create_files(files: dict[Path, str]) -> None:
    """Create new files, all or none: refuse if any exists, so nothing is ever overwritten."""
    existing = [path for path in files if path.exists()]
    if existing or any(
        path.parent.exists()
        and path.parent.name != "sections"
        and (path.parent / "issue.yaml").exists()
        for path in files
    ):
        taken = existing[0] if existing else next(iter(files)).parent
        raise OutputError(f"{taken} already exists; nothing was created")
    created: list[Path] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": fail if it appeared meanwhile
                handle.write(text)
            created.append(path)
    except OSError as exc:
        for path in created:
            path.unlink(missing_ok=True)
        raise OutputError(f"cannot create {exc.filename}: {exc.strerror}") from exc
