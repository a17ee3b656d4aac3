"""The output folder's layout: one build at a time, each published in one atomic step.

Every build writes a fresh *generation*, ``output/.newsletter/builds/<id>/`` (its ``site/``,
``email/``, manifest and issue cache); ``output/.newsletter/current`` is a symlink to the
generation in force, and ``output/site`` and ``output/email`` are symlinks through it. A build
is published by replacing ``current`` with ``os.replace`` (a rename: readers see the old
generation or the new one, never a mixture), then the old generation is removed. A journal
(``output/.newsletter/journal.json``) names the generation being built, so the next build
finishes or rolls back one that was killed; either way, only the generation in force is kept.

A build holds ``fcntl.flock`` on ``output/.newsletter/lock`` from start to end; the kernel
releases it when the process dies, however it dies, and a second build refuses at once.

Only the standard library is imported: the nothing-changed path runs through here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import time
from pathlib import Path
from types import TracebackType

from newsletter.errors import OutputError, display_path

log = logging.getLogger(__name__)

META = ".newsletter"  # inside the output folder: the lock, the journal, the generations
BUILDS = "builds"
CURRENT = "current"
JOURNAL = "journal.json"
LOCK = "lock"
VISIBLE = ("site", "email")  # what users publish: links to the generation in force
LEGACY = ("staging", "manifest.json", "issues.pickle")  # left by versions before generations

# File descriptors of the locks this process holds: a forked worker closes its copies, so
# that a worker outliving a killed build cannot keep the output folder locked.
HELD: set[int] = set()


def fault(point: str) -> None:
    """Kill this process at ``point`` when NEWSLETTER_FAULT names it (a test hook only).

    The fault tests use it to die exactly between two steps of the switch, which a kill at a
    random moment hits too rarely to test; nothing else sets the variable.
    """
    if os.environ.get("NEWSLETTER_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _oserror(exc: OSError, what: str = "write") -> OutputError:
    where = display_path(Path(exc.filename)) if exc.filename else "the output folder"
    return OutputError(f"cannot {what} {where}: {exc.strerror}")


class OutputFolder:
    """An output folder held by this build: locked, recovered, and switched in one step."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.meta = root / META
        self.builds = self.meta / BUILDS
        self.fd: int | None = None
        self.created = False  # this build made the output folder: a failure removes it

    # Lock --------------------------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        self.created = not os.path.lexists(self.root)
        try:
            self.meta.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.meta / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise _oserror(exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputError(
                f"another build is writing into {display_path(self.root)}; "
                "try again when it has finished"
            ) from None
        self.fd = fd
        HELD.add(fd)
        try:
            self.recover()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._unlock()
        if kind is not None and self.created and self.current_id() is None:
            # A first build that failed leaves nothing behind, not even the lock file.
            shutil.rmtree(self.root, ignore_errors=True)

    def _unlock(self) -> None:
        if self.fd is not None:
            HELD.discard(self.fd)
            os.close(self.fd)  # closing the last descriptor releases the lock
            self.fd = None

    # The generation in force ----------------------------------------------------------------

    def current_id(self) -> str | None:
        """The id of the generation in force, or None before the first build."""
        try:
            target = os.readlink(self.meta / CURRENT)
        except OSError:
            return None
        head, _, name = target.partition("/")
        if head != BUILDS or not name or "/" in name or not (self.builds / name).is_dir():
            return None
        return name

    @property
    def current(self) -> Path | None:
        """The folder of the generation in force (what ``site/`` and ``email/`` show)."""
        name = self.current_id()
        return None if name is None else self.builds / name

    def linked(self) -> bool:
        """Whether ``site/`` and ``email/`` show the generation in force."""
        if self.current_id() is None:
            return False
        for name in VISIBLE:
            shown = os.path.lexists(self.root / name)
            if not (self.meta / CURRENT / name).is_dir():  # not made by that build
                if shown:
                    return False
                continue
            try:
                if os.readlink(self.root / name) != f"{META}/{CURRENT}/{name}":
                    return False
            except OSError:
                return False
        return True

    # A new generation -------------------------------------------------------------------------

    def new_generation(self) -> Path:
        """Make this build's empty generation and record it in the journal."""
        name = f"{time.time_ns():x}-{os.getpid()}"
        folder = self.builds / name
        try:
            for part in VISIBLE:
                (folder / part).mkdir(parents=True)
            self._journal({"state": "building", "new": name, "previous": self.current_id()})
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise _oserror(exc) from exc
        return folder

    def switch(self, generation: Path) -> None:
        """Put ``generation`` in force in one step, then remove the others."""
        fault("before-switch")
        try:
            self._link(self.meta / CURRENT, f"{BUILDS}/{generation.name}")
        except OSError as exc:
            raise _oserror(exc) from exc
        fault("after-switch")
        for part in VISIBLE:  # an edition this build did not make (--web-only) is not shown
            with contextlib.suppress(OSError):
                (generation / part).rmdir()
        # From here the new build is what readers see; what follows is housekeeping, which
        # the next build redoes if this one is cut short.
        try:
            self._show()
        except OSError as exc:
            raise _oserror(exc) from exc
        self._forget_journal()
        self._sweep(generation.name)

    def discard(self, generation: Path) -> None:
        """Remove a generation that will not be put in force (the build failed)."""
        if generation.name == self.current_id():
            return  # it came into force before the failure: it is complete
        shutil.rmtree(generation, ignore_errors=True)
        self._forget_journal()

    # Recovery ---------------------------------------------------------------------------------

    def recover(self) -> None:
        """Finish or roll back what a killed build left; migrate an output made before
        generations; keep only the generation in force."""
        journal = self._read_journal()
        try:
            unfinished = journal.get("new")
            if journal.get("state") == "migrating" and isinstance(unfinished, str):
                self._migrate(unfinished)
            elif any(self._is_folder(self.root / name) for name in VISIBLE):
                self._migrate(f"{time.time_ns():x}-{os.getpid()}-migrated")
            current = self.current_id()
            if journal.get("state") == "building":
                done = journal.get("new") == current
                log.warning(
                    "an interrupted build into %s was %s",
                    display_path(self.root),
                    "finished" if done else "rolled back",
                )
            if current is not None:
                self._show()
            self._forget_journal()
        except OSError as exc:
            raise _oserror(exc) from exc
        self._sweep(current)
        for name in LEGACY:
            self._remove(self.meta / name)

    def _migrate(self, name: str) -> None:
        """Move an output built by an earlier version (real ``site/`` and ``email/`` folders)
        into a generation, once; idempotent, so a migration cut short is finished."""
        folder = self.builds / name
        folder.mkdir(parents=True, exist_ok=True)
        self._journal({"state": "migrating", "new": name})
        for part in VISIBLE:
            visible = self.root / part
            if self._is_folder(visible):
                if (folder / part).exists():
                    raise OutputError(f"{display_path(visible)} is in the way of the build")
                os.rename(visible, folder / part)  # readers miss it until _show, this once
            (folder / part).mkdir(exist_ok=True)
        legacy = self.meta / "manifest.json"
        if legacy.is_file():  # its keys and file times still describe the moved files
            os.replace(legacy, folder / "manifest.json")
        self._link(self.meta / CURRENT, f"{BUILDS}/{name}")
        self._show()
        self._forget_journal()
        log.info("moved the output in %s into its first generation", display_path(self.root))

    def _show(self) -> None:
        """Make ``site/`` and ``email/`` links through ``current`` (only the first time)."""
        for name in VISIBLE:
            visible = self.root / name
            target = f"{META}/{CURRENT}/{name}"
            wanted = (self.meta / CURRENT / name).is_dir()
            try:
                if os.readlink(visible) == target:
                    if not wanted:
                        visible.unlink()  # our own link, to an edition no longer made
                    continue
            except FileNotFoundError:
                pass
            except OSError:  # there, and not a link: never replace a user's file
                raise OutputError(
                    f"{display_path(visible)} is in the way of the build: it is not a folder"
                    " the build made; move it away"
                ) from None
            if wanted:
                self._link(visible, target)

    def _sweep(self, keep: str | None) -> None:
        """Remove every generation but ``keep``: an interrupted build's, or the replaced one."""
        try:
            names = [entry.name for entry in os.scandir(self.builds)]
        except OSError:
            return
        for name in names:
            if name != keep:
                self._remove(self.builds / name)

    def _remove(self, path: Path) -> None:
        def complain(_function: object, where: str, exc: BaseException) -> None:
            log.warning("could not remove %s: %s", display_path(Path(where)), exc)

        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, onerror=lambda f, w, e: complain(f, w, e[1]))
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # Small steps ----------------------------------------------------------------------------

    @staticmethod
    def _is_folder(path: Path) -> bool:
        return path.is_dir() and not path.is_symlink()

    @staticmethod
    def _link(path: Path, target: str) -> None:
        """Point the symlink ``path`` at ``target`` in one step (a new link renamed over)."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.symlink(target, temporary)
        os.replace(temporary, path)
        # The rename reaches the disk before the old generation is removed.
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _journal(self, entry: dict[str, str | None]) -> None:
        path = self.meta / JOURNAL
        temporary = path.with_name(f".{JOURNAL}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"schema": 1, **entry}), encoding="utf-8")
        os.replace(temporary, path)

    def _read_journal(self) -> dict[str, object]:
        try:
            data = json.loads((self.meta / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("schema") == 1 else {}

    def _forget_journal(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.meta / JOURNAL).unlink()


def release_in_child() -> None:
    """Close, in a forked worker, the locks its build holds (the build keeps them)."""
    for fd in list(HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    HELD.clear()
