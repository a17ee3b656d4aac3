"""``newsletter serve``: a live preview of the issue being edited, on 127.0.0.1.

The preview builds into a private temporary folder (never into ``output/``), rebuilds when a
content or template file is saved, and the page reloads itself. A content error is shown in
the page, with its path and line, while the last good build stays visible below it; so is any
other failure of a rebuild, and the watcher keeps watching.

The server is Starlette on uvicorn (asyncio): an idle connection costs a socket, not a thread,
and is dropped after a few seconds. Only the built editions are served: never the build cache
(``.newsletter/``) nor any dot-file, nothing outside the preview's folder, no symlink out of it.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from newsletter import paths
from newsletter.build.commit import VISIBLE
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
            except Exception as exc:  # any failure: shown in the page, and the preview lives on
                log.exception("preview build failed")
                self.error = f"error: the build failed: {type(exc).__name__}: {exc}"
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


NO_STORE = {"Cache-Control": "no-store"}


def safe_file(root: Path, url_path: str) -> Path | None:
    """The file a URL path names inside ``root``, or None: never a dot-file or dot-folder,
    nothing outside ``root``, no symlink; a folder stands for its ``index.html``."""
    parts = [part for part in url_path.split("/") if part]
    if any(part.startswith(".") or "\\" in part or "\0" in part for part in parts):
        return None
    path = root
    if parts and parts[0] in VISIBLE:
        # The build's own links to its generation in force: resolved here, once, and the
        # rest of the path is then held to the generation's real folder.
        root = path = Path(os.path.realpath(root / parts.pop(0)))
    for part in parts:
        path = path / part
        if path.is_symlink():
            return None
    if path.is_dir():
        path = path / "index.html"
        if path.is_symlink():
            return None
    real, top = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, top]) != top or not os.path.isfile(real):
        return None
    return path


def create_app(preview: Preview) -> Starlette:
    """The preview's web app: the page, its build number, and the built editions."""

    async def page(request: Request) -> Response:
        return HTMLResponse(preview.page(), headers=NO_STORE)

    async def version(request: Request) -> Response:
        return JSONResponse({"version": preview.version, "error": preview.error}, headers=NO_STORE)

    async def files(request: Request) -> Response:
        found = safe_file(preview.folder, request.url.path)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(found, headers=NO_STORE)

    routes = [
        Route("/", page),
        Route("/index.html", page),
        Route("/__version", version),
        Route("/{path:path}", files),
    ]
    return Starlette(routes=routes)


class _IdleTimeout(H11Protocol):
    """uvicorn's h11 protocol, also closing a connection that never sends a request (uvicorn
    times out only the idle time after a response)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Arm the keep-alive timer at once: the first bytes received disarm it."""
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise NewsletterError(
                f"port {port} is already in use; stop what uses it or pick another with --port"
            ) from None
        raise NewsletterError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    sock.listen(128)
    return sock


class PreviewServer:
    """The preview's HTTP server and its file watcher, started and stopped together."""

    def __init__(self, content_dir: Path, port: int = 8000, issue: str | None = None) -> None:
        self.socket = _listen(port)
        self.preview = Preview(content_dir, issue)
        config = uvicorn.Config(
            create_app(self.preview),
            log_level="warning",
            lifespan="off",
            http=_IdleTimeout,
            timeout_keep_alive=5,  # a connection idle for 5 s is closed
        )
        self.server = uvicorn.Server(config)
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """Where the preview is served."""
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/"

    def _watch(self) -> None:
        from watchfiles import watch

        while not self._stop.is_set():
            watched = [self.preview.content_dir]
            templates = templates_for(self.preview.content_dir)
            if templates.is_dir():
                watched.append(templates)
            try:
                # yield_on_timeout: the first (empty) yield tells start() that watching has
                # begun, so a save made right after start() is never missed.
                for changes in watch(
                    *watched,
                    stop_event=self._stop,
                    debounce=200,
                    rust_timeout=300,
                    yield_on_timeout=True,
                ):
                    self._watching.set()
                    if changes:
                        self.preview.rebuild()
            except Exception:  # the watcher must outlive anything: log it, watch again
                log.exception("preview: watching failed; watching again")
                self._stop.wait(1)

    def _serve(self) -> None:
        self.server.run(sockets=[self.socket])

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self.preview.rebuild()
        for target in (self._serve, self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._watching.wait(timeout=10)

    def stop(self) -> None:
        """Stop serving and watching, and remove the preview's files."""
        self._stop.set()
        self.server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=5)
        self.socket.close()
        self.preview.close()
