"""Full-text search with no server: a Pagefind index built in memory, written by the writer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from newsletter.errors import RenderError

log = logging.getLogger(__name__)

BUNDLE = "pagefind/"


async def _index(pages: Sequence[tuple[str, str]], language: str) -> dict[str, bytes]:
    # The service API is used directly: PagefindIndex's context manager writes files to disk
    # on exit, and only newsletter.writer may write into the output folder.
    from pagefind.service import PagefindService

    service = await PagefindService().launch()
    try:
        index = await service.create_index({"force_language": language})
        for url, html in pages:
            await index.add_html_file(content=html, url=url)
        files = await index.get_files()
    finally:
        await service.close()
    return {BUNDLE + str(f["path"]).lstrip("/"): f["content"] for f in files}


def search_bundle(pages: Sequence[tuple[str, str]], language: str = "en") -> dict[str, bytes]:
    """Index ``(url, html)`` pages; return the Pagefind bundle's files keyed by site path."""
    try:
        files = asyncio.run(_index(pages, language))
    except Exception as exc:  # the service reports failures as plain exceptions
        raise RenderError(f"search index: Pagefind failed: {exc}") from exc
    log.info("search index: %d page(s), %d file(s)", len(pages), len(files))
    return files
