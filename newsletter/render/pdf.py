"""The PDF edition: print HTML rendered by WeasyPrint, reading only the project's own files."""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from newsletter.errors import RenderError
from newsletter.theme import Theme

log = logging.getLogger(__name__)


# The print HTML shows the map as an image at this address, which only ``render_pdf``'s
# fetcher answers, from ``print_resources``: WeasyPrint then reads the SVG with ElementTree
# instead of its HTML parser and gives its hundred-odd elements no CSS cascade, 4 % of the
# sample's render (instructions counted by callgrind), with the same vector drawing.
MAP_URL = "newsletter:map.svg"


def render_print_html(theme: Theme, context: dict[str, Any]) -> str:
    """Render the HTML that WeasyPrint lays out as the PDF edition."""
    return theme.render("print/issue.html", **{**context, "map_svg_url": MAP_URL})


def print_resources(context: dict[str, Any]) -> dict[str, bytes]:
    """What the print HTML refers to that is made in memory (the map), by its URL."""
    figure = context.get("ied_map")
    return {} if figure is None else {MAP_URL: str(figure.svg).encode("utf-8")}


class RefusedURL(Exception):
    """A resource outside the project was asked for."""


class NetworkURL(Exception):
    """A resource on the network: the PDF leaves it out rather than fetch it."""


def _allowed_path(url: str, roots: Sequence[Path]) -> Path:
    parts = urlsplit(url)
    if parts.scheme in {"http", "https", "ftp"}:
        raise NetworkURL(url)
    if parts.scheme != "file":
        raise RefusedURL(f"{url}: the PDF may use only the project's own files")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in roots):
        raise RefusedURL(f"{url}: outside the project's content and template folders")
    if not path.is_file():
        raise RefusedURL(f"{url}: file not found")
    return path


# One Fontconfig/Pango font configuration for the process: a fresh one per document (WeasyPrint's
# default) loads and shapes every face again, about 7 % of a warm render of the sample.
_shared_fonts: Any = None
_shared_lock = threading.Lock()


@contextmanager
def _font_config() -> Iterator[Any]:
    """Lend the process-wide FontConfiguration, or a fresh one while another thread has it."""
    global _shared_fonts
    from weasyprint.text.fonts import FontConfiguration

    if not _shared_lock.acquire(blocking=False):
        yield FontConfiguration()  # Pango's font maps are not thread-safe: no sharing
        return
    try:
        if _shared_fonts is None:
            _shared_fonts = FontConfiguration()
        yield _shared_fonts
    finally:
        # A document's @font-face rules add its fonts to the configuration (WeasyPrint then
        # keeps them in a temporary folder of its own); the next document must not see them.
        if getattr(_shared_fonts, "_folder", None) is not None:
            _shared_fonts = None
        _shared_lock.release()


def warm_up() -> None:
    """Import WeasyPrint and load the fonts the editions use, before the first real PDF: a
    worker does this while the build is still loading the content."""
    import weasyprint

    with _font_config() as fonts:
        weasyprint.HTML(
            string='<p style="font-family: Noto Serif">x <i>y</i></p>'
            '<p style="font-family: Noto Sans"><b>x</b> y</p>'
        ).write_pdf(font_config=fonts)


def render_pdf(
    html: str,
    base_dir: Path,
    roots: Sequence[Path],
    metadata: dict[str, str],
    resources: Mapping[str, bytes] | None = None,
) -> bytes:
    """Lay out ``html`` as a tagged PDF; refuse any URL outside ``roots``; fail on any gap.
    ``resources``: SVG made in memory, by the exact URL the HTML uses for it."""
    # Imported here: WeasyPrint is slow to import and only the PDF needs it.
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    resolved = [r.resolve() for r in roots]
    refused: list[str] = []
    skipped: list[str] = []

    class ProjectFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if resources and url in resources:
                return URLFetcherResponse(
                    url, resources[url], headers={"Content-Type": "image/svg+xml"}
                )
            try:
                path = _allowed_path(url, resolved)
            except NetworkURL:
                # A remote image in a story shows in the web and email editions; the PDF never
                # touches the network, so it leaves the image out (WeasyPrint shows its alt).
                skipped.append(url)
                raise
            except RefusedURL as exc:
                refused.append(str(exc))
                raise FatalURLFetchingError(str(exc)) from None
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), path.read_bytes(), headers={"Content-Type": kind}
            )

    errors: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if record.levelno >= logging.WARNING and not any(u in message for u in skipped):
                errors.append(message)

    handler = Collect()
    weasyprint.LOGGER.addHandler(handler)
    try:
        document = weasyprint.HTML(
            string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=ProjectFetcher()
        )
        with _font_config() as fonts:
            pdf: bytes = document.write_pdf(
                pdf_variant="pdf/ua-1", custom_metadata=True, font_config=fonts
            )
    except FatalURLFetchingError as exc:
        raise RenderError(f"PDF: {refused[-1] if refused else exc}") from None
    except Exception as exc:
        raise RenderError(f"PDF: WeasyPrint failed: {exc}") from exc
    finally:
        weasyprint.LOGGER.removeHandler(handler)
    if refused or errors:
        raise RenderError("PDF: " + "; ".join(refused + errors))
    for url in dict.fromkeys(skipped):
        log.warning(
            "PDF %s: left out %s: the PDF edition never fetches from the network",
            metadata.get("title", ""),
            url,
        )
    log.debug("rendered PDF, %d bytes (%s)", len(pdf), metadata.get("title", ""))
    return pdf
