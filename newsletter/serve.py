"""``newsletter serve``: a live preview of the issue being edited, on 127.0.0.1.

The preview builds into a private temporary folder (never into ``output/``), rebuilds when a
content or template file is saved, and the page reloads itself. A content error is shown in
the page, with its path and line, while the last good build stays visible below it.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from newsletter import paths
from newsletter.commands.build import build, templates_for
from newsletter.errors import ContentError, NewsletterError
from newsletter.loader import issue_folders
from newsletter.theme import make_theme

log = logging.getLogger(__name__)


class Preview:
    """Builds of one issue into a private folder, numbered so that pages know when to reload."""

    def __init__(self, content_dir: Path, issue: str | None = None) -> None:
        self.content_dir = content_dir
        self.issue = issue
        self.folder = Path(tempfile.mkdtemp(prefix="newsletter-preview-"))
        self.version = 0
        self.error: str | None = None
        self.issue_id: str | None = None
        self.pdf: str | None = None
        self._lock = threading.Lock()
        self.theme = make_theme(templates_for(content_dir))

    def rebuild(self) -> None:
        """Build the issue (default: the latest); keep the error to show it in the page."""
        with self._lock:
            wanted = self.issue or (
                issue_folders(self.content_dir)[-1].name if issue_folders(self.content_dir) else ""
            )
            try:
                result = build(self.content_dir, self.folder, [wanted] if wanted else [])
                self.error = None
                self.issue_id = result.issues[-1] if result.issues else None
                self.pdf = next((p for p in result.sizes if p.endswith(".pdf")), None)
            except ContentError as exc:
                self.error = "\n".join(str(p) for p in exc.problems)
            except NewsletterError as exc:
                self.error = f"error: {exc}"
            self.version += 1
            log.info("preview build %d%s", self.version, " failed" if self.error else "")

    def page(self) -> str:
        """The preview page: the three editions side by side, and the error if any."""
        issue = self.issue_id or "(none yet)"
        return self.theme.render(
            "preview.html",
            issue=issue,
            version=self.version,
            error=self.error,
            web=f"/site/issues/{issue}/index.html",
            email=f"/{paths.email_file_name(issue, 'email.html')}",
            pdf=f"/{self.pdf}" if self.pdf else "#",
        )

    def close(self) -> None:
        """Remove the private build folder."""
        shutil.rmtree(self.folder, ignore_errors=True)


class _Handler(SimpleHTTPRequestHandler):
    preview: Preview

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self._send(self.preview.page().encode("utf-8"), "text/html; charset=utf-8")
        elif self.path.startswith("/__version"):
            state = {"version": self.preview.version, "error": self.preview.error}
            self._send(json.dumps(state).encode("utf-8"), "application/json")
        else:
            super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("preview: " + format, *args)


class PreviewServer:
    """The preview's HTTP server and its file watcher, started and stopped together."""

    def __init__(self, content_dir: Path, port: int = 8000, issue: str | None = None) -> None:
        self.preview = Preview(content_dir, issue)
        handler = type("Handler", (_Handler,), {"preview": self.preview})
        bound = functools.partial(handler, directory=str(self.preview.folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), bound)
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """Where the preview is served."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _watch(self) -> None:
        from watchfiles import watch

        watched = [self.preview.content_dir]
        templates = templates_for(self.preview.content_dir)
        if templates.is_dir():
            watched.append(templates)
        # yield_on_timeout: the first (empty) yield tells start() that watching has begun, so
        # a save made right after start() is never missed.
        for changes in watch(
            *watched, stop_event=self._stop, debounce=200, rust_timeout=300, yield_on_timeout=True
        ):
            self._watching.set()
            if changes:
                self.preview.rebuild()

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self.preview.rebuild()
        for target in (self.server.serve_forever, self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._watching.wait(timeout=10)

    def stop(self) -> None:
        """Stop serving and watching, and remove the preview's files."""
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.preview.close()
