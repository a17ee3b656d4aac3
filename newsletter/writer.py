"""The one module that writes files. Everything is gathered first, then written atomically."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from newsletter.errors import OutputError

log = logging.getLogger(__name__)


STAGING = ".newsletter/staging"


@dataclass
class Output:
    """The files of one build under one output folder, keyed by their relative path.

    ``add`` stages a file's new bytes in a private folder inside the output (so a large build
    never holds every PDF in memory); ``keep`` carries a file from the last build unchanged.
    Nothing visible changes until ``commit``, which moves the staged files into place and
    removes the files of the last build that this one no longer makes. A build that fails
    calls ``discard`` and leaves the previous output as it was.
    """

    root: Path
    files: dict[str, int] = field(default_factory=dict)  # every output of this build: size
    staged: list[str] = field(default_factory=list)

    def _key(self, relative: str) -> str:
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise OutputError(f"refusing to write outside the output folder: {relative}")
        key = pure.as_posix()
        if key in self.files:
            raise OutputError(f"two outputs want the same path: {key}")
        return key

    def add(self, relative: str, data: str | bytes) -> Path:
        """Stage ``data`` for ``relative``; refuse paths that escape the root or repeat.

        A file whose bytes are already in place is left alone, so its date does not change.
        Returns where the bytes are until the commit (the staged file, or the file in place).
        """
        key = self._key(relative)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        self.files[key] = len(payload)
        target = self.root / key
        try:
            same_size = target.is_file() and target.stat().st_size == len(payload)
            if same_size and target.read_bytes() == payload:
                return target
            staged = self.root / STAGING / key
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(payload)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror}") from exc
        self.staged.append(key)
        return staged

    def keep(self, relative: str) -> None:
        """Carry ``relative`` from the last build: it is one of this build's files as it is."""
        key = self._key(relative)
        try:
            self.files[key] = (self.root / key).stat().st_size
        except OSError as exc:
            raise OutputError(f"cannot read {self.root / key}: {exc.strerror}") from exc

    def commit(self, previous: Iterable[str] = ()) -> list[Path]:
        """Move every staged file into place, then remove the files of ``previous`` (the last
        build's outputs) that this build did not make; return the files that changed."""
        root = self.root.resolve()
        written: list[Path] = []
        try:
            for key in sorted(self.staged):
                target = root / key
                if not target.parent.resolve().is_relative_to(root):
                    raise OutputError(f"refusing to write outside the output folder: {key}")
                target.parent.mkdir(parents=True, exist_ok=True)
                # A rename within one file system: readers see the old file or the new one.
                os.replace(root / STAGING / key, target)
                written.append(target)
            for key in sorted(set(previous) - set(self.files)):
                stale = root / key
                if stale.resolve().is_relative_to(root) and stale.is_file():
                    stale.unlink()
                    written.append(stale)
                    _prune(stale.parent, root)
        except OSError as exc:
            raise OutputError(f"cannot write {exc.filename}: {exc.strerror}") from exc
        finally:
            self.discard()
        log.info("wrote %d file(s), %d unchanged", len(written), len(self.files) - len(written))
        return written

    def discard(self) -> None:
        """Drop whatever was staged; the output folder is as it was."""
        shutil.rmtree(self.root / STAGING, ignore_errors=True)

    def stamps(self) -> dict[str, tuple[int, int]]:
        """Size and modification time of every output, as the manifest records them."""
        out = {}
        for key in self.files:
            stat = (self.root / key).stat()
            out[key] = (stat.st_size, stat.st_mtime_ns)
        return out


def _prune(folder: Path, root: Path) -> None:
    """Remove folders left empty by a deleted output, up to the root."""
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


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
