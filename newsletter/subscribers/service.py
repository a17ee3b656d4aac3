"""The list service: subscribe with double opt-in, one-click unsubscribe, SES bounces, health.

``create_app`` builds a Starlette app from its settings, store and outbox; it keeps no global
state, so tests run it on a temporary store. Every request is treated as hostile: links are
signed and compared in constant time, and no answer tells whether an address is on the list.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

from email_validator import EmailNotValidError, validate_email
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsletter.send.tokens import verify as verify_unsubscribe
from newsletter.subscribers import ses
from newsletter.subscribers.access import AccessLog, pseudonym
from newsletter.subscribers.batch import GroupCommit
from newsletter.subscribers.confirmation import (
    Outbox,
    SmtpOutbox,
    confirm_url,
    confirmation_message,
    read_confirm_token,
    sender_of,
)
from newsletter.subscribers.ratelimit import RateLimiter
from newsletter.subscribers.settings import ServiceSettings
from newsletter.subscribers.store import SERVER_THREADS

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_EMAIL = 254
MAX_NAME = 200
MAX_BODY = 256 * 1024  # an SNS message is at most 256 KB


class ListStore(Protocol):
    """What the service asks of the subscriber store (``subscribers/store.py``)."""

    def subscribe(self, email: str, name: str = "", source: str = "form") -> str: ...
    def confirm(self, email: str) -> bool: ...
    def unsubscribe(self, email: str, how: str, issue: str | None = None) -> None: ...
    def unsubscribe_many(self, requests: Sequence[tuple[str, str, str | None]]) -> None: ...
    def record_bounce(self, email: str, issue: str | None, hard: bool, detail: str) -> str: ...
    def record_complaint(self, email: str, issue: str | None, detail: str) -> None: ...
    def status(self, email: str) -> str | None: ...


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class ListService:
    """The endpoints, bound to one configuration, store and outbox."""

    def __init__(self, settings: ServiceSettings, store: ListStore, outbox: Outbox) -> None:
        self.settings = settings
        self.store = store
        self.outbox = outbox
        limit = settings.subscriptions.rate_limit
        self.limiter = RateLimiter(limit.requests, limit.seconds)
        # The service's own pages and the web archive's subscribe/ page post the form.
        self.origins = {_origin(settings.base_url), _origin(settings.publication.site_url)}
        self.stylesheet = settings.theme.read("web/style.css")
        # SQLite takes one writer at a time: threads racing for its lock sleep in its busy
        # handler; one thread queues the calls instead. A server database takes a few at once
        # (as many as the store keeps pooled connections for).
        sqlite = getattr(store, "dialect", "sqlite") == "sqlite"
        workers = 1 if sqlite else SERVER_THREADS
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="store")
        # Unsubscribes that arrive during a commit share the next one (batch.py).
        self.unsubscribes: GroupCommit[tuple[str, str, str | None]] = GroupCommit(
            self.call, store.unsubscribe_many
        )

    async def call(self, work: Callable[..., T], *args: Any) -> T:
        """Run a store call on the store's threads, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, work, *args)

    # -- pages -------------------------------------------------------------------------------

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page of the service in the web archive's style."""
        pub = self.settings.publication
        html = self.settings.theme.render(template, pub=pub, base=self.settings.base_url, **context)
        headers = {
            "Cache-Control": "no-store",
            # The URL may hold a token: never sent elsewhere. Not "no-referrer": with it,
            # Chromium posts the form with "Origin: null", which the CSRF check refuses.
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self' "
            + " ".join(sorted(self.origins))
            + "; frame-ancestors 'none'; base-uri 'none'",
        }
        return HTMLResponse(html, status_code=status, headers=headers)

    def message(
        self, heading: str, *paragraphs: str, status: int = 200, offer_subscribe: bool = False
    ) -> HTMLResponse:
        """A page of a heading and a few sentences."""
        return self.page(
            "service/message.html",
            status,
            heading=heading,
            paragraphs=paragraphs,
            offer_subscribe=offer_subscribe,
        )

    def form(self, status: int = 200, email: str = "", name: str = "", error: str = "") -> Response:
        """The subscribe form, with an error for the address if there is one."""
        return self.page(
            "service/subscribe.html",
            status,
            heading="Subscribe",
            email=email,
            reader_name=name,
            error=error,
        )

    async def style(self, request: Request) -> Response:
        """The web archive's stylesheet, so the pages look like the site."""
        return Response(
            self.stylesheet, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    # -- subscribe ---------------------------------------------------------------------------

    def _same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is not None:
            return origin.lower() in self.origins
        referer = request.headers.get("referer")
        return referer is None or _origin(referer) in self.origins

    async def subscribe(self, request: Request) -> Response:
        """GET: the form. POST: the same answer for every valid address; mail in the background."""
        if request.method == "GET":
            return self.form()
        if not self._same_origin(request):
            return self.message("Not accepted", "Please use the form on our site.", status=403)
        wait = self.limiter.hit(request.state.client)
        if wait:
            response = self.message(
                "Too many requests", "Please wait a while and try again.", status=429
            )
            response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return response
        form = await _form(request)
        if form is None:
            return self.form(400, error="Enter your email address.")
        email_in = str(form.get("email", "")).strip()[: MAX_EMAIL + 1]
        name = " ".join(str(form.get("name", "")).split())[:MAX_NAME]
        accepted = self.message(
            "Check your inbox",
            "If the address can receive the newsletter, a message with a link to confirm the "
            "subscription is on its way. Open that link to start receiving issues.",
        )
        if form.get("website"):  # the honeypot: a bot filled the hidden field
            log.info("subscribe: dropped a form with the trap field filled")
            return accepted
        try:
            email = validate_email(email_in, check_deliverability=False).normalized
        except EmailNotValidError:
            error = "Enter an email address like name@example.org."
            return self.form(400, email=email_in[:MAX_EMAIL], name=name, error=error)
        # The store and the mail work after the answer, so its timing tells nothing.
        accepted.background = BackgroundTask(self._subscribe_later, email, name)
        return accepted

    async def _subscribe_later(self, email: str, name: str) -> None:
        tag = pseudonym(self.settings.secret, email)
        try:
            status = await self.call(self.store.subscribe, email, name, "form")
            if status != "pending":  # active, blocked...: nothing to confirm, nothing sent
                log.info("subscribe %s: %s, no confirmation sent", tag, status)
                return
            settings = self.settings
            url = confirm_url(settings.base_url, settings.secret, email)
            hours = settings.subscriptions.confirm_hours
            data = confirmation_message(
                settings.theme, settings.publication, email, name, url, hours
            )
            sender = sender_of(settings.publication).address
            await asyncio.get_running_loop().run_in_executor(
                None, self.outbox.send, data, sender, email
            )
            log.info("subscribe %s: confirmation sent", tag)
        except Exception:  # a background task has nobody to answer; log and go on
            log.exception("subscribe %s: failed", tag)

    async def confirm(self, request: Request) -> Response:
        """Make the address in a genuine, unexpired token active."""
        hours = self.settings.subscriptions.confirm_hours
        token = request.query_params.get("token", "")
        email = read_confirm_token(self.settings.secret, token, hours * 3600) if token else None
        if email is not None:
            confirmed = await self.call(self.store.confirm, email)
            if confirmed or await self.call(self.store.status, email) == "active":
                return self.message(
                    "You are subscribed",
                    f"Thank you: the {self.settings.publication.title} will come to your inbox.",
                )
        return self.message(
            "This link does not work",
            f"Confirmation links work for {hours} hours and only once they arrive unchanged. "
            "Subscribe again and we will send a new one.",
            status=400,
            offer_subscribe=True,
        )

    # -- unsubscribe -------------------------------------------------------------------------

    async def unsubscribe(self, request: Request) -> Response:
        """GET shows one button (scanners fetch links); POST unsubscribes at once (RFC 8058)."""
        email = request.query_params.get("email", "")
        token = request.query_params.get("token", "")
        if request.method == "GET" and not email and not token:
            return self.message(
                "Unsubscribe",
                "Use the unsubscribe link at the end of any issue you received: it is your own.",
            )
        if not (len(email) <= MAX_EMAIL and verify_unsubscribe(self.settings.secret, email, token)):
            return self.message(
                "This link does not work",
                "The unsubscribe link was changed on its way. Use the one at the end of an issue.",
                status=400,
            )
        if request.method == "GET":
            action = "?" + urlencode({"email": email, "token": token})
            return self.page("service/unsubscribe.html", heading="Unsubscribe", action=action)
        form = await _form(request)
        if form is not None and form.get("List-Unsubscribe") == "One-Click":
            how = "one-click"
        elif form is not None and form.get("confirm") == "yes":
            how = "link"
        else:
            return PlainTextResponse("expected List-Unsubscribe=One-Click\n", status_code=400)
        await self.unsubscribes.submit((email, how, None))  # committed when this returns
        log.info("unsubscribe %s: %s", pseudonym(self.settings.secret, email), how)
        if how == "one-click":  # a mail client's request: no page, no redirect, no cookie
            return PlainTextResponse("unsubscribed\n")
        return self.message(
            "You are unsubscribed",
            f"No more issues of the {self.settings.publication.title} "
            "will be sent to this address.",
        )

    # -- SES ---------------------------------------------------------------------------------

    async def ses_webhook(self, request: Request) -> Response:
        """Record the bounces and complaints in a signed SNS message."""
        settings = self.settings
        if (
            settings.ses_key is None
            or settings.ses_cert_url is None
            or settings.subscriptions.ses is None
        ):
            return PlainTextResponse("not configured\n", status_code=404)
        body = await _body(request)
        try:
            if body is None:
                raise ses.SnsError("the body is too large")
            message = json.loads(body)
            if not isinstance(message, dict):
                raise ses.SnsError("not a JSON object")
            ses.verify(
                message,
                settings.ses_key,
                settings.ses_cert_url,
                settings.subscriptions.ses.topic_arns,
            )
            kind = message["Type"]
            if kind == "SubscriptionConfirmation":
                # Confirming means fetching a URL the message names: an operator's job.
                log.warning("SNS subscription to confirm: %s", message.get("SubscribeURL"))
                return PlainTextResponse("logged\n")
            if kind != "Notification":
                return PlainTextResponse("ignored\n")
            found = ses.events(message["Message"])
        except (ValueError, ses.SnsError) as exc:
            log.warning("SES webhook refused: %s", exc)
            return PlainTextResponse("refused\n", status_code=400)
        for event in found:
            await self.call(self._record, event)
        return PlainTextResponse("recorded\n")

    def _record(self, event: ses.Event) -> None:
        tag = pseudonym(self.settings.secret, event.email)
        if event.kind == "bounce":
            status = self.store.record_bounce(event.email, event.issue, event.hard, event.detail)
            log.info("bounce %s (%s): now %s", tag, "hard" if event.hard else "soft", status)
        else:
            self.store.record_complaint(event.email, event.issue, event.detail)
            log.info("complaint %s", tag)

    # -- health ------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        """200 when the store answers, 503 otherwise."""
        try:
            await self.call(self.store.status, "health-check@invalid")
        except Exception:
            log.exception("health: the store does not answer")
            return JSONResponse({"status": "unavailable", "store": "error"}, status_code=503)
        return JSONResponse({"status": "ok", "store": "ok"})


async def _body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request) -> FormData | None:
    """The posted form (urlencoded or multipart, no files), or None when there is none."""
    try:
        return await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
    except Exception:  # malformed bodies and wrong content types alike: no form
        return None


def create_app(
    settings: ServiceSettings, store: ListStore, mailer: Outbox | None = None
) -> Starlette:
    """The list service as an ASGI app: run it with uvicorn."""
    service = ListService(settings, store, mailer or SmtpOutbox(settings.smtp))
    routes = [
        Route("/subscribe", service.subscribe, methods=["GET", "POST"]),
        Route("/confirm", service.confirm, methods=["GET"]),
        Route("/unsubscribe", service.unsubscribe, methods=["GET", "POST"]),
        Route("/unsubscribe/", service.unsubscribe, methods=["GET", "POST"]),
        Route("/webhooks/ses", service.ses_webhook, methods=["POST"]),
        Route("/health", service.health, methods=["GET"]),
        Route("/style.css", service.style, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(AccessLog, secret=settings.secret, proxies=settings.proxies)
    return app
