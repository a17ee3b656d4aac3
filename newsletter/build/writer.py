"""The one module that writes a build's files, into a generation that is switched in at once."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from newsletter.errors import OutputError, display_path

log = logging.getLogger(__name__)


RESERVED = ("manifest.json", "issues.json")  # the generation's own records, beside site/


@dataclass
class Output:
    """The files of one build, written into its own generation (see ``commit.py``).

    ``root`` is a fresh folder that nobody reads until the build switches to it, so a file is
    written there directly, with no temporary file and rename of its own. ``add`` writes a
    file's new bytes; a file whose bytes did not change, and every file ``keep`` carries over,
    is hard-linked from ``previous`` (the generation in force), so it keeps its date and costs
    no space. A file of ``previous`` is never opened for writing: it is what readers see.
    """

    root: Path
    previous: Path | None = None
    files: dict[str, int] = field(default_factory=dict)  # every output of this build: size
    changed: list[str] = field(default_factory=list)  # the outputs with new bytes
    _folders: set[Path] = field(default_factory=set)

    def _key(self, relative: str) -> str:
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise OutputError(f"refusing to write outside the output folder: {relative}")
        key = pure.as_posix()
        if key in RESERVED:
            raise OutputError(f"refusing to write over the build's own record: {key}")
        if key in self.files:
            raise OutputError(f"two outputs want the same path: {key}")
        return key

    def _parent(self, target: Path) -> None:
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)

    def add(self, relative: str, data: str | bytes) -> Path:
        """Write ``data`` for ``relative``; refuse paths that escape the root or repeat.

        Returns where the file is (inside this build's generation).
        """
        key = self._key(relative)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        self.files[key] = len(payload)
        target = self.root / key
        try:
            self._parent(target)
            old = None if self.previous is None else self.previous / key
            if old is not None and _same(old, payload):
                _link(old, target)
                return target
            with open(target, "xb") as handle:  # "x": this build's own, fresh file
                handle.write(payload)
        except OSError as exc:
            raise _cannot(exc, target) from exc
        self.changed.append(key)
        return target

    def keep(self, relative: str) -> Path:
        """Carry ``relative`` from the generation in force unchanged; return where it is."""
        key = self._key(relative)
        target = self.root / key
        if self.previous is None:
            raise OutputError(f"cannot keep {key}: there is no earlier build")
        try:
            self._parent(target)
            _link(self.previous / key, target)
            self.files[key] = target.stat().st_size
        except OSError as exc:
            raise _cannot(exc, target) from exc
        return target

    def record(self, name: str, data: bytes | None) -> None:
        """Write one of the generation's own records (``RESERVED``); ``None`` carries the
        previous generation's over."""
        target = self.root / name
        try:
            if data is not None:
                target.write_bytes(data)
            elif self.previous is not None and (self.previous / name).is_file():
                _link(self.previous / name, target)
        except OSError as exc:
            raise _cannot(exc, target) from exc

    def changes(self, folder: Path, previous: Iterable[str] = ()) -> list[Path]:
        """The files that changed as readers of ``folder`` see them: those with new bytes,
        and those of ``previous`` (the last build's outputs) that this build did not make."""
        gone = sorted(set(previous) - set(self.files))
        written = [folder / key for key in sorted(self.changed)] + [folder / k for k in gone]
        log.info("wrote %d file(s), %d unchanged", len(written), len(self.files) - len(written))
        return written

    def stamps(self) -> dict[str, tuple[int, int]]:
        """Size and modification time of every output, as the manifest records them."""
        out = {}
        for key in self.files:
            stat = (self.root / key).stat()
            out[key] = (stat.st_size, stat.st_mtime_ns)
        return out


def _same(path: Path, payload: bytes) -> bool:
    try:
        if path.stat().st_size != len(payload):
            return False
        return path.read_bytes() == payload
    except OSError:
        return False


def _link(source: Path, target: Path) -> None:
    """Hard-link ``source`` as ``target``; copy it (with its date) where links fail."""
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)


def _cannot(exc: OSError, target: Path) -> OutputError:
    where = Path(exc.filename) if exc.filename else target
    return OutputError(f"cannot write {display_path(where)}: {exc.strerror}")


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
