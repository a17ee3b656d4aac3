"""Full-text search with no server: a Pagefind index built in memory, written by the writer."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from newsletter.errors import RenderError

log = logging.getLogger(__name__)

BUNDLE = "pagefind/"


async def _index(pages: Sequence[tuple[str, str]], language: str) -> dict[str, bytes]:
    # The service API is used directly: PagefindIndex's context manager writes files to disk
    # on exit, and only newsletter.writer may write into the output folder.
    from pagefind.service import PagefindService

    # Pages go through a private temporary folder and one add_directory call: adding them one
    # by one costs a round trip each (5.5 s against 0.2 s for 52 issues).
    service = await PagefindService().launch()
    try:
        index = await service.create_index({"force_language": language})
        with tempfile.TemporaryDirectory(prefix="newsletter-search-") as folder:
            for relative, html in pages:
                path = Path(folder, relative)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(html, encoding="utf-8")
            await index.add_directory(folder)
        files = await index.get_files()
    finally:
        await service.close()
    return {BUNDLE + str(f["path"]).lstrip("/"): f["content"] for f in files}


def search_bundle(pages: Sequence[tuple[str, str]], language: str = "en") -> dict[str, bytes]:
    """Index ``(site path, html)`` pages; return the Pagefind bundle's files by site path."""
    try:
        files = asyncio.run(_index(pages, language))
    except Exception as exc:  # the service reports failures as plain exceptions
        raise RenderError(f"search index: Pagefind failed: {exc}") from exc
    log.info("search index: %d page(s), %d file(s)", len(pages), len(files))
    return files
