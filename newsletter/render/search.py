"""Full-text search with no server: a Pagefind index, returned as files for the writer."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from newsletter.errors import RenderError

log = logging.getLogger(__name__)

BUNDLE = "pagefind/"
TIMEOUT = 300  # seconds; Pagefind indexes 520 issue pages in about one


def _executable() -> Path:
    from pagefind_bin import get_executable  # the binary shipped by ``pagefind[bin]``

    return Path(get_executable())


def search_bundle(
    pages: Sequence[tuple[str, str | Path]], language: str = "en"
) -> dict[str, bytes]:
    """Index ``(site path, html or file)`` pages; return the bundle's files by site path.

    Pages go through a private temporary folder and one run of Pagefind's own binary: its
    Python service API answers large indexes in one message that stalls past about 100 pages,
    and adding pages one by one costs a round trip each. A page given as a ``Path`` (an
    unchanged page already in the output) is linked, not copied.
    """
    with tempfile.TemporaryDirectory(prefix="newsletter-search-") as folder:
        site, bundle = Path(folder, "site"), Path(folder, "bundle")
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
            str(bundle),
            "--force-language",
            language,
            "--silent",
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"search index: Pagefind failed: {exc}") from exc
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise RenderError(
                f"search index: Pagefind failed: {message[-1] if message else done.returncode}"
            )
        files = {
            BUNDLE + path.relative_to(bundle).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file()
        }
    log.info("search index: %d page(s), %d file(s)", len(pages), len(files))
    return files
