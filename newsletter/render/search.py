"""Full-text search with no server: a Pagefind index, returned as files for the writer."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from newsletter.errors import RenderError
from newsletter.model import Issue

log = logging.getLogger(__name__)

BUNDLE = "pagefind/"
TIMEOUT = 300  # seconds; Pagefind indexes 520 issue pages in about one


def _executable() -> Path:
    from pagefind_bin import get_executable  # the binary shipped by ``pagefind[bin]``

    return Path(get_executable())


class SearchJob:
    """Pagefind indexing the pages in the background; ``result`` waits for the bundle.

    Pages go through a private temporary folder and one run of Pagefind's own binary: its
    Python service API answers large indexes in one message that stalls past about 100 pages,
    and adding pages one by one costs a round trip each. A page given as a ``Path`` (an
    unchanged page already in the output) is linked, not copied.
    """

    def __init__(
        self, pages: Sequence[tuple[str, str | Path]], language: str = "en", bundle: str = BUNDLE
    ) -> None:
        self.count = len(pages)
        self.prefix = bundle
        self.folder = tempfile.TemporaryDirectory(prefix="newsletter-search-")
        site, self.bundle = Path(self.folder.name, "site"), Path(self.folder.name, "bundle")
        for relative, page in pages:
            path = site / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(page, Path):
                try:
                    os.link(page, path)
                except OSError:  # another file system: copy instead
                    path.write_bytes(page.read_bytes())
            else:
                path.write_text(page, encoding="utf-8")
        command = [
            str(_executable()),
            "--site",
            str(site),
            "--output-path",
            str(self.bundle),
            "--force-language",
            language,
            "--silent",
        ]
        try:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        except OSError as exc:
            self.folder.cleanup()
            raise RenderError(f"search index: Pagefind failed: {exc}") from exc

    def result(self) -> dict[str, bytes]:
        """Wait for Pagefind; return the bundle's files by site path (under ``bundle``)."""
        try:
            try:
                stdout, stderr = self.process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired as exc:
                self.process.kill()
                raise RenderError(f"search index: Pagefind took over {TIMEOUT} s") from exc
            if self.process.returncode != 0:
                message = (stderr or stdout).strip().splitlines()
                last = message[-1] if message else self.process.returncode
                raise RenderError(f"search index: Pagefind failed: {last}")
            files = {
                self.prefix + path.relative_to(self.bundle).as_posix(): path.read_bytes()
                for path in sorted(self.bundle.rglob("*"))
                if path.is_file()
            }
        finally:
            self.folder.cleanup()
        log.info("search index: %d page(s), %d file(s)", self.count, len(files))
        return files

    def done(self) -> bool:
        """Whether Pagefind has finished (``result`` will not wait)."""
        return self.process.poll() is not None

    def cancel(self) -> None:
        """Stop Pagefind and remove its folder (the build failed elsewhere)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.folder.cleanup()


def search_year(issue: Issue) -> str:
    """The search index an issue's page is in: its year's (by the period's end)."""
    return str(issue.period.end.year)
